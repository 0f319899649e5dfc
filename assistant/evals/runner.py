"""``assistant eval``: run every golden case through :meth:`Assistant.ask`, score, gate, report.

Exit status: 0 the gate passed, 1 it failed, 2 the suite could not run.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import AssistantError
from ..pipeline import Assistant
from ..settings import Settings
from . import gate, golden, report
from .judge import Judge, configured, summarise
from .scoring import CaseResult, aggregate, score_case

EVALS_DIR = Path("evals")


@dataclass
class EvalOptions:
    golden: Path = EVALS_DIR / "golden.jsonl"
    report_dir: Path = EVALS_DIR / "reports"
    floors: Path = EVALS_DIR / "floors.toml"
    baseline: Path = EVALS_DIR / "baseline.json"
    update_baseline: bool = False
    judge_cache: Path = EVALS_DIR / ".cache" / "judge"


def run_case(assistant: Assistant, case: golden.Case) -> tuple[dict[str, Any], list[str], float]:
    """Ask a case's turns in order, keeping the history, and return the scored turn's answer."""
    history: list[dict[str, str]] = []
    for turn in case.turns[:-1]:
        earlier = assistant.ask(turn, history)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": earlier.answer}]
    started = time.perf_counter()
    try:
        answer = assistant.ask(case.question, history)
    except AssistantError as exc:
        latency = (time.perf_counter() - started) * 1000
        return {"answer": f"error: {exc.message}", "refused": True, "citations": [], "retrieved": []}, [], latency
    latency = (time.perf_counter() - started) * 1000
    return answer.to_json(), [r.chunk.text for r in answer.retrieved], latency


def run(settings: Settings, options: EvalOptions, out: Any = None) -> int:
    out = out or sys.stdout
    try:
        cases = golden.load(options.golden)
        floors = gate.Floors.load(options.floors, settings.answer_backend)
        baseline = None if options.update_baseline else gate.load_baseline(options.baseline)
        assistant = Assistant(settings)
        texts = assistant.retriever.snapshot.texts
    except golden.GoldenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AssistantError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2

    judge = Judge(settings, options.judge_cache) if configured(settings) else None
    results: list[CaseResult] = []
    for case in cases:
        answer, retrieved_texts, latency = run_case(assistant, case)
        result = score_case(case, answer, retrieved_texts, texts, latency)
        if judge is not None:
            result.judged = judge.grade(case, result)
        results.append(result)

    metrics = aggregate(results)
    if judge is not None:
        metrics.update(summarise([r.judged for r in results if r.judged]))
    used = []
    if settings.answer_backend == "openai":
        used += [assistant.generator.answer_prompt, assistant.generator.rewrite_prompt]
    if judge is not None:
        used += [judge.claim_prompt, judge.answer_prompt]
    meta = {
        "backend": settings.answer_backend,
        "model": settings.llm_model if settings.answer_backend == "openai" else None,
        "judge_model": judge.model if judge else None,
        "prompts": [p.describe() for p in used],
        "golden": str(options.golden),
        "golden_sha256": golden.file_hash(options.golden),
        "embedder": assistant.retriever.snapshot.embedder,
        "assistant_version": __version__,
        "top_k": settings.top_k,
    }
    failures = gate.check(metrics, floors, results, baseline, settings.answer_backend)
    report.write(options.report_dir, results, metrics, meta, failures)
    if options.update_baseline:
        gate.write_baseline(options.baseline, results, meta)

    width = max(len(k) for k in metrics)
    print(f"{sum(r.passed for r in results)}/{len(results)} cases passed ({settings.answer_backend})", file=out)
    for name, value in metrics.items():
        print(f"  {name:<{width}}  {'n/a' if value is None else value}", file=out)
    if judge is not None:
        print(f"  judge: {judge.calls} calls, {judge.cache_hits} cached", file=out)
    for r in results:
        if not r.passed:
            print(f"FAIL {r.id} ({r.kind}) {r.question}: {'; '.join(r.reasons)}", file=out)
    for failure in failures:
        print(f"gate: {failure}", file=out)
    print(f"reports in {options.report_dir}/ (junit.xml, report.json, summary.md)", file=out)
    if options.update_baseline:
        print(f"baseline written to {options.baseline}", file=out)
    return 1 if failures else 0
