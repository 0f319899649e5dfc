"""Incremental and crash-safe ingest against a real on-disk Chroma."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import IndexMismatch, IngestBusy
from assistant.indexing import snapshot
from assistant.indexing.embedder import WordLlamaEmbeddingFunction
from assistant.indexing.ingest import ingest
from assistant.indexing.vectors import VectorStore, connect
from assistant.pipeline import Assistant
from assistant.settings import Settings

from .conftest import DOC_A, DOC_B, ROOT


def _vector_ids(settings: Settings) -> set[str]:
    snap = snapshot.load(Path(settings.index_dir))
    client = connect(settings)
    collection = client.get_collection(snap.collection)
    return set(collection.get(include=[])["ids"])


def test_reingesting_an_unchanged_corpus_changes_nothing(fresh_settings: Settings) -> None:
    first = ingest(fresh_settings, progress=False)
    assert sorted(first.added) == [DOC_A, DOC_B] and first.chunks_embedded == first.chunks_total > 20
    before = snapshot.load(Path(fresh_settings.index_dir))
    second = ingest(fresh_settings, progress=False)
    after = snapshot.load(Path(fresh_settings.index_dir))
    assert sorted(second.unchanged) == [DOC_A, DOC_B]
    assert second.chunks_embedded == 0 and not second.changed
    assert after.name == before.name
    assert [c.chunk_id for c in after.chunks] == [c.chunk_id for c in before.chunks]
    assert _vector_ids(fresh_settings) == set(after.chunks.ids())


def test_scripts_are_recorded_at_ingest_and_filled_into_an_older_index(fresh_settings: Settings) -> None:
    """A question in another script is told so from the scripts recorded per document; an index
    written before they were recorded gets them at the next ingest, without re-embedding, so
    the first question no longer reads every document's text."""
    ingest(fresh_settings, progress=False)
    index = Path(fresh_settings.index_dir)
    assert {tuple(e.scripts) for e in snapshot.load(index).docs.values()} == {("LATIN",)}
    path = index / snapshot.SNAPSHOTS / snapshot.current_name(index) / "manifest.json"  # type: ignore[operator]
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["docs"].values():
        entry["scripts"] = []  # as an index from before 2026-11-28 has them
    path.write_text(json.dumps(data), encoding="utf-8")
    assert {tuple(e.scripts) for e in snapshot.load(index).docs.values()} == {()}
    again = ingest(fresh_settings, progress=False)
    assert again.chunks_embedded == 0
    assert {tuple(e.scripts) for e in snapshot.load(index).docs.values()} == {("LATIN",)}
    answer = Assistant(fresh_settings).ask("Кто возглавляет делегацию?")
    assert answer.refused and answer.notices and "Cyrillic" in answer.notices[0]


def test_a_document_without_letters_makes_no_ingest_write(fresh_settings: Settings, corpus_copy: Path) -> None:
    """It has no scripts to record; an unchanged corpus still writes no new snapshot."""
    (corpus_copy / "figures.txt").write_text("2024: 1,200\n2025: 1,450\n", encoding="utf-8")
    ingest(fresh_settings, progress=False)
    index = Path(fresh_settings.index_dir)
    before = snapshot.current_name(index)
    again = ingest(fresh_settings, progress=False)
    assert not again.changed and snapshot.current_name(index) == before


def test_changed_added_and_removed_documents(fresh_settings: Settings, corpus_copy: Path) -> None:
    ingest(fresh_settings, progress=False)
    old = snapshot.load(Path(fresh_settings.index_dir))
    old_b = set(old.docs[DOC_B].chunk_ids)

    doc_a = corpus_copy / DOC_A
    doc_a.write_text(
        doc_a.read_text(encoding="utf-8") + "\nThe talks ended with a prisoner swap of 1,000 each.", encoding="utf-8"
    )
    (corpus_copy / DOC_B).unlink()
    (corpus_copy / "new.txt").write_text("Sybiha met Rubio in Antalya on Thursday.", encoding="utf-8")

    report = ingest(fresh_settings, progress=False)
    assert report.updated == [DOC_A] and report.added == ["new.txt"] and report.removed == [DOC_B]
    new = snapshot.load(Path(fresh_settings.index_dir))
    assert set(new.docs) == {DOC_A, "new.txt"}
    ids = _vector_ids(fresh_settings)
    assert ids == set(new.chunks.ids())
    assert not (ids & old_b)  # the removed document's vectors are gone

    answer = Assistant(fresh_settings).ask("How big was the prisoner swap?")
    assert not answer.refused and "1,000" in answer.answer
    assert answer.citations[0].doc_id == DOC_A


def test_every_chunk_is_found_by_its_id_across_segments(fresh_settings: Settings, corpus_copy: Path) -> None:
    """Chunks are found by arithmetic on their ids, not a dictionary: check it on an index of
    two segments (one document changed), and that ids of nothing are not found."""
    ingest(fresh_settings, progress=False)
    doc_a = corpus_copy / DOC_A
    doc_a.write_text(doc_a.read_text(encoding="utf-8") + "\nOne more closing paragraph.", encoding="utf-8")
    ingest(fresh_settings, progress=False)
    snap = snapshot.load(Path(fresh_settings.index_dir))
    assert len({e.segment for e in snap.docs.values()}) == 2
    for row, chunk in enumerate(snap.chunks):
        assert snap.chunks.row(chunk.chunk_id) == row and snap.chunk(chunk.chunk_id) == chunk
        assert snap.document(chunk.doc_id).text[chunk.start : chunk.end] == chunk.text
    first = snap.chunks[0].chunk_id
    for stranger in (first[:-1] + "x", first.replace("#0000", "#9999"), "no-such.txt#0000-000000000000", "#", ""):
        assert snap.chunk(stranger) is None
    # ids in another shape (an older chunker) are kept as given, and still found
    assert snapshot.ChunkIds.of("d.txt", ["d.txt:a", "d.txt:b"]) == ["d.txt:a", "d.txt:b"]
    assert isinstance(snap.docs[DOC_A].chunk_ids, snapshot.ChunkIds)  # held compactly once read


def test_chunks_out_of_order_are_still_found_by_id() -> None:
    import numpy as np

    from assistant.models import chunk_id

    ids = {d: [chunk_id(d, i, f"{d[0]}{i}" * 6) for i in range(2)] for d in ("a.txt", "b.txt")}
    docs = {d: snapshot.DocEntry("", {}, snapshot.ChunkIds.of(d, v), "") for d, v in ids.items()}
    table = snapshot.ChunkTable({"a.txt": "aaaa", "b.txt": "bbbb"}, docs)
    table.extend(
        ["a.txt", "b.txt", "a.txt", "b.txt"], (np.array([0, 0, 1, 1]), np.array([0, 0, 2, 2]), np.array([2, 2, 4, 4]))
    )
    assert [table.row(cid) for cid in (*ids["a.txt"], *ids["b.txt"])] == [0, 2, 1, 3]
    assert table[2].chunk_id == ids["a.txt"][1] and table[2].text == "aa"


def test_failed_ingest_leaves_previous_index_answering(fresh_settings: Settings, corpus_copy: Path) -> None:
    ingest(fresh_settings, progress=False)
    assistant = Assistant(fresh_settings)
    before = assistant.ask("Who leads the Ukrainian delegation?").to_json()

    (corpus_copy / DOC_B).unlink()
    (corpus_copy / "late.txt").write_text("A late report says Umerov resigned.", encoding="utf-8")

    def crash() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        ingest(fresh_settings, progress=False, before_swap=crash)

    after = Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?").to_json()
    assert after["answer"] == before["answer"] and after["citations"] == before["citations"]
    assert DOC_B in snapshot.load(Path(fresh_settings.index_dir)).docs
    assert (Path(fresh_settings.index_dir) / "pending.json").exists()

    report = ingest(fresh_settings, progress=False)  # running again completes the job
    assert report.removed == [DOC_B] and report.added == ["late.txt"]
    assert not (Path(fresh_settings.index_dir) / "pending.json").exists()
    assert _vector_ids(fresh_settings) == set(snapshot.load(Path(fresh_settings.index_dir)).chunks.ids())


def test_killed_ingest_process(fresh_settings: Settings, corpus_copy: Path) -> None:
    """SIGKILL in the middle (vectors written, snapshot not yet swapped): nothing is lost."""
    ingest(fresh_settings, progress=False)
    name = snapshot.current_name(Path(fresh_settings.index_dir))
    (corpus_copy / "extra.txt").write_text("Kellogg and Witkoff travel to Istanbul.", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from assistant.indexing.ingest import ingest
        from assistant.settings import Settings
        s = Settings(index_dir=Path({str(fresh_settings.index_dir)!r}), corpus_dir=Path({str(corpus_copy)!r}))
        ingest(s, progress=False, before_swap=lambda: os.kill(os.getpid(), signal.SIGKILL))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == -9
    assert snapshot.current_name(Path(fresh_settings.index_dir)) == name
    answer = Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?")
    assert "Umerov" in answer.answer
    report = ingest(fresh_settings, progress=False)
    assert report.added == ["extra.txt"]
    assert _vector_ids(fresh_settings) == set(snapshot.load(Path(fresh_settings.index_dir)).chunks.ids())


def test_unreadable_document_keeps_its_previous_version(fresh_settings: Settings, corpus_copy: Path) -> None:
    ingest(fresh_settings, progress=False)
    (corpus_copy / DOC_A).write_bytes(b"\xff\xfe broken now")
    report = ingest(fresh_settings, progress=False)
    assert [e.doc_id for e in report.failed] == [DOC_A]
    assert DOC_A in snapshot.load(Path(fresh_settings.index_dir)).docs
    assert "Umerov" in Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?").answer


def test_opening_with_another_embedder_says_how_to_rebuild(fresh_settings: Settings) -> None:
    ingest(fresh_settings, progress=False)
    manifest_dir = Path(fresh_settings.index_dir) / "snapshots" / snapshot.current_name(Path(fresh_settings.index_dir))
    manifest = json.loads((manifest_dir / "manifest.json").read_text())
    manifest["embedder"]["config"]["dim"] = 64
    (manifest_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="assistant ingest --rebuild"):
        Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?")
    other = fresh_settings.with_overrides(embedder="openai", openai_api_key="sk-test")
    with pytest.raises(IndexMismatch, match="rebuild"):
        Assistant(other).ask("Who leads the Ukrainian delegation?")


def test_collection_records_its_embedder(fresh_settings: Settings) -> None:
    ingest(fresh_settings, progress=False)
    snap = snapshot.load(Path(fresh_settings.index_dir))
    collection = connect(fresh_settings).get_collection(snap.collection)  # no embedder passed
    recorded = collection.configuration_json["embedding_function"]
    assert recorded == {"type": "known", "name": "istanbul-wordllama", "config": {"config": "l2_supercat", "dim": 256}}
    ef = collection.configuration["embedding_function"]  # rebuilt from the registered class
    assert isinstance(ef, WordLlamaEmbeddingFunction)
    store = VectorStore.open(connect(fresh_settings), snap.collection, ef, create=False)
    assert store.query("Medinsky", 1)


def test_rebuild_replaces_the_collection(fresh_settings: Settings) -> None:
    ingest(fresh_settings, progress=False)
    old = snapshot.load(Path(fresh_settings.index_dir)).collection
    report = ingest(fresh_settings, rebuild=True, progress=False)
    new = snapshot.load(Path(fresh_settings.index_dir)).collection
    assert new != old and report.chunks_embedded == report.chunks_total
    names = [c.name for c in connect(fresh_settings).list_collections()]
    assert names == [new]


def test_concurrent_ingest_is_refused(fresh_settings: Settings) -> None:
    def nested() -> None:
        ingest(fresh_settings, progress=False)

    with pytest.raises(IngestBusy, match="Another ingest"):
        ingest(fresh_settings, progress=False, before_swap=nested)


def _segments(settings: Settings) -> list[Path]:
    return sorted((Path(settings.index_dir) / "segments").iterdir())


def _disk(settings: Settings) -> int:
    return sum(p.stat().st_size for p in Path(settings.index_dir).rglob("*") if p.is_file())


def test_one_changed_document_writes_one_small_segment(fresh_settings: Settings, corpus_copy: Path) -> None:
    ingest(fresh_settings, progress=False)
    first = _segments(fresh_settings)
    size = _disk(fresh_settings)
    assert ingest(fresh_settings, progress=False).chunks_embedded == 0
    assert _segments(fresh_settings) == first and _disk(fresh_settings) == size  # nothing written
    note = "The harbour board elected Marta Quillfeather as its chair."
    (corpus_copy / "note.txt").write_text(note, encoding="utf-8")
    report = ingest(fresh_settings, progress=False)
    assert report.added == ["note.txt"] and report.chunks_embedded == 1
    after = _segments(fresh_settings)
    assert set(first) < set(after) and len(after) == len(first) + 1  # the old segment is untouched
    new = (set(after) - set(first)).pop()
    assert [doc_id for doc_id, _, _ in json.loads((new / "documents.json").read_text())] == ["note.txt"]
    answer = Assistant(fresh_settings).ask("Who chairs the harbour board?")
    assert "Quillfeather" in answer.answer and answer.citations[0].doc_id == "note.txt"


def test_small_segments_are_merged_and_dead_ones_pruned(fresh_settings: Settings, corpus_copy: Path) -> None:
    from assistant.indexing import ingest as ingest_module

    ingest(fresh_settings, progress=False)
    for i in range(ingest_module.MAX_SMALL + 3):  # one-document ingests, each adds a segment
        (corpus_copy / f"note-{i}.txt").write_text(f"Note {i}: the board met on day {i}.", encoding="utf-8")
        ingest(fresh_settings, progress=False)
        live = {e.segment for e in snapshot.load(Path(fresh_settings.index_dir)).docs.values()}
        assert len(live) <= ingest_module.MAX_SMALL + 1  # compaction keeps the count bounded
        on_disk = {p.name for p in _segments(fresh_settings)}
        assert live <= on_disk and len(on_disk) <= 2 * (ingest_module.MAX_SMALL + 2)  # unused ones pruned
    snap = snapshot.load(Path(fresh_settings.index_dir))
    assert len(snap.docs) == 2 + ingest_module.MAX_SMALL + 3
    assert _vector_ids(fresh_settings) == set(snap.chunks.ids())
    assert "day 4" in Assistant(fresh_settings).ask("When did the board meet according to note 4?").answer


def test_search_does_not_depend_on_how_chunks_fall_into_segments(
    fresh_settings: Settings, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BM25 uses statistics over all live chunks, so one segment or many give the same scores."""
    from assistant.indexing import ingest as ingest_module

    ingest(fresh_settings, progress=False)
    whole = snapshot.load(Path(fresh_settings.index_dir))
    monkeypatch.setattr(ingest_module, "SEGMENT_CHUNKS", 7)
    split = fresh_settings.with_overrides(index_dir=Path(fresh_settings.index_dir).parent / "split")
    ingest(split, progress=False)
    parts = snapshot.load(Path(split.index_dir))
    assert len({e.segment for e in parts.docs.values()}) == 2  # one per document here
    for query in ("Medinsky delegation Istanbul", "ceasefire thirty days", "Erdogan Ankara meeting"):
        a = [(whole.chunks[i].chunk_id, round(s, 6)) for i, s in whole.lexical.search(query, 10)]
        b = [(parts.chunks[i].chunk_id, round(s, 6)) for i, s in parts.lexical.search(query, 10)]
        assert a == b and a
    for term in ("medinski", "istanbul", "ceasefir"):
        assert whole.lexical.idf(term) == pytest.approx(parts.lexical.idf(term))


def test_a_run_killed_while_writing_segments_leaves_no_trace(fresh_settings: Settings, corpus_copy: Path) -> None:
    ingest(fresh_settings, progress=False)
    name = snapshot.current_name(Path(fresh_settings.index_dir))
    segments = _segments(fresh_settings)
    (corpus_copy / "extra.txt").write_text("Fidan hosted the delegations at Dolmabahçe.", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from assistant.indexing import snapshot
        from assistant.indexing.ingest import ingest
        from assistant.settings import Settings
        original = snapshot.write_segment
        def killed(index_dir, chunks, texts):
            original(index_dir, chunks, texts)  # written, never named by a manifest
            os.kill(os.getpid(), signal.SIGKILL)
        snapshot.write_segment = killed
        s = Settings(index_dir=Path({str(fresh_settings.index_dir)!r}), corpus_dir=Path({str(corpus_copy)!r}))
        ingest(s, progress=False)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == -9
    assert snapshot.current_name(Path(fresh_settings.index_dir)) == name
    assert len(_segments(fresh_settings)) == len(segments) + 1  # the orphan
    assert "Umerov" in Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?").answer
    report = ingest(fresh_settings, progress=False)
    assert report.added == ["extra.txt"]
    live = {e.segment for e in snapshot.load(Path(fresh_settings.index_dir)).docs.values()}
    assert {p.name for p in _segments(fresh_settings)} == live | {p.name for p in segments}
    assert _vector_ids(fresh_settings) == set(snapshot.load(Path(fresh_settings.index_dir)).chunks.ids())


def test_an_index_of_format_2_is_still_read(fresh_settings: Settings) -> None:
    """Format 2 listed every chunk id; 3 stores them as digests. Servers of this version read
    both, so an index is not rebuilt for it."""
    ingest(fresh_settings, progress=False)
    index = Path(fresh_settings.index_dir)
    before = snapshot.load(index)
    manifest = index / "snapshots" / str(snapshot.current_name(index)) / "manifest.json"
    data = json.loads(manifest.read_text())
    assert data["format"] == 3 and all("chunk_digests" in d for d in data["docs"].values())
    docs = {k: {**{f: v for f, v in d.items() if f not in ("chunk_digests", "digest_width")},
                "chunk_ids": list(before.docs[k].chunk_ids)} for k, d in data["docs"].items()}  # fmt: skip
    manifest.write_text(json.dumps({**data, "format": 2, "docs": docs}))
    after = snapshot.load(index)
    assert list(after.chunks.ids()) == list(before.chunks.ids()) and len(list(after.chunks.ids())) > 20
    assert ingest(fresh_settings, progress=False).chunks_embedded == 0  # nothing rebuilt
    assert "Umerov" in Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?").answer


def test_segments_with_postings_in_one_archive_are_still_read(fresh_settings: Settings) -> None:
    """Segments written before postings were memory-mapped kept them in postings.npz."""
    import shutil

    import numpy as np

    from assistant.indexing.lexical import Postings

    ingest(fresh_settings, progress=False)
    index = Path(fresh_settings.index_dir)
    question = "Who leads the Ukrainian delegation?"
    before = snapshot.load(index).lexical.search(question, 10)
    for segment in _segments(fresh_settings):
        p = Postings.load(segment / "postings")
        blob = np.frombuffer(bytes(p.terms.blob), dtype=np.uint8)
        offsets = np.array(p.terms.offsets, dtype=np.int64)
        with (segment / "postings.npz").open("wb") as f:
            np.savez(f, blob=blob, offsets=offsets, ptr=p.ptr, chunk=p.chunk, tf=p.tf, lengths=p.lengths)
        del p
        shutil.rmtree(segment / "postings")
    assert before and snapshot.load(index).lexical.search(question, 10) == before


def test_an_index_of_an_older_format_is_rebuilt_by_ingest(fresh_settings: Settings) -> None:
    ingest(fresh_settings, progress=False)
    index = Path(fresh_settings.index_dir)
    manifest = index / "snapshots" / str(snapshot.current_name(index)) / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "format": 1}))
    with pytest.raises(IndexMismatch, match="ingest --rebuild"):
        Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?")
    report = ingest(fresh_settings, progress=False)
    assert sorted(report.added) == [DOC_A, DOC_B] and report.chunks_embedded == report.chunks_total
    assert "Umerov" in Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?").answer
    assert [c.name for c in connect(fresh_settings).list_collections()] == [snapshot.load(index).collection]


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts open files through /proc")
def test_a_dropped_snapshot_closes_its_files_at_once(fresh_settings: Settings) -> None:
    """A server swaps snapshots for as long as it runs: each old one's text files close when it
    is dropped, not whenever the cycle collector next runs."""
    import gc

    ingest(fresh_settings, progress=False)
    index = Path(fresh_settings.index_dir)
    before = len(list(Path("/proc/self/fd").iterdir()))
    gc.disable()
    try:
        for _ in range(5):
            snap = snapshot.load(index)
            assert snap.texts[DOC_A]
            del snap
        assert len(list(Path("/proc/self/fd").iterdir())) <= before
    finally:
        gc.enable()


def test_a_name_too_long_for_its_sidecar_is_skipped_with_its_reason(
    fresh_settings: Settings, corpus_copy: Path
) -> None:
    """A 250-byte file name once aborted the whole ingest (looking for its .meta.json)."""
    long_name = "r" * 246 + ".txt"  # 250 bytes: NAME.meta.json would be 260
    (corpus_copy / long_name).write_text("A report on river rights, long named.")
    (corpus_copy / ("é" * 120 + ".md")).write_text("# Accented\n\nA document whose name is 243 bytes.")
    report = ingest(fresh_settings, progress=False)
    assert sorted(report.added) == sorted([DOC_A, DOC_B, "é" * 120 + ".md"])
    assert len(report.failed) == 1 and "250 bytes" in report.failed[0].reason
    assert "245" in report.failed[0].reason


@pytest.mark.heavy
def test_one_large_file_is_ingested_in_memory_that_does_not_copy_it(tmp_path: Path) -> None:
    """A large file streams through chunking, postings and embedding: what Python holds at the
    peak stays a few times the text (the chunks once held a copy of it each, and the postings
    were built twice over: 10.6 times a 4 MB text; the Chroma side, outside Python, is not
    counted here)."""
    import random
    import tracemalloc

    paragraphs = [p for f in sorted((ROOT / "seeds").iterdir()) for p in f.read_text(encoding="utf-8").split("\n\n")]
    pick = random.Random(0)
    text = "".join(f"Part {i}. {pick.choice(paragraphs)}\n\n" for i in range(12_000))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "large.txt").write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    tracemalloc.start()
    try:
        report = ingest(settings, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.added == ["large.txt"] and report.chunks_total > 4_000
    assert peak < 7 * len(text), f"{peak / len(text):.1f} times the text"
    stored = snapshot.load(Path(settings.index_dir))
    sample = list(stored.chunks[::97])
    assert all(c.text == text[c.start : c.end] for c in sample)  # offsets still exact
    assert _vector_ids(settings) == set(stored.chunks.ids())
    # what was embedded is each chunk's own text (read back from the segment, not held)
    collection = connect(settings).get_collection(stored.collection)
    got = collection.get(ids=[c.chunk_id for c in sample], include=["embeddings"])
    vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
    expected = WordLlamaEmbeddingFunction()([c.text for c in sample])
    assert all(np.allclose(vectors[c.chunk_id], e, atol=1e-5) for c, e in zip(sample, expected, strict=True))


def _segment_files(index_dir: Path) -> dict[str, bytes]:
    """Every segment file's bytes (arrays as loaded: an archive's bytes hold write times)."""
    out: dict[str, bytes] = {}
    for path in sorted((index_dir / snapshot.SEGMENTS).glob("*/**/*")):
        if path.is_file():
            key = "/".join(path.relative_to(index_dir / snapshot.SEGMENTS).parts[1:])
            if path.suffix == ".npz":
                with np.load(path) as data:
                    out[key] = b"".join(data[k].tobytes() for k in sorted(data.files))
            else:
                out[key] = path.read_bytes()
    return out


def test_a_segment_written_by_the_child_process_is_the_one_written_in_process(
    fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large batch's segment is written by a child while the ingest embeds; here every batch
    is (the in-process path fails if used), and the index is the same byte for byte."""
    from assistant.indexing import segment_writer

    in_process = fresh_settings.with_overrides(index_dir=Path(fresh_settings.index_dir).parent / "in-process")
    ingest(in_process, progress=False)
    monkeypatch.setattr(segment_writer, "IN_CHILD_FROM", 1)

    def not_here(self: object, batch: object) -> None:
        raise AssertionError("written in the ingest's process")

    monkeypatch.setattr(segment_writer.SegmentWriter, "write", not_here)
    ingest(fresh_settings, progress=False)
    assert _segment_files(Path(fresh_settings.index_dir)) == _segment_files(Path(in_process.index_dir))
    assert "Umerov" in Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?").answer


def test_when_the_segment_child_dies_the_ingest_writes_the_segment_itself(
    fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import os
    import signal

    from assistant.indexing import segment_writer

    monkeypatch.setattr(segment_writer, "IN_CHILD_FROM", 1)
    started = segment_writer.SegmentWriter._child

    def dying(self: segment_writer.SegmentWriter) -> object:
        pool = started(self)
        pid = pool.submit(os.getpid).result()
        os.kill(pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        return pool

    monkeypatch.setattr(segment_writer.SegmentWriter, "_child", dying)
    report = ingest(fresh_settings, progress=False)
    assert report.chunks_embedded > 0 and not report.failed
    assert "child died" in caplog.text
    assert "Umerov" in Assistant(fresh_settings).ask("Who leads the Ukrainian delegation?").answer
    assert _vector_ids(fresh_settings) == set(snapshot.load(Path(fresh_settings.index_dir)).chunks.ids())
