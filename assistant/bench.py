"""``assistant bench``: ingest throughput and question latency, as medians over repeated runs.

Speed is measured here rather than asserted in tests, because a shared 2-core machine is
noisy; medians and ratios are what the closing notes report.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .indexing.ingest import ingest
from .pipeline import Assistant
from .settings import Settings

GOLDEN = Path("evals/golden.jsonl")
SQUAD = Path("evals/squad")


def run(settings: Settings, runs: int = 5, copies: int = 50) -> dict[str, Any]:
    result: dict[str, Any] = {"corpus": str(settings.corpus_dir), "runs": runs}
    result["ingest"] = _ingest(settings, runs, Path(settings.corpus_dir))
    with tempfile.TemporaryDirectory() as tmp:
        big = _replicate(Path(settings.corpus_dir), Path(tmp) / "corpus", copies)
        result[f"ingest_x{copies}"] = _ingest(settings.with_overrides(corpus_dir=big), max(1, runs // 2), big)
    questions = [json.loads(line)["question"] for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        result["seeds"] = _questions(settings, runs, Path(settings.corpus_dir), questions, Path(tmp))
    if (SQUAD / "validation.jsonl").exists():
        lines = (SQUAD / "validation.jsonl").read_text(encoding="utf-8").splitlines()
        squad_questions = [json.loads(line)["question"] for line in lines[::16] if line]
        with tempfile.TemporaryDirectory() as tmp:
            corpus = _two_thousand(Path(tmp) / "corpus")
            result["corpus_2k"] = _questions(settings, max(1, runs // 2), corpus, squad_questions, Path(tmp))
    return result


def _two_thousand(target: Path) -> Path:
    """About 2,000 chunks of real text: the ten SQuAD articles, and each again with its
    paragraphs in reverse order under another name (so chunk boundaries and neighbours differ)."""
    target.mkdir(parents=True)
    for path in sorted(SQUAD.glob("corpus-*/*.txt")):
        text = path.read_text(encoding="utf-8")
        (target / path.name).write_text(text, encoding="utf-8")
        paragraphs = text.split("\n\n")
        (target / f"reversed-{path.name}").write_text("\n\n".join(reversed(paragraphs)), encoding="utf-8")
    return target


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


def _questions(settings: Settings, runs: int, corpus: Path, questions: list[str], tmp: Path) -> dict[str, Any]:
    """Median and p95 of retrieval and of a whole offline answer, on a fresh index of ``corpus``."""
    fresh = settings.with_overrides(index_dir=tmp / "index", corpus_dir=corpus).model_copy(
        update={"chroma_url": None, "backend": "extractive"}
    )
    report = ingest(fresh, [corpus], progress=False)
    assistant = Assistant(fresh)
    assistant.ask(questions[0])  # warm-up: loads the model and the snapshot
    retrieve, answer = [], []
    for _ in range(runs):
        for q in questions:
            t0 = time.perf_counter()
            assistant.retriever.search(q, fresh.top_k)
            retrieve.append((time.perf_counter() - t0) * 1000)
            t1 = time.perf_counter()
            assistant.ask(q)
            answer.append((time.perf_counter() - t1) * 1000)
    return {
        "chunks": report.chunks_total,
        "questions": len(questions),
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
