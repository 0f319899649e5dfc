"""The `assistant` command as a user runs it: output, exit codes, and no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import Settings

from .conftest import ROOT


def run(args: list[str], settings: Settings | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    if settings is not None:
        environ["ASSISTANT_INDEX_DIR"] = str(settings.index_dir)
        environ["ASSISTANT_CORPUS_DIR"] = str(settings.corpus_dir)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_ask_prints_answer_and_sources(seed_settings: Settings) -> None:
    proc = run(["ask", "In which city did Zelensky meet Erdogan?"], seed_settings)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "Zelensky confirmed after a meeting with Turkish President Recep Tayyip Erdoğan in Ankara"
    )
    assert "Sources:" in proc.stdout and "000_cc5f1bbda9c16bd9.txt, chars 859-1036" in proc.stdout


def test_ask_json_object(seed_settings: Settings) -> None:
    proc = run(["ask", "In which city did Zelensky meet Erdogan?", "--json"], seed_settings)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["conflict"] is False and data["refused"] is False
    assert "Ankara" in data["answer"] and data["citations"][0]["doc_id"] == "000_cc5f1bbda9c16bd9.txt"
    assert data["retrieved"] and data["backend"] == "extractive"


def test_history_file(seed_settings: Settings, tmp_path: Path) -> None:
    history = tmp_path / "h.json"
    history.write_text(
        json.dumps(
            [
                {"role": "user", "content": "Which Ukrainian minister was in Antalya on Thursday?"},
                {"role": "assistant", "content": "Ukrainian Foreign Minister Andriy Sybiha was in Antalya. [1]"},
            ]
        )
    )
    proc = run(["ask", "Who did he talk with there?", "--history", str(history), "--json"], seed_settings)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["standalone_question"] == "Who did Foreign Minister Andriy Sybiha talk with in Antalya?"
    assert "Rubio" in data["answer"]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "The question is empty"),
        ("   \t  ", "The question is empty"),
        ("x" * 1001, "the limit is 1,000"),
        ("Who leads\x07 the delegation?", "invisible character (U+0007)"),
        ("Who\x1b[31m leads?", "invisible character (U+001B)"),
        ("?!?", "no words"),
    ],
)
def test_bad_questions(seed_settings: Settings, question: str, message: str) -> None:
    proc = run(["ask", question], seed_settings)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_bad_history_file(seed_settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"role": "user"}')
    proc = run(["ask", "Who?", "--history", str(bad)], seed_settings)
    assert proc.returncode == 2 and "must hold a JSON list" in proc.stderr
    proc = run(["ask", "Who?", "--history", str(tmp_path / "missing.json")], seed_settings)
    assert proc.returncode == 2 and "Cannot read the history file" in proc.stderr


def test_no_index_yet_names_the_command(tmp_path: Path) -> None:
    proc = run(["ask", "Who met Rubio in Antalya?"], ASSISTANT_INDEX_DIR=str(tmp_path / "none"))
    assert proc.returncode == 3
    assert "assistant ingest" in proc.stderr and "Traceback" not in proc.stderr


def test_ingest_command_reports_counts(tmp_path: Path, corpus_copy: Path) -> None:
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.4 nope")
    settings = Settings(index_dir=tmp_path / "idx", corpus_dir=corpus_copy)
    proc = run(["ingest"], settings)
    assert proc.returncode == 0, proc.stderr
    assert "2 added" in proc.stdout and "1 failed" in proc.stdout
    assert "skipped broken.pdf: is not a readable PDF" in proc.stderr
    again = run(["ingest"], settings)
    assert "2 unchanged" in again.stdout and "0 chunks embedded" in again.stdout


def test_ingest_missing_path(tmp_path: Path) -> None:
    proc = run(["ingest", str(tmp_path / "nowhere")], ASSISTANT_INDEX_DIR=str(tmp_path / "idx"))
    assert proc.returncode == 1 and "no such file or folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_nul_byte_is_rejected_by_the_library(seed_assistant) -> None:
    from assistant.errors import InvalidQuestion

    with pytest.raises(InvalidQuestion, match="U\\+0000"):
        seed_assistant.ask("Who leads\x00 the delegation?")


# ---------------------------------------------------------------- bad input, plain words, documented codes


def _run_bytes(args: list[bytes], settings: Settings | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    if settings is not None:
        environ["ASSISTANT_INDEX_DIR"] = str(settings.index_dir)
    environ.update(env)
    return subprocess.run([sys.executable.encode(), b"-m", b"assistant", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, errors="replace", timeout=120)  # fmt: skip


def _plain(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr and "pydantic" not in proc.stderr and "unexpected failure" not in proc.stderr


def test_a_question_with_an_invalid_byte(seed_settings: Settings) -> None:
    proc = _run_bytes([b"ask", b"Who leads\xff the team?"], seed_settings)
    assert proc.returncode == 2 and "not valid text" in proc.stderr
    _plain(proc)


@pytest.mark.parametrize(
    ("content", "message"),
    [("[" * 100_000 + "]" * 100_000, "nested too deeply"), (None, "larger than 1024 KiB")],
)
def test_history_files_that_are_not_conversations(
    seed_settings: Settings, tmp_path: Path, content: str | None, message: str
) -> None:
    path = Path("/dev/zero") if content is None else tmp_path / "h.json"
    if content is not None:
        path.write_text(content)
    proc = run(["ask", "Who met Rubio?", "--history", str(path)], seed_settings)
    assert proc.returncode == 2 and message in proc.stderr
    _plain(proc)


def test_a_golden_file_nested_too_deeply(seed_settings: Settings, tmp_path: Path) -> None:
    golden = tmp_path / "g.jsonl"
    golden.write_text(
        '{"id": "x", "question": "Q", "facts": ' + "[" * 5000 + "]" * 5000 + ', "sources": [], "kind": "fact"}\n'
    )
    proc = run(["eval", "--golden", str(golden), "--report", str(tmp_path / "r")], seed_settings)
    assert proc.returncode == 2 and "nested too deeply" in proc.stderr
    _plain(proc)


@pytest.mark.parametrize(
    "damage", ["chunks.npz", "documents.json", "documents.bin", "postings/terms.bin", "postings/chunk.npy"]
)
def test_a_damaged_index_says_how_to_rebuild(tmp_path: Path, corpus_copy: Path, damage: str) -> None:

    settings = Settings(index_dir=tmp_path / "idx", corpus_dir=corpus_copy)
    assert run(["ingest", "--quiet"], settings).returncode == 0
    segment = next((tmp_path / "idx" / "segments").iterdir())
    target = segment / damage
    target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 2])
    proc = run(["ask", "Who met Rubio?"], settings)
    assert proc.returncode == 3 and "is damaged" in proc.stderr and "assistant ingest --rebuild" in proc.stderr
    _plain(proc)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ASSISTANT_CHUNK_SIZE": "50"}, "ASSISTANT_CHUNK_SIZE: Input should be greater than or equal to 100"),
        ({"ASSISTANT_PORT": "99999"}, "ASSISTANT_PORT: Input should be less than or equal to 65535"),
        ({"ASSISTANT_EMBEDDER": "openai"}, "the openai embedder needs OPENAI_API_KEY"),
        ({"ASSISTANT_RATE_LIMIT": "lots"}, "ASSISTANT_RATE_LIMIT: must look like '120/minute'"),
    ],
)
def test_bad_settings_in_plain_words(seed_settings: Settings, env: dict[str, str], message: str) -> None:
    proc = run(["ask", "Who met Rubio?"], seed_settings, **env)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "errors.pydantic.dev" not in proc.stderr
    _plain(proc)


def test_index_dir_that_is_a_file(tmp_path: Path) -> None:
    file = tmp_path / "not-a-folder"
    file.write_text("x")
    proc = run(["ask", "Who met Rubio?", "--index-dir", str(file)])
    assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr
    _plain(proc)


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ('secret_file = "/nonexistent/hr.secret"', "its secret_file /nonexistent/hr.secret cannot be read"),
        ('secret = ""', "its secret is 0 bytes long; at least 32"),
        ('secret = "short"', "its secret is 5 bytes long"),
    ],
)
def test_a_bad_site_secret_stops_serve(seed_settings: Settings, tmp_path: Path, site: str, message: str) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[sites.payroll]\norigins = ["https://payroll.example.com"]\n{site}\n')
    proc = run(["serve", "--sites", str(sites), "--port", "1"], seed_settings)
    assert proc.returncode == 2 and "Site 'payroll'" in proc.stderr and message in proc.stderr
    _plain(proc)


def test_serve_on_a_port_in_use(seed_settings: Settings) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = run(["serve", "--port", str(port)], seed_settings)
    assert proc.returncode == 5 and f"Cannot listen on 127.0.0.1:{port}" in proc.stderr
    _plain(proc)


def test_ingesting_an_empty_folder_does_not_empty_the_index(tmp_path: Path, corpus_copy: Path) -> None:
    settings = Settings(index_dir=tmp_path / "idx", corpus_dir=corpus_copy)
    assert run(["ingest", "--quiet"], settings).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run(["ingest", str(empty), "--quiet"], settings)
    assert proc.returncode == 1 and "would remove all 2 documents" in proc.stderr and "--allow-empty" in proc.stderr
    assert "Rubio" in json.loads(run(["ask", "--json", "Who met Sybiha in Antalya?"], settings).stdout)["answer"]
    proc = run(["ingest", str(empty), "--quiet", "--allow-empty"], settings)
    assert proc.returncode == 0 and "2 removed" in proc.stdout


def test_your_own_documents_are_never_removed_without_saying_so(tmp_path: Path) -> None:
    """A new user's path: their folder is ingested; `ingest --if-empty` (what `make run` does)
    then leaves it alone; ingesting another folder names what it removes before it does."""
    mine = tmp_path / "mydocs"
    mine.mkdir()
    (mine / "leave-policy.txt").write_text("Full-time staff get 25 days of annual leave.\n", encoding="utf-8")
    (mine / "kettle.md").write_text("# Kettle K40\n\nDescale the kettle every four weeks.\n", encoding="utf-8")
    env = {"ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    assert run(["ingest", str(mine), "--quiet"], **env).returncode == 0
    kept = run(["ingest", "--if-empty", "--quiet"], **env, ASSISTANT_CORPUS_DIR=str(ROOT / "seeds"))
    assert kept.returncode == 0 and "already holds 2 documents" in kept.stderr
    asked = run(["ask", "How many days of annual leave do full-time staff get?"], **env)
    assert "25 days" in asked.stdout
    replaced = run(["ingest", str(ROOT / "seeds"), "--quiet"], **env)
    assert replaced.returncode == 0
    assert f"Removing 2 documents that are not in {ROOT / 'seeds'}: kettle.md, leave-policy.txt" in replaced.stderr
    assert "2 removed" in replaced.stdout


def test_the_page_status_says_what_the_last_ingest_removed(tmp_path: Path) -> None:
    from assistant.pipeline import Assistant
    from assistant.web.page import index_status

    mine = tmp_path / "mydocs"
    mine.mkdir()
    (mine / "rota.txt").write_text("The night rota changes on Monday.\n", encoding="utf-8")
    env = {"ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    assert run(["ingest", str(mine), "--quiet"], **env).returncode == 0
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=ROOT / "seeds")
    assert index_status(Assistant(settings), settings) == "1 document indexed."
    assert run(["ingest", str(ROOT / "seeds"), "--quiet"], **env).returncode == 0
    status = index_status(Assistant(settings), settings)
    assert status.startswith("2 documents indexed. The last ingest (")
    assert f"removed 1 document that is not in {ROOT / 'seeds'}: rota.txt." in status


def test_a_guessable_admin_token_is_refused_at_start(seed_settings: Settings) -> None:
    """Failed admin attempts are not counted, so the token itself must be unguessable."""
    proc = run(["serve", "--port", "1"], seed_settings, ASSISTANT_ADMIN_TOKEN="letmein")
    assert proc.returncode == 2 and "ASSISTANT_ADMIN_TOKEN" in proc.stderr and "at least 16" in proc.stderr
    assert "Traceback" not in proc.stderr
