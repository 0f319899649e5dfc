"""Checking what a user sends, the same way on every way in (CLI, API, Gradio, widget).

A bad question or history gets :class:`InvalidQuestion` with a message in plain words; the
front ends turn it into an exit code or an HTTP status, never a traceback.
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidQuestion
from .text.normalise import words


def validate_question(question: str, max_chars: int) -> str:
    """The question, stripped; :class:`InvalidQuestion` in plain words otherwise."""
    if question is None or not question.strip():
        raise InvalidQuestion("The question is empty. Type a question about the documents.")
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,}. Shorten it and ask again."
        )
    bad = [ch for ch in question if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"]
    if bad:
        raise InvalidQuestion(
            f"The question contains a control character (U+{ord(bad[0]):04X}). Remove it and ask again."
        )
    cleaned = " ".join(question.split())
    if not words(cleaned):
        raise InvalidQuestion("The question has no words in it. Type a question about the documents.")
    return cleaned


def is_history(data: object, roles: tuple[str, ...] = ("user", "assistant")) -> bool:
    """Whether ``data`` is a conversation: a list of ``{"role": ..., "content": "..."}``."""
    return isinstance(data, list) and all(
        isinstance(t, dict) and t.get("role") in roles and isinstance(t.get("content"), str) for t in data
    )
