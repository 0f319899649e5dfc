"""Values a sentence states: names, times and numbers, and when two writings are one value.

The one home for "what kind of value does this answer need, and does this sentence state one":
the answer-type check (a "how many" question is not answered by a sentence without a number),
the qualifiers a question sets ("in 2021", "the second", "the Ukrainian") and the disagreement
check (two documents stating different values) all read values from here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import regex

from ..text.analysis import stem
from ..text.names import initials, names
from ..text.normalise import fold
from ..text.quantities import CENTURY, CLOCK, DATE_WORD, ORDINAL, RELATIVE_TIME, YEAR, number_value
from ..text.quantities import NUMBER as NUMBER_PATTERN

# The kinds of value each answer type can disagree on ("what"/"which" questions: any).
KINDS_OF_TYPE = {
    "person": ("name",),
    "place": ("name",),
    "time": ("time",),
    "quantity": ("number",),
    "thing": ("name", "time", "number"),
}


@dataclass(frozen=True)
class Value:
    text: str  # as written
    kind: str  # name, time, number
    key: frozenset[str]  # what two writings of the same value share
    number: float | None = None


def values(text: str, kind: str, asked: set[str] | frozenset[str] = frozenset()) -> list[tuple[int, Value]]:
    """(offset, value) of every value of ``kind`` in ``text``; names whose stems are all in
    ``asked`` (the question's own) are not values."""
    out: list[tuple[int, Value]] = []
    if kind == "time":
        for m in YEAR.finditer(text):
            out.append((m.start(), Value(m.group(0), "time", frozenset({m.group(1)}))))
        if not out:
            for pattern in (DATE_WORD, CENTURY, CLOCK, RELATIVE_TIME):
                for m in pattern.finditer(text):
                    out.append((m.start(), Value(m.group(0), "time", name_key(m.group(0).lower()))))
    elif kind == "number":
        for m in NUMBER_PATTERN.finditer(text):
            value = number_value(m.group(0))
            if value is not None and not YEAR.fullmatch(m.group(0)):
                out.append((m.start(), Value(m.group(0), "number", frozenset({str(value)}), value)))
    else:
        for offset, run in names(text):
            key = name_key(run)
            if key and not key <= asked:
                out.append((offset, Value(run, "name", key)))
    return out


def name_key(run: str) -> frozenset[str]:
    """The stems of a name's words, less leading stop words and possessives."""
    parts = [stem(regex.sub(r"[’']s$", "", w)) for w in run.split()]
    return frozenset(p for p in parts if p)


SPELLING = 0.8  # difflib ratio above which two words of a name are one word spelled two ways


def same_value(a: Value, b: Value) -> bool:
    """Two writings of one value: equal numbers, one name inside the other, an acronym of it, or
    the same name transliterated two ways ("Oleksiy Marchuk" / "Oleksii Marchuk")."""
    if a.number is not None and b.number is not None:
        return a.number == b.number
    if a.key <= b.key or b.key <= a.key:
        return True
    if initials(a.text) == fold(b.text).lower() or initials(b.text) == fold(a.text).lower():
        return True
    return a.kind == b.kind == "name" and _spelled_apart(a.key, b.key)


def _spelled_apart(a: frozenset[str], b: frozenset[str]) -> bool:
    """Names sharing a word, whose other words each have a near-identical partner."""
    shared = a & b
    if not shared:
        return False
    small, large = sorted((a - shared, b - shared), key=len)
    return all(
        any(w[0] == v[0] and difflib.SequenceMatcher(None, w, v).ratio() >= SPELLING for v in large) for w in small
    )


@dataclass(frozen=True)
class Qualifiers:
    """What a question pins down besides its words: the years, other numbers and ordinals it
    names ("the 2021 final", "the second round", "with 3 seats"). A sentence that states other
    values of these kinds and none of the question's is about another case of the same thing."""

    years: frozenset[str]
    numbers: frozenset[float]
    ordinals: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.years or self.numbers or self.ordinals)


def qualifiers(question: str) -> Qualifiers:
    years = frozenset(m.group(1) for m in YEAR.finditer(question))
    numbers = frozenset(v.number for _, v in values(question, "number") if v.number is not None)
    return Qualifiers(years, numbers, frozenset(ordinals(question)))


def ordinals(text: str) -> list[int]:
    return [n for m in ORDINAL.finditer(text) if (n := ordinal_value(m.group(0))) is not None]


def ordinal_value(token: str) -> int | None:
    from ..text.quantities import ORDINAL_WORDS

    low = token.lower()
    if low in ORDINAL_WORDS:
        return ORDINAL_WORDS[low]
    digits = regex.match(r"\d+", low)
    return int(digits.group(0)) if digits else None


def clashes(q: Qualifiers, text: str) -> bool:
    """Whether ``text`` states a year, number or ordinal of a kind the question pins down, and
    none of the question's own: "Who won in 2021?" against "In 2019, Ferrant won"."""
    if not q:
        return False
    if q.years:
        stated = {m.group(1) for m in YEAR.finditer(text)}
        if stated and not stated & q.years:
            return True
    if q.numbers:
        stated_n = {v.number for _, v in values(text, "number") if v.number is not None}
        if stated_n and not stated_n & q.numbers:
            return True
    if q.ordinals:
        stated_o = set(ordinals(text))
        if stated_o and not stated_o & q.ordinals:
            return True
    return False


def holds(text: str, kind: str, asked: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` states a value of ``kind`` (a name: one the question does not have)."""
    return bool(values(text, kind, asked))
