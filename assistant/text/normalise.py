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


def canonical(text: str) -> str:
    """Compatibility forms folded (NFKC): full-width "Ｗｈｏ" is "Who", a ligature "ﬁ" is "fi",
    Arabic presentation forms are letters again. Questions pass through this on the way in, so
    the embedder and the word index see the text the documents are written in."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


# U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER are part of how some scripts are
# written (Persian "می‌خواهم", Indic conjuncts, emoji sequences); between Latin letters, or
# anywhere else, they only hide text (a word that reads the same and matches nothing).
JOINERS = "\u200c\u200d"
_JOINABLE = regex.compile(r"[\p{L}\p{M}\p{So}\p{Sk}]")
_LATIN = regex.compile(r"\p{Script=Latin}")


def joiner_in_use(text: str, at: int) -> bool:
    """Whether the joiner at ``text[at]`` (with any joiners next to it) stands between two
    letters, marks or symbols, neither of them Latin: where a script or an emoji uses it."""
    start, end = at, at + 1
    while start > 0 and text[start - 1] in JOINERS:
        start -= 1
    while end < len(text) and text[end] in JOINERS:
        end += 1
    base = start - 1
    while base > 0 and unicodedata.category(text[base])[0] == "M":  # a mark counts as its letter
        base -= 1
    if start == 0 or end == len(text) or unicodedata.category(text[end])[0] == "M":
        return False
    before, after = text[base], text[end]
    return all(_JOINABLE.match(c) and not _LATIN.match(c) for c in (before, after))


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
    folded = fold(text).lower()
    found = _WORD.findall(folded)
    if "'" not in folded:  # most text: skips a Python step per word (an ingest's analysis is 40% this)
        return found
    return [w for w in map(_unapostrophe, found) if w]


def _unapostrophe(word: str) -> str:
    if "'" not in word:
        return word
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


def normalise_for_match(text: str) -> str:
    """Lower-case, accent-fold and reduce punctuation to single spaces, for substring matching."""
    return " " + " ".join(words(text)) + " "


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string, which reads better for long lists."""
    return frozenset(text.split())
