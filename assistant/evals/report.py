"""Writing the eval reports: JUnit XML for CI, JSON for tools, Markdown for people."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .scoring import CaseResult

# Shown in the summary; "max" metrics are better when lower.
_LOWER_IS_BETTER = {"uncited_sentence_share", "conflict_false_alarms", "latency_median_ms", "latency_p95_ms"}


def write(
    folder: Path, results: list[CaseResult], metrics: dict[str, float | None], meta: dict[str, Any], gate: list[str]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "junit.xml").write_bytes(junit(results, meta))
    data: dict[str, Any] = {"meta": meta, "metrics": metrics, "gate": {"passed": not gate, "failures": gate}}
    data["cases"] = [r.to_json() for r in results]
    (folder / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "summary.md").write_text(markdown(results, metrics, meta, gate), encoding="utf-8")


def junit(results: list[CaseResult], meta: dict[str, Any]) -> bytes:
    failures = sum(not r.passed for r in results)
    suite = ET.Element(
        "testsuite",
        name=f"{meta.get('suite', 'golden')} ({meta['backend']})",
        tests=str(len(results)),
        failures=str(failures),
        time=f"{sum(r.latency_ms for r in results) / 1000:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for key in ("suite", "held_out", "backend", "model", "golden_sha256", "prompts", "weights"):
        ET.SubElement(props, "property", name=key, value=json.dumps(meta.get(key)))
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"golden.{r.kind}",
            name=f"{r.id}: {r.question}",
            time=f"{r.latency_ms / 1000:.3f}",
        )
        if not r.passed:
            failure = ET.SubElement(case, "failure", message="; ".join(r.reasons))
            failure.text = f"answer: {r.answer}"
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def markdown(results: list[CaseResult], metrics: dict[str, float | None], meta: dict[str, Any], gate: list[str]) -> str:
    passed = sum(r.passed for r in results)
    lines = [
        "# Eval summary",
        "",
        f"**{'PASS' if not gate else 'FAIL'}** — {passed}/{len(results)} cases passed. "
        f"Backend `{meta['backend']}`, model `{meta.get('model') or 'none'}`, "
        f"golden set `{meta['golden']}` (sha256 `{meta['golden_sha256'][:12]}`) on `{meta.get('corpus')}`; "
        f"{'held out: never fitted or tuned on' if meta.get('held_out') else 'not held out'}.",
        "",
        "Prompts: "
        + (", ".join(f"`{p['name']}` v{p['version']} ({p['sha256'][:12]})" for p in meta["prompts"]) or "none"),
        "",
        "| metric | value |",
        "| --- | --- |",
    ]
    for name, value in metrics.items():
        note = " (lower is better)" if name in _LOWER_IS_BETTER else ""
        lines.append(f"| {name}{note} | {'n/a' if value is None else value} |")
    if gate:
        lines += ["", "## Gate failures", ""] + [f"- {g}" for g in gate]
    failed = [r for r in results if not r.passed]
    if failed:
        lines += ["", "## Failed cases", ""]
        for r in failed:
            lines += [
                f"### {r.id} ({r.kind}): {r.question}",
                "",
                f"- why: {'; '.join(r.reasons)}",
                f"- answer: {r.answer}",
                "",
            ]
    return "\n".join(lines) + "\n"


def write_index(
    folder: Path, suites: list[Any], failures: dict[str, list[str]], metas: dict[str, dict[str, Any]]
) -> None:
    """``summary.md`` at the top of the report folder: one line per suite, held-out ones marked."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Eval suites", "", "| suite | held out | gate | report |", "| --- | --- | --- | --- |"]
    for suite in suites:
        state = "FAIL" if failures.get(suite.name) else "pass"
        held = "yes" if suite.held_out else "no"
        lines.append(f"| {suite.name} | {held} | {state} | [{suite.name}/summary.md]({suite.name}/summary.md) |")
    (folder / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
