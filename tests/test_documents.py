"""Documents managed while serving, without a server: uploads checked and written atomically
(all or none), removals kept inside the corpus folder, each document's state, background
ingests that coalesce and report, the watcher's filter, and a served index that sees vectors
another process stored."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.indexing import manage, watch
from assistant.indexing.background import BackgroundIngest, read_status
from assistant.indexing.ingest import ingest
from assistant.pipeline import Assistant
from assistant.settings import Settings

from .conftest import ROOT

NEW_DOC = "harbour-levy.txt"
NEW_TEXT = (
    "Harbour levy review\n\nThe Velmora port authority raised its harbour levy to 14 crowns per tonne on "
    "9 February 2029, after a vote of the board chaired by Odile Marchetti.\n"
)
QUESTION = "How much is the Velmora harbour levy per tonne?"


def _files(corpus: Path) -> dict[str, bytes]:
    """Everything in the folder, hidden files included: what an upload may not leave behind."""
    return {p.name: p.read_bytes() for p in corpus.iterdir()}


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("../escape.txt", 400), ("sub/inner.txt", 400), ("..\\win.txt", 400), (".hidden.txt", 400),
        ("", 400), ("bad\x00name.txt", 400), ("zero\u200bwidth.txt", 400), ("x" * 242 + ".txt", 400),
        ("tool.exe", 415), ("notes.txt.meta.json", 415), ("archive.tar.gz", 415),
    ],
)  # fmt: skip
def test_only_plain_names_of_document_types_are_accepted(name: str, status: int) -> None:
    with pytest.raises(manage.Rejected) as caught:
        manage.check_name(name)
    assert caught.value.status == status and caught.value.message


def test_ordinary_names_of_any_script_are_accepted() -> None:
    for name in ("report 2025.txt", "Rapport_été.md", "گزارش.html", "報告.pdf", "a" * 241 + ".txt"):
        assert manage.check_name(name) == name


def test_a_batch_with_one_bad_file_writes_none(corpus_copy: Path) -> None:
    before = _files(corpus_copy)
    good = (NEW_DOC, io.BytesIO(NEW_TEXT.encode()))
    for bad, reason in [
        (("blob.txt", io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")), "binary"),
        (("latin.txt", io.BytesIO("café".encode("latin-1"))), "UTF-8"),
        (("empty.md", io.BytesIO(b"   \n")), "no text"),
        (("broken.pdf", io.BytesIO(b"%PDF-1.7 not really")), "PDF"),
    ]:
        good[1].seek(0)
        with pytest.raises(manage.Rejected) as caught:
            manage.add(corpus_copy, [good, bad], max_bytes=1_000_000)
        assert caught.value.status == 422 and reason.lower() in caught.value.message.lower(), caught.value.message
        assert _files(corpus_copy) == before  # no document, no leftover temporary file


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(corpus_copy: Path) -> None:
    before = _files(corpus_copy)
    with pytest.raises(manage.Rejected) as caught:
        manage.add(corpus_copy, [(NEW_DOC, io.BytesIO(b"word " * 5000))], max_bytes=10_000)
    assert caught.value.status == 413 and "10000 bytes" in caught.value.message
    assert _files(corpus_copy) == before


def test_an_upload_adds_or_replaces_whole_files(corpus_copy: Path) -> None:
    stored = manage.add(corpus_copy, [(NEW_DOC, io.BytesIO(NEW_TEXT.encode()))], max_bytes=1_000_000)
    assert stored == [manage.Stored(NEW_DOC, len(NEW_TEXT.encode()), replaced=False)]
    changed = NEW_TEXT.replace("14 crowns", "16 crowns")
    again = manage.add(corpus_copy, [(NEW_DOC, io.BytesIO(changed.encode()))], max_bytes=1_000_000)
    assert again[0].replaced and (corpus_copy / NEW_DOC).read_text() == changed
    assert not [p for p in corpus_copy.iterdir() if p.name.startswith(".")]


def test_removal_stays_inside_the_corpus_folder(tmp_path: Path, corpus_copy: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    for doc_id, status in [("../outside.txt", 400), (str(outside), 400), ("missing.txt", 404), ("", 400)]:
        with pytest.raises(manage.Rejected) as caught:
            manage.remove(corpus_copy, doc_id)
        assert caught.value.status == status, doc_id
    assert outside.read_text() == "keep me"
    (corpus_copy / NEW_DOC).write_text(NEW_TEXT)
    (corpus_copy / (NEW_DOC + ".meta.json")).write_text('{"title": "Levy"}')
    manage.remove(corpus_copy, NEW_DOC)
    assert not (corpus_copy / NEW_DOC).exists() and not (corpus_copy / (NEW_DOC + ".meta.json")).exists()


def test_each_document_has_a_state(fresh_settings: Settings) -> None:
    ingest(fresh_settings, progress=False)
    corpus, index = fresh_settings.corpus_dir, fresh_settings.index_dir
    (corpus / NEW_DOC).write_text(NEW_TEXT)
    seeds = sorted(p.name for p in corpus.glob("*.txt") if p.name != NEW_DOC)
    (corpus / seeds[0]).unlink()
    states = {d["id"]: d for d in manage.listing(corpus, index)["documents"]}
    assert states[NEW_DOC]["state"] == "waiting"
    assert states[seeds[0]]["state"] == "removing" and states[seeds[1]]["state"] == "indexed"
    assert states[seeds[1]]["chunks"] > 0


def test_background_ingests_coalesce_report_and_are_seen_by_the_open_index(fresh_settings: Settings) -> None:
    ingest(fresh_settings, progress=False)
    assistant = Assistant(fresh_settings)
    assert NEW_DOC not in {c.doc_id for c in assistant.ask(QUESTION).citations}
    outcomes: list[dict] = []
    runner = BackgroundIngest(fresh_settings, on_done=outcomes.append)
    manage.add(fresh_settings.corpus_dir, [(NEW_DOC, io.BytesIO(NEW_TEXT.encode()))], max_bytes=1_000_000)
    for i in range(5):
        runner.request(f"change {i}")
    assert runner.wait_idle(60)
    assert 1 <= len(outcomes) <= 2 and all(o["ok"] for o in outcomes)  # five asks, at most one more run
    assert outcomes[0]["report"]["added"] == 1
    status = read_status(fresh_settings.index_dir)
    assert status is not None and status["state"] == "done"  # the last run's: the one after the add, if any
    assert status["added"] == ([NEW_DOC] if len(outcomes) == 1 else [])
    answer = assistant.ask(QUESTION)
    assert "14 crowns" in answer.answer and answer.citations[0].doc_id == NEW_DOC
    # the dense half of retrieval sees the new passage too, not only the word index
    new_ids = set(assistant.retriever.snapshot.docs[NEW_DOC].chunk_ids)
    assert new_ids & {cid for cid, _ in assistant.retriever.vectors.query(NEW_TEXT, 3)}


def test_a_failed_background_ingest_is_reported_and_the_next_one_runs(fresh_settings: Settings) -> None:
    ingest(fresh_settings, progress=False)
    corpus = fresh_settings.corpus_dir
    moved = {p.name: p.read_bytes() for p in corpus.iterdir()}
    for p in corpus.iterdir():
        p.unlink()
    outcomes: list[dict] = []
    runner = BackgroundIngest(fresh_settings, on_done=outcomes.append)
    runner.request("the folder emptied")  # not on purpose: the index must not be emptied
    assert runner.wait_idle(60)
    assert not outcomes[-1]["ok"] and "--allow-empty" in outcomes[-1]["error"]
    status = read_status(fresh_settings.index_dir)
    assert status is not None and status["state"] == "failed" and "would remove all" in status["error"]
    assert manage.listing(corpus, fresh_settings.index_dir)["snapshot"] is not None
    for name, data in moved.items():
        (corpus / name).write_bytes(data)
    runner.request("the folder is back")
    assert runner.wait_idle(60) and outcomes[-1]["ok"]


def test_the_watcher_counts_documents_and_sidecars_only() -> None:
    assert watch.counts("/c/report.txt") and watch.counts("/c/deep/Report.PDF")
    assert watch.counts("/c/report.txt.meta.json")
    assert not watch.counts("/c/.upload-1234.txt") and not watch.counts("/c/report.txt~")
    assert not watch.counts("/c/.report.txt.swp") and not watch.counts("/c/image.png")
    assert watch.counts("/c/moved-folder") and not watch.counts("/c/.git")


def test_a_served_index_sees_vectors_another_process_stored(fresh_settings: Settings) -> None:
    """Embedded Chroma keeps a collection in the memory of the process that opened it; after an
    `assistant ingest` in another process, the server must search the new vectors, not only
    the words of the new passages."""
    ingest(fresh_settings, progress=False)
    assistant = Assistant(fresh_settings)
    before = assistant.retriever.vectors.count()
    (fresh_settings.corpus_dir / NEW_DOC).write_text(NEW_TEXT)
    env = {"ASSISTANT_INDEX_DIR": str(fresh_settings.index_dir), "ASSISTANT_CORPUS_DIR": str(fresh_settings.corpus_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", "--quiet", "--json"], cwd=ROOT, env=env | _base_env(),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout)["added"] == 1
    store = assistant.retriever.vectors
    assert store.count() == before + 1
    assert store.query(NEW_TEXT, 1)[0][0] in assistant.retriever.snapshot.docs[NEW_DOC].chunk_ids


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}


def test_removing_a_link_removes_the_link_not_its_target(corpus_copy: Path) -> None:
    (corpus_copy / "target.txt").write_text(NEW_TEXT)
    (corpus_copy / "alias.txt").symlink_to(corpus_copy / "target.txt")
    manage.remove(corpus_copy, "alias.txt")
    assert not (corpus_copy / "alias.txt").is_symlink() and (corpus_copy / "target.txt").read_text() == NEW_TEXT


def test_the_ingest_thread_outlives_a_crash(fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.indexing import background

    real, calls = background.run, []

    def crash_once(settings: Settings, allow_empty: bool) -> tuple[int, dict]:
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(settings, allow_empty)

    monkeypatch.setattr(background, "run", crash_once)
    outcomes: list[dict] = []
    runner = BackgroundIngest(fresh_settings, on_done=outcomes.append)
    runner.request("first")
    assert runner.wait_idle(60) and not outcomes[0]["ok"] and "No space" in outcomes[0]["error"]
    runner.request("second")
    assert runner.wait_idle(60) and outcomes[-1]["ok"] and not runner.queued
