"""Checking what a user sends, the same way on every way in (CLI, API, Gradio, widget).

A bad question or history gets :class:`InvalidQuestion` with a message in plain words; the
front ends turn it into an exit code or an HTTP status, never a traceback.
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidQuestion
from .text.normalise import JOINERS, canonical, joiner_in_use, words


def validate_question(question: object, max_chars: int) -> str:
    """The question, stripped; :class:`InvalidQuestion` in plain words otherwise."""
    if not isinstance(question, str):
        raise InvalidQuestion("The question must be text.")
    if not question.strip():
        raise InvalidQuestion("The question is empty. Type a question about the documents.")
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,}. Shorten it and ask again."
        )
    broken = [ch for ch in question if unicodedata.category(ch) == "Cs"]
    if broken:  # a lone surrogate: bytes that were not valid UTF-8, or a broken escape
        raise InvalidQuestion(
            "The question contains something that is not valid text (a byte sequence that is not UTF-8). "
            "Retype it and ask again."
        )
    question = canonical(question)  # checked as it will be read: NFKC may lengthen it, or change letters
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"The question is {len(question):,} characters long once its compatibility forms are spelled out "
            f"(NFKC); the limit is {max_chars:,}. Shorten it and ask again."
        )
    bad = [
        ch
        for i, ch in enumerate(question)
        if unicodedata.category(ch) in ("Cc", "Cf")
        and ch not in "\t\n\r"
        and not (ch in JOINERS and joiner_in_use(question, i))
    ]
    if bad:
        raise InvalidQuestion(
            f"The question contains a control or invisible character (U+{ord(bad[0]):04X}). Remove it and ask again."
        )
    cleaned = " ".join(question.split())
    if not words(cleaned):
        raise InvalidQuestion("The question has no words in it. Type a question about the documents.")
    return cleaned


HISTORY_SHAPE = '"history" must be a list of {"role": "user"|"assistant", "content": "..."}'


def is_history(data: object, roles: tuple[str, ...] = ("user", "assistant")) -> bool:
    """Whether ``data`` is a conversation: a list of ``{"role": ..., "content": "..."}``."""
    return isinstance(data, list) and all(
        isinstance(t, dict) and t.get("role") in roles and isinstance(t.get("content"), str) for t in data
    )


def validate_history(
    data: object, max_turns: int, max_chars: int, roles: tuple[str, ...] = ("user", "assistant")
) -> list[dict[str, str]]:
    """A conversation fit to answer against, or :class:`InvalidQuestion` saying what is wrong:
    its shape, more than ``max_turns`` earlier questions, or a turn longer than ``max_chars``."""
    if data is None:
        return []
    if not is_history(data, roles):
        raise InvalidQuestion(HISTORY_SHAPE + ".")
    history: list[dict[str, str]] = data  # type: ignore[assignment]
    if len(history) > 2 * max_turns:
        raise InvalidQuestion(f"At most {max_turns} earlier turns are accepted; this conversation has {len(history)}.")
    for turn in history:
        if len(turn["content"]) > max_chars or any(unicodedata.category(ch) == "Cs" for ch in turn["content"]):
            raise InvalidQuestion(
                f"A turn of the conversation is longer than {max_chars:,} characters or not valid text."
            )
    return [{"role": t["role"], "content": t["content"]} for t in history]


def parse_json(raw: bytes | str, what: str) -> object:
    """JSON from a request body or a file, with every way it can fail as :class:`InvalidQuestion`
    (bad syntax, bad encoding, nesting deep enough to exhaust the parser)."""
    import json

    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise InvalidQuestion(f"{what} is nested too deeply to be a conversation.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidQuestion(f"{what} is not valid JSON ({exc}).") from exc
