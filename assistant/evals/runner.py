"""``assistant eval``: run golden sets through :meth:`Assistant.ask`, score, gate, report.

By default every suite of ``evals/suites.toml`` runs, each against its own corpus, and each is
reported and gated on its own; ``--suite`` picks some, ``--golden FILE`` runs one file against
the configured index. Exit status: 0 the gate passed, 1 it failed, 2 the suite could not run.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..errors import AssistantError
from ..indexing import snapshot as snapshots
from ..pipeline import Assistant
from ..settings import Settings
from . import claims, gate, golden, report
from .corpora import index_settings
from .judge import Judge, configured, summarise
from .scoring import CaseResult, aggregate, score_case
from .suites import SUITES, Suite, ad_hoc
from .suites import load as load_suites

EVALS_DIR = Path("evals")


@dataclass
class EvalOptions:
    suites: list[str] = field(default_factory=list)  # empty: all of suites.toml
    golden: Path | None = None  # one file against the configured index instead
    suites_file: Path = SUITES
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


def _selected(options: EvalOptions) -> list[Suite]:
    if options.golden is not None:
        return [ad_hoc(options.golden)]
    available = load_suites(options.suites_file)
    unknown = [s for s in options.suites if s not in available]
    if unknown:
        raise golden.GoldenError(f"no suite named {', '.join(unknown)} in {options.suites_file}")
    return [available[s] for s in (options.suites or list(available))]


def run(settings: Settings, options: EvalOptions, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        chosen = _selected(options)
        baseline = None if options.update_baseline else gate.load_baseline(options.baseline)
        for suite in chosen:  # every file is checked before anything runs
            if suite.claims:
                claims.load(suite.golden, "validation" if suite.claims == "paragraphs" else suite.claims)
            else:
                _ = [golden.load(path) for path in suite.golden_files()]
    except golden.GoldenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    judge = Judge(settings, options.judge_cache) if configured(settings) else None
    failures: dict[str, list[str]] = {}
    results_by_suite: dict[str, list[CaseResult]] = {}
    metas: dict[str, dict[str, Any]] = {}
    for suite in chosen:
        try:
            outcome = _run_suite(settings, suite, options, judge, baseline, out)
        except (golden.GoldenError, AssistantError) as exc:
            print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
            return 2
        failures[suite.name], results_by_suite[suite.name], metas[suite.name] = outcome
    if options.update_baseline:
        keep = [s for s in chosen if s.baseline]
        gate.write_baseline(options.baseline, {s.name: results_by_suite[s.name] for s in keep}, metas)
        print(f"baseline written to {options.baseline}", file=out)
    report.write_index(options.report_dir, chosen, failures, metas)
    failed = [name for name, f in failures.items() if f]
    print(f"reports in {options.report_dir}/ (summary.md, and per suite junit.xml, report.json, summary.md)", file=out)
    print("gate: " + ("FAILED in " + ", ".join(failed) if failed else "passed"), file=out)
    return 1 if failed else 0


def _run_suite(
    settings: Settings,
    suite: Suite,
    options: EvalOptions,
    judge: Judge | None,
    baseline: dict[str, Any] | None,
    out: TextIO,
) -> tuple[list[str], list[CaseResult], dict[str, Any]]:
    if suite.claims:
        return _run_claims(settings, suite, options, out)
    results: list[CaseResult] = []
    for assistant, cases in _corpora(settings, suite):
        texts = assistant.retriever.snapshot.texts
        for case in cases:
            answer, retrieved_texts, latency = run_case(assistant, case)
            result = score_case(case, answer, retrieved_texts, texts, latency)
            if judge is not None:
                result.judged = judge.grade(case, result)
            results.append(result)
    metrics = aggregate(results)
    categories = _by_category(results)
    if judge is not None:
        metrics.update(summarise([r.judged for r in results if r.judged]))
    backend = settings.answer_backend
    used = []
    if backend == "openai":
        used += [assistant.generator.answer_prompt, assistant.generator.rewrite_prompt]
        if settings.second_reader:
            used.append(assistant.generator.reader_prompt)
    if judge is not None:
        used += [judge.claim_prompt, judge.answer_prompt]
    meta: dict[str, Any] = {
        "suite": suite.name,
        "about": suite.about,
        "held_out": suite.held_out,
        "backend": backend,
        "model": settings.llm_model if backend == "openai" else None,
        "judge_model": judge.model if judge else None,
        "prompts": [p.describe() for p in used],
        "golden": str(suite.golden),
        "golden_sha256": suite_hash(suite),
        "corpus": _corpus_name(suite, settings),
        "embedder": assistant.retriever.snapshot.embedder,
        "weights": assistant.model.meta.get("data", {}).get("fit_sha256"),
        "assistant_version": __version__,
        "top_k": settings.top_k,
    }
    if categories:
        meta["by_category"] = categories
    floors = gate.Floors.load(options.floors, suite.name, backend)
    suite_baseline = (baseline or {}).get("suites", {}).get(suite.name) if suite.baseline else None
    failures = gate.check(metrics, floors, results, suite_baseline, backend)
    report.write(options.report_dir / suite.name, results, metrics, meta, failures)

    width = max(len(k) for k in metrics)
    label = "held out" if suite.held_out else "not held out"
    print(f"\n== {suite.name} ({label}; {backend}): {sum(r.passed for r in results)}/{len(results)} passed", file=out)
    for name, value in metrics.items():
        print(f"  {name:<{width}}  {'n/a' if value is None else value}", file=out)
    for category, figures in categories.items():
        print(f"  [{category}] {figures}", file=out)
    if judge is not None:
        print(f"  judge: {judge.calls} calls, {judge.cache_hits} cached", file=out)
    shown = [r for r in results if not r.passed]
    for r in shown[:10]:
        print(f"  FAIL {r.id} ({r.kind}) {r.question}: {'; '.join(r.reasons)}", file=out)
    if len(shown) > 10:
        print(
            f"  ... and {len(shown) - 10} more failed cases in {options.report_dir / suite.name}/summary.md", file=out
        )
    for failure in failures:
        print(f"  gate: {failure}", file=out)
    return failures, results, meta


def _by_category(results: list[CaseResult]) -> dict[str, dict[str, float | int]]:
    """Per category of case (when the golden set gives them): how many passed, and how many
    were answered "The sources disagree"."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        if r.category:
            groups.setdefault(r.category, []).append(r)
    return {
        name: {
            "cases": len(rows),
            "pass_rate": round(sum(r.passed for r in rows) / len(rows), 4),
            "disagreement_reported": round(sum(r.conflict for r in rows) / len(rows), 4),
        }
        for name, rows in sorted(groups.items())
    }


def _corpora(settings: Settings, suite: Suite) -> Iterator[tuple[Assistant, list[golden.Case]]]:
    """Each corpus of the suite with the questions asked of it: one, or one per set."""
    if suite.sets is not None:
        for path in suite.golden_files():
            yield Assistant(index_settings(settings, path.parent)), golden.load(path)
        return
    cases = golden.load(suite.golden)
    if suite.expect_refusal:
        cases = [replace(c, facts=[], sources=[], kind="unanswerable", turns=[]) for c in cases]
    yield Assistant(index_settings(settings, suite.corpus) if suite.corpus is not None else settings), cases


def _corpus_name(suite: Suite, settings: Settings) -> str:
    if suite.sets is not None:
        return f"each folder of {suite.sets}"
    return " + ".join(map(str, suite.corpus)) if suite.corpus else str(settings.index_dir)


def suite_hash(suite: Suite) -> str:
    """The golden file's sha256; for a suite of sets, of every file of every set."""
    if suite.sets is None:
        return golden.file_hash(suite.golden)
    digest = hashlib.sha256()
    for path in sorted(p for p in suite.sets.rglob("*") if p.is_file()):
        digest.update(path.relative_to(suite.sets).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _second_reader(
    settings: Settings, labelled: list[claims.LabelledClaim], statuses: list[str | None], out: TextIO
) -> dict[str, Any] | None:
    """With an LLM backend, each claim the offline check leaves unconfirmed is put to the model
    as the answerer's second reader would put it (one call per claim, with its evidence); the
    statuses are updated in place. Returns what the calls did."""
    if not settings.second_reader:
        return None
    from ..answering import prompts
    from ..answering.generative import second_reading
    from ..answering.llm import ChatModel

    model, prompt = ChatModel(settings), prompts.load("second_reader")
    seconds, verdicts = [], []
    for i, (claim, status) in enumerate(zip(labelled, statuses, strict=True)):
        if status != "unconfirmed":
            continue
        (verdict,), record = second_reading(model, prompt, [(claim.claim, claim.evidence)])
        seconds.append(record["seconds"])
        verdicts.append(verdict)
        statuses[i] = {"supported": "confirmed", "contradicted": None}.get(verdict or "", status)
    print(f"  second reader ({settings.llm_model}): {len(verdicts)} calls", file=out)
    return {
        "model": settings.llm_model,
        "prompt": prompt.describe(),
        "calls": len(verdicts),
        "supported": verdicts.count("supported"),
        "contradicted": verdicts.count("contradicted"),
        "not_stated": verdicts.count("not stated"),
        "unusable": verdicts.count(None),
        "seconds_median": round(statistics.median(seconds), 3) if seconds else None,
    }


def _run_claims(
    settings: Settings, suite: Suite, options: EvalOptions, out: TextIO
) -> tuple[list[str], list[CaseResult], dict[str, Any]]:
    """A claim-check suite: each labelled claim judged as the verifier judges an LLM sentence."""
    from ..answering.check import thresholds

    limits = thresholds()
    part = suite.claims or "validation"
    labelled = claims.load(suite.golden, "validation" if part == "paragraphs" else part)
    suite_settings = index_settings(settings, suite.corpus) if suite.corpus is not None else settings
    snapshot = snapshots.load(Path(suite_settings.index_dir))
    if part == "paragraphs":
        labelled = claims.in_paragraphs(snapshot, labelled)
    results, statuses = [], []
    for c in labelled:
        started = time.perf_counter()
        reading = claims.judge(snapshot, c)
        status = reading.status(limits)
        statuses.append(status)
        right = (
            (status is not None)
            if c.supported
            else (status != "confirmed" and (status is None or c.kind not in claims.VALUE_KINDS))
        )
        why = reading.reason(limits)
        verdict = f"{status or 'dropped'} (support {reading.support:.3f}{'; ' + why if why else ''})"
        label = "supported" if c.supported else f"unsupported ({c.kind})"
        reasons = [] if right else [f"{label} claim {verdict}; evidence: {c.evidence}"]
        elapsed = (time.perf_counter() - started) * 1000
        results.append(CaseResult(c.id, c.kind, c.claim, verdict, status is None, False, right, reasons, elapsed))
    reader = _second_reader(settings, labelled, statuses, out) if settings.answer_backend == "openai" else None
    metrics = claims.status_metrics(labelled, statuses)
    backend = "claim-check" if reader is None else "claim-check+second-reader"  # its own floors
    meta: dict[str, Any] = {
        "suite": suite.name, "about": suite.about, "held_out": suite.held_out, "backend": backend,
        "model": reader["model"] if reader else None, "prompts": [reader["prompt"]] if reader else [],
        "golden": str(suite.golden), "golden_sha256": golden.file_hash(suite.golden),
        "corpus": " + ".join(map(str, suite.corpus)) if suite.corpus else str(settings.index_dir),
        "thresholds": limits.to_json() | {"meta": None}, "assistant_version": __version__,
        "second_reader": reader,
    }  # fmt: skip
    floors = gate.Floors.load(options.floors, suite.name, backend)
    failures = gate.check(metrics, floors, results, None, backend)
    report.write(options.report_dir / suite.name, results, metrics, meta, failures)
    label = "held out" if suite.held_out else "not held out"
    print(f"\n== {suite.name} ({label}; claim check): {sum(r.passed for r in results)}/{len(results)} right", file=out)
    for name, value in metrics.items():
        print(f"  {name:<20}  {'n/a' if value is None else value}", file=out)
    for failure in failures:
        print(f"  gate: {failure}", file=out)
    return failures, results, meta
