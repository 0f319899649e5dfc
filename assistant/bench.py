"""``assistant bench``: ingest throughput and question latency, as medians over repeated runs.

Speed is measured here rather than asserted in tests, because a shared 2-core machine is
noisy; medians and ratios are what the closing notes report.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .indexing.ingest import ingest
from .pipeline import Assistant
from .settings import Settings

QUESTIONS = [
    "Who leads the Ukrainian delegation?",
    "Who heads the Russian delegation?",
    "Is Zelensky attending the talks in Istanbul?",
    "Who is in the Kremlin's negotiating team?",
    "What did Lula say?",
    "Where are the talks believed to be taking place?",
    "How many people were killed in Sumy?",
    "What is the capital of France?",
]


def run(settings: Settings, runs: int = 5, scale: int = 50) -> dict[str, Any]:
    result = {"corpus": str(settings.corpus_dir), "runs": runs}
    result["ingest"] = _ingest(settings, runs, Path(settings.corpus_dir))
    with tempfile.TemporaryDirectory() as tmp:
        big = _replicate(Path(settings.corpus_dir), Path(tmp) / "corpus", scale)
        result[f"ingest_x{scale}"] = _ingest(settings.with_overrides(corpus_dir=big), max(1, runs // 2), big)
    result.update(_questions(settings, runs))
    return result


def _replicate(source: Path, target: Path, copies: int) -> Path:
    """The corpus ``copies`` times under distinct names: steady-state throughput, not start-up."""
    target.mkdir(parents=True)
    for i in range(copies):
        for path in sorted(source.iterdir()):
            if path.is_file():
                (target / f"{i:03d}-{path.name}").write_bytes(path.read_bytes())
    return target


def _ingest(settings: Settings, runs: int, corpus: Path) -> dict[str, Any]:
    ingest_rates = []
    ingest_seconds = []
    chunks = 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            fresh = settings.with_overrides(index_dir=Path(tmp) / "index", chroma_url=None)
            report = ingest(fresh, [corpus], progress=False)
            chunks = report.chunks_embedded
            ingest_seconds.append(report.seconds)
            ingest_rates.append(report.chunks_embedded / report.seconds)
    return {
        "documents": len(report.added),
        "chunks": chunks,
        "median_seconds": round(statistics.median(ingest_seconds), 3),
        "median_chunks_per_second": round(statistics.median(ingest_rates), 1),
    }


def _questions(settings: Settings, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = settings.with_overrides(index_dir=Path(tmp) / "index", chroma_url=None)
        ingest(fresh, progress=False)
        assistant = Assistant(fresh)
        assistant.ask(QUESTIONS[0])  # warm-up: loads the model and the snapshot
        retrieve, answer = [], []
        for _ in range(runs):
            for q in QUESTIONS:
                t0 = time.perf_counter()
                assistant.retriever.search(q, fresh.top_k)
                retrieve.append((time.perf_counter() - t0) * 1000)
                t1 = time.perf_counter()
                assistant.ask(q)
                answer.append((time.perf_counter() - t1) * 1000)
    return {
        "retrieval_ms": _summary(retrieve),
        "answer_ms": _summary(answer),
    }


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "n": len(ordered),
    }
