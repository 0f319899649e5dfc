"""`assistant bench --scale`: every figure the README quotes comes out of one command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.server  # it starts `assistant serve`
def test_scale_bench_reports_every_step(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "bench", "--scale", "400", "--runs", "1", "--scale-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["corpus"]["documents"] > 5 and result["first_ingest"]["chunks"] >= 300
    assert result["first_ingest"]["chunks_per_second"] > 0 and result["first_ingest"]["peak_mb"] > 0
    parts = result["reference"]  # the parts' own rates, measured in the same run
    assert parts["wordllama_chunks_per_second_one_thread"] > 0 and parts["chroma_adds_per_second"] > 0
    assert parts["chroma_vectors_added"] == result["first_ingest"]["chunks"]
    assert 0 < parts["python_start_seconds"] < parts["import_chromadb_seconds"]
    assert result["first_ingest"]["over_chroma_add"] > 0 and result["first_ingest"]["over_wordllama_one_thread"] > 0
    first = result["first_ingest"]  # the ingest's own time, and the whole command's (start, calibration)
    assert 0 < first["ingest_seconds"] < first["seconds"] and first["command_chunks_per_second"] > 0
    assert "over_import_chromadb" in result["cold_start_to_first_answer"]
    reingest = result["unchanged_reingest"]
    assert reingest["index_mb_after"] == reingest["index_mb_before"] > 0
    assert result["one_changed_document"]["median_ingest_seconds"] > 0
    serving = result["serving"]
    assert serving["chunks"] == result["first_ingest"]["chunks"] and serving["questions"] == 100
    assert serving["dense_ms"] > 0 and 0 < serving["hybrid_ms"] < serving["answer_ms"]
    server = result["server"]
    assert server["started_rss_mb"] > 50 and server["vmrss_mb"] >= server["rssanon_mb"] > 0
    assert server["request_ms"] > 0 and server["first_answer_seconds"] >= server["ready_seconds"] > 0
