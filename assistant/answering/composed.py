"""What an answerer hands back, and the fixed sentences a user reads when there is no answer.

Both answerers (extractive and LLM) return a :class:`Composed`, so the pipeline and every
front end treat them alike; the refusal wording lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Citation

REFUSAL = "The documents don't say. Nothing in the indexed documents answers this question."
OFF_LIMITS = (
    "I can only answer questions about the indexed documents, and this request isn't one. "
    "Ask a question about the documents instead."
)
CONFLICT_LEAD = "The sources disagree:"


@dataclass
class Composed:
    """The answer text and what it cites."""

    text: str
    citations: list[Citation]
    refused: bool
    conflict: bool


def refusal() -> Composed:
    return Composed(REFUSAL, [], True, False)
