"""Spotting requests that are not questions about the documents.

Instructions hidden in a question ("ignore your instructions and ...") and tasks unrelated to
the corpus (poems, code, translation) are refused before retrieval, whatever backend answers.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|prompt|rule|guideline|context|above|previous|system)",
    r"\bsystem\s+prompt\b",
    r"\b(you\s+are\s+now|pretend\s+(to\s+be|you)|act\s+as|roleplay|role-play|jailbreak|developer\s+mode|dan\s+mode)\b",
    r"\b(reveal|print|show|repeat|output)\b.{0,30}\b(your|the)\s+(instructions|prompt|rules|configuration)",
    r"\b(write|compose|generate|create)\b.{0,30}\b(poem|story|song|essay|joke|code|script|program|limerick|haiku|email)\b",
    r"\btranslate\b",
    r"^\s*(hi|hello|hey|thanks|thank\s+you)\W*$",
]
_COMPILED = [re.compile(p, re.I) for p in _PATTERNS]


def off_limits(question: str) -> bool:
    """True when the request is an instruction or an unrelated task rather than a question."""
    return any(p.search(question) for p in _COMPILED)
