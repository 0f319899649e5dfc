"""A conversation as Markdown or JSON, for the page's export buttons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def to_json(turns: list[dict[str, Any]]) -> str:
    data = {"exported": datetime.now(UTC).isoformat(), "turns": turns}
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_markdown(turns: list[dict[str, Any]]) -> str:
    lines = ["# Conversation with the Istanbul talks assistant", ""]
    for i, turn in enumerate(turns, start=1):
        answer = turn["answer"]
        lines += [f"## Q{i}. {turn['question']}", "", answer["answer"], ""]
        if answer.get("refused"):
            lines += ["*The documents do not answer this.*", ""]
        if answer.get("conflict"):
            lines += ["*The sources disagree on this point.*", ""]
        for c in answer.get("citations", []):
            where = c.get("title") or c["doc_id"]
            quote = " ".join(c["quote"].split())
            lines.append(f"- [{c['n']}] {where} ({c['doc_id']}, characters {c['start']}–{c['end']}): “{quote}”")
        lines.append("")
    return "\n".join(lines)
