"""The CI gate: per-metric floors from one file, and no regression against the baseline."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .golden import GoldenError
from .scoring import CaseResult


@dataclass
class Floors:
    """``min`` metrics must be at least their floor, ``max`` metrics at most their ceiling."""

    minimum: dict[str, float]
    maximum: dict[str, float]

    @classmethod
    def load(cls, path: Path, suite: str, backend: str = "extractive") -> Floors:
        """The floors of a suite for a backend (``[golden.extractive.min]``, ...); none if absent."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise GoldenError(f"{path}: cannot be read as TOML ({exc})") from exc
        table = data.get(suite, {}).get(backend, {})
        return cls(
            {k: float(v) for k, v in table.get("min", {}).items()},
            {k: float(v) for k, v in table.get("max", {}).items()},
        )


def check(
    metrics: dict[str, float | None],
    floors: Floors,
    results: list[CaseResult],
    baseline: dict[str, Any] | None,
    backend: str = "extractive",
) -> list[str]:
    """Every reason the gate fails; empty means pass. The baseline counts for its own backend."""
    failures = []
    for name, floor in floors.minimum.items():
        value = metrics.get(name)
        if name not in metrics:
            failures.append(f"floor on unknown metric {name!r}")
        elif value is not None and value < floor:  # None: no case this metric applies to
            failures.append(f"{name} = {value} is below its floor {floor}")
    for name, ceiling in floors.maximum.items():
        value = metrics.get(name)
        if name not in metrics:
            failures.append(f"ceiling on unknown metric {name!r}")
        elif value is not None and value > ceiling:
            failures.append(f"{name} = {value} is above its ceiling {ceiling}")
    if baseline and baseline.get("backend") == backend:
        before = baseline.get("cases", {})
        for r in results:
            if before.get(r.id, {}).get("passed") and not r.passed:
                failures.append(f"regression: {r.id} passed in the baseline and fails now ({'; '.join(r.reasons)})")
    return failures


def load_baseline(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise GoldenError(f"{path}: not valid JSON ({exc})") from exc


def write_baseline(path: Path, results: dict[str, list[CaseResult]], metas: dict[str, dict[str, Any]]) -> None:
    """Per suite, one case a line, so a change to the baseline reads well in a diff."""
    lines = ["{", '  "suites": {']
    for i, (name, rows) in enumerate(results.items()):
        lines.append(f"    {json.dumps(name)}: {{")
        lines.append(f'      "golden_sha256": {json.dumps(metas[name]["golden_sha256"])},')
        lines.append(f'      "backend": {json.dumps(metas[name]["backend"])},')
        lines.append('      "cases": {')
        ordered = sorted(rows, key=lambda r: r.id)
        for j, r in enumerate(ordered):
            comma = "," if j < len(ordered) - 1 else ""
            lines.append(f"        {json.dumps(r.id)}: {json.dumps({'passed': r.passed})}{comma}")
        lines.append("      }")
        lines.append("    }" + ("," if i < len(results) - 1 else ""))
    lines += ["  }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
