"""What an answerer hands back, and the fixed sentences a user reads when there is no answer.

Both answerers (extractive and LLM) return a :class:`Composed`, so the pipeline and every
front end treat them alike; the refusal wording lives here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..models import Citation

REFUSAL = "The documents don't say. Nothing in the indexed documents answers this question."
OFF_LIMITS = (
    "I can only answer questions about the indexed documents, and this request isn't one. "
    "Ask a question about the documents instead."
)
CONFLICT_LEAD = "The sources disagree:"
UNCONFIRMED_LABEL = "not confirmed by the cited passage"  # what every front end writes after such a sentence
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")


@dataclass
class Composed:
    """The answer text and what it cites."""

    text: str
    citations: list[Citation]
    refused: bool
    conflict: bool
    # Each shown sentence as written, with its status ("confirmed", "unconfirmed"); None: every
    # sentence is a quote of its source (the extractive answer), so every one is confirmed.
    sentences: list[dict[str, Any]] | None = field(default=None)

    def statuses(self) -> list[dict[str, Any]]:
        """Each sentence of the text with its status, as the front ends show it."""
        if self.refused:
            return []
        if self.sentences is not None:
            return self.sentences
        from ..text.sentences import split_sentences
        from .citations import MARKER

        out: list[dict[str, Any]] = []
        for span in split_sentences(self.text):
            text = span.text
            leading = _LEADING_MARKERS.match(text)
            if leading and out:  # "... end. [1]" splits before the marker: it belongs to the sentence before
                out[-1]["text"] += " " + leading.group(0).strip()
                out[-1]["citations"] += [int(n) for n in MARKER.findall(leading.group(0))]
                text = text[leading.end() :]
            if text.strip():
                out.append({"text": text.strip(), "status": "confirmed", "reason": None,
                            "citations": [int(n) for n in MARKER.findall(text)]})  # fmt: skip
        return out


def refusal() -> Composed:
    return Composed(REFUSAL, [], True, False)


def segments(text: str, sentences: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, unconfirmed) so a front end can mark each unconfirmed sentence
    where it stands."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for sentence in sentences:
        if sentence.get("status") != "unconfirmed":
            continue
        at = text.find(sentence["text"], pos)
        if at < 0:
            continue
        out += [(text[pos:at], False), (sentence["text"], True)]
        pos = at + len(sentence["text"])
    out.append((text[pos:], False))
    return [(piece, unconfirmed) for piece, unconfirmed in out if piece]
