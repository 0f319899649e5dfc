"""Negation: the one list of words that turn a statement around, and the polarity of a predicate.

"would not be attending" and "is attending" share their content words; only these tell them
apart, so the answerer, the conflict check and the claim check all read them from here.
"""

from __future__ import annotations

from .analysis import stem
from .normalise import words, wordset

# Folded, apostrophe-free forms ("didn't" → "didnt"), as :func:`normalise.words` yields them.
NEGATIONS = wordset(
    """
    not no never neither nor without none nobody nothing cannot refused declined
    wont wouldnt didnt doesnt dont isnt arent wasnt werent cant couldnt hasnt havent
    hadnt shouldnt mustnt neednt
    """
)


def is_negated(text: str) -> bool:
    """Whether any negation word occurs in ``text``."""
    return bool(NEGATIONS.intersection(words(text)))


def polarity(text: str, predicate_terms: set[str], window: int = 5) -> int | None:
    """-1 when the first predicate word in ``text`` is negated, +1 when not, None if absent."""
    tokens = words(text)
    for i, token in enumerate(tokens):
        if stem(token) in predicate_terms:
            return -1 if any(w in NEGATIONS for w in tokens[max(0, i - window) : i]) else 1
    return None
