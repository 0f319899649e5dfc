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

from .ingest import ingest
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


def run(settings: Settings, runs: int = 5) -> dict[str, Any]:
    ingest_rates = []
    ingest_seconds = []
    chunks = 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            fresh = settings.with_overrides(index_dir=Path(tmp) / "index", chroma_url=None)
            report = ingest(fresh, progress=False)
            chunks = report.chunks_embedded
            ingest_seconds.append(report.seconds)
            ingest_rates.append(report.chunks_embedded / report.seconds)
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
        "corpus": str(settings.corpus_dir),
        "runs": runs,
        "ingest": {
            "chunks": chunks,
            "median_seconds": round(statistics.median(ingest_seconds), 3),
            "median_chunks_per_second": round(statistics.median(ingest_rates), 1),
        },
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
