"""Loading a golden set: one JSON case a line, in the public schema documented in the README."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("fact", "conflict", "unanswerable", "followup")


class GoldenError(Exception):
    """The golden file cannot be used; the message names the line."""


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    facts: list[list[str]]
    sources: list[str]
    kind: str
    turns: list[str] = field(default_factory=list)
    article: str | None = None  # optional: the document the question was written against
    category: str | None = None  # optional: what the case tests, for reports by category

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(path: Path) -> list[Case]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldenError(f"{path}: cannot be read ({exc})") from exc
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except RecursionError as exc:
            raise GoldenError(f"{where}: nested too deeply to be a golden case") from exc
        except ValueError as exc:
            raise GoldenError(f"{where}: not valid JSON ({exc.args[0]})") from exc
        case = _case(data, where)
        if case.id in seen:
            raise GoldenError(f"{where}: the id {case.id!r} is used twice")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise GoldenError(f"{path}: holds no cases")
    return cases


def _case(data: Any, where: str) -> Case:
    if not isinstance(data, dict):
        raise GoldenError(f"{where}: each line must be a JSON object")
    for key in ("id", "question", "facts", "sources", "kind"):
        if key not in data:
            raise GoldenError(f"{where}: missing the field {key!r}")
    if not isinstance(data["id"], str) or not data["id"]:
        raise GoldenError(f"{where}: 'id' must be a non-empty string")
    if not isinstance(data["question"], str) or not data["question"].strip():
        raise GoldenError(f"{where}: 'question' must be a non-empty string")
    facts = data["facts"]
    if not isinstance(facts, list) or not all(
        isinstance(g, list) and g and all(isinstance(a, str) and a.strip() for a in g) for g in facts
    ):
        raise GoldenError(f"{where}: 'facts' must be a list of non-empty lists of strings")
    if not isinstance(data["sources"], list) or not all(isinstance(s, str) for s in data["sources"]):
        raise GoldenError(f"{where}: 'sources' must be a list of document ids")
    kind = data["kind"]
    if kind not in KINDS:
        raise GoldenError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    turns = data.get("turns", [])
    if kind == "followup":
        if not isinstance(turns, list) or len(turns) < 2 or not all(isinstance(t, str) for t in turns):
            raise GoldenError(f"{where}: a followup case needs 'turns', at least two questions")
        if turns[-1] != data["question"]:
            raise GoldenError(f"{where}: the last of 'turns' must equal 'question'")
    if kind == "unanswerable" and (facts or data["sources"]):
        raise GoldenError(f"{where}: an unanswerable case has empty 'facts' and 'sources'")
    if kind != "unanswerable" and not facts:
        raise GoldenError(f"{where}: a {kind} case needs at least one fact group")
    article = data.get("article")
    if article is not None and not isinstance(article, str):
        raise GoldenError(f"{where}: 'article' must be a document id")
    category = data.get("category")
    if category is not None and not isinstance(category, str):
        raise GoldenError(f"{where}: 'category' must be a string")
    return Case(data["id"], data["question"], facts, list(data["sources"]), kind, list(turns), article, category)
