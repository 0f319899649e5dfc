"""Thumbs up/down on answers, appended to a JSON Lines file with what was asked and shown."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()


def record(path: Path, turn: dict[str, Any], liked: bool, source: str = "page") -> dict[str, Any]:
    answer = turn["answer"]
    entry = {
        "time": datetime.now(UTC).isoformat(),
        "rating": "up" if liked else "down",
        "source": source,
        "question": turn["question"],
        "answer": answer["answer"],
        "refused": answer["refused"],
        "conflict": answer["conflict"],
        "citations": answer["citations"],
        "backend": answer.get("backend"),
        "model": answer.get("model"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK, path.open("a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    return entry
