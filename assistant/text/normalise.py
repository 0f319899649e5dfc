"""Text normalisation shared by lexical search, answer scoring and the evals.

One folding rule everywhere keeps "Malmo" and "Malmö", or "defence" quotes with curly
apostrophes, matching the same way in retrieval as in scoring.
"""

from __future__ import annotations

import unicodedata

import regex

# Letters that NFKD does not decompose into base + combining mark.
_EXTRA_FOLDS = str.maketrans(
    {
        "ı": "i",
        "İ": "I",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "–": "-",
        "—": "-",
        "‑": "-",
    }
)

# Letters and digits of any script ("Толстой" is a word too), with an inner apostrophe.
_WORD = regex.compile(r"[\p{L}\p{N}]+(?:'[\p{L}]+)?")


def fold(text: str) -> str:
    """Strip accents and unify quotes and dashes, keeping the text's length-independent meaning."""
    if text.isascii():  # nothing to fold, and most text is: skips a pass over every character
        return text
    text = text.translate(_EXTRA_FOLDS)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Lower-cased, accent-folded word tokens; possessive "'s" is dropped."""
    out = []
    for w in _WORD.findall(fold(text).lower()):
        if w.endswith("'s"):
            w = w[:-2]
        out.append(w.replace("'", ""))
    return [w for w in out if w]


def normalise_for_match(text: str) -> str:
    """Lower-case, accent-fold and reduce punctuation to single spaces, for substring matching."""
    return " " + " ".join(words(text)) + " "


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string, which reads better for long lists."""
    return frozenset(text.split())
