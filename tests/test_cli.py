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
    proc = run(["ask", "Does Zelensky plan to attend the negotiations in Istanbul?", "--json"], seed_settings)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["conflict"] is True and data["refused"] is False
    assert len({c["doc_id"] for c in data["citations"]}) == 2
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
        ("Who leads\x07 the delegation?", "control character (U+0007)"),
        ("Who\x1b[31m leads?", "control character (U+001B)"),
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
    proc = run(["ask", "Who leads the Ukrainian delegation?"], ASSISTANT_INDEX_DIR=str(tmp_path / "none"))
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
