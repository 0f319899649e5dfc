"""The claim check: one sentence of a model's answer read against one sentence of its source.

Two kinds of doubt, kept apart because they cost differently:

- a **contradiction** is checkable exactly and drops the sentence: a number, year, date, name,
  place or title the source does not state or states differently, a negation or a WordNet
  opposite on the predicate both share;
- **support** is how much of the sentence the source covers, in its own words or the
  embedder's near ones. A sentence without a contradiction is shown either way: confirmed when
  support clears the fitted confirm threshold, marked "not confirmed" when it does not, and
  dropped only when support is so low that the citation points at something else.

Both thresholds are data (:data:`THRESHOLDS`, written by ``assistant fit --claims``).
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from typing import Any

import numpy as np
import regex

from ..indexing.snapshot import Snapshot
from ..text.analysis import analyse, stem, stopwords
from ..text.antonyms import opposites
from ..text.names import common_word, names
from ..text.negation import is_negated, polarity
from ..text.normalise import words
from ..text.quantities import DATE_WORD, MONTHS, WEEKDAYS, YEAR
from .question import light_terms
from .signals import term_credit
from .values import SPELLING, Value, name_key, values

THRESHOLDS = "claim_check.json"
PAIR_DISTANCE = 4
CONFIRMED, UNCONFIRMED = "confirmed", "unconfirmed"


@dataclass(frozen=True)
class Thresholds:
    confirm: float  # support at which a sentence is shown as confirmed
    related: float  # support below which the cited sentence is about something else: dropped
    meta: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Thresholds:
        return cls(float(data["confirm"]), float(data["related"]), data.get("meta", {}))

    def to_json(self) -> dict[str, Any]:
        return {"confirm": round(self.confirm, 4), "related": round(self.related, 4), "meta": self.meta}


@functools.lru_cache(maxsize=1)
def thresholds() -> Thresholds:
    text = resources.files("assistant.answering").joinpath(THRESHOLDS).read_text(encoding="utf-8")
    return Thresholds.from_json(json.loads(text))


@dataclass(frozen=True)
class Reading:
    """A claim against one source sentence."""

    support: float  # 0..1
    contradiction: str | None  # why the source contradicts the claim: the sentence is dropped
    doubt: str | None = None  # why it cannot be confirmed whatever its support

    def status(self, limits: Thresholds) -> str | None:
        """confirmed, unconfirmed, or None (dropped)."""
        if self.contradiction is not None or self.support < limits.related:
            return None
        return CONFIRMED if self.support >= limits.confirm and not self.doubt else UNCONFIRMED

    def reason(self, limits: Thresholds) -> str | None:
        """Why the sentence is dropped or left unconfirmed (None: confirmed)."""
        if self.contradiction is not None:
            return self.contradiction
        if self.support < limits.related:
            return "the cited passage is about something else"
        if self.doubt:
            return self.doubt
        return None if self.support >= limits.confirm else "the cited passage covers too little of it"


def content_terms(text: str) -> list[str]:
    return [t for t in analyse(text) if t not in light_terms()]


def read(
    snapshot: Snapshot, claim: str, evidence: str, context_names: Iterable[str] = (), passage: str = ""
) -> Reading:
    """How ``evidence`` (one sentence of ``passage``, plus the names it borrows from the
    sentence before) stands to ``claim``."""
    names = set(context_names)
    found = contradiction(claim, evidence, names, passage)
    return Reading(support(snapshot, claim, evidence, names), found.contradiction, found.doubt)


def support(snapshot: Snapshot, claim: str, evidence: str, context: set[str]) -> float:
    """Half coverage (the idf-weighted share of the claim's content words the evidence has, a
    word-vector neighbour counting for its similarity), half pairing (the share of neighbouring
    content words of the claim that also stand near each other in the evidence: the right words
    in a wrong combination score low)."""
    claim_stems = content_terms(claim)
    terms = list(dict.fromkeys(claim_stems))
    if not terms:
        return 0.0
    evidence_stems = analyse(evidence)
    pool = set(evidence_stems) | context
    weights = np.array([snapshot.lexical.idf(t) for t in terms])
    credit = np.array([term_credit(t, pool) for t in terms])
    credit = np.maximum(credit, _soft(claim, evidence, terms))
    coverage = float(weights @ credit) / float(weights.sum())
    pairs = list(pairwise(claim_stems))
    pairing = sum(_near(a, b, evidence_stems, context) for a, b in pairs) / len(pairs) if pairs else coverage
    return 0.5 * coverage + 0.5 * pairing


SOFT_FLOOR = 0.5  # word-vector similarity below which a neighbour gives no credit


def _soft(claim: str, evidence: str, terms: list[str]) -> np.ndarray:
    """Per claim term, the best word-vector similarity with a content word of the evidence
    (rescaled so that ``SOFT_FLOOR`` gives 0 and identity 1)."""
    from ..text.embedding import embedder

    stop = stopwords()
    claim_words = {stem(w): w for w in words(claim) if w not in stop}
    evidence_words = [w for w in dict.fromkeys(words(evidence)) if w not in stop]
    if not evidence_words:
        return np.zeros(len(terms))
    model = embedder()
    term_words = [claim_words.get(t, t) for t in terms]
    sims = (model.words(term_words) @ model.words(evidence_words).T).max(axis=1)
    return np.clip((sims - SOFT_FLOOR) / (1 - SOFT_FLOOR), 0.0, 1.0) * 0.9


def _near(a: str, b: str, stems: list[str], context: set[str], distance: int = PAIR_DISTANCE) -> bool:
    """Whether forms of ``a`` and ``b`` stand within ``distance`` content words of each other;
    a name borrowed from the sentence before counts as near everything."""
    if term_credit(a, context) or term_credit(b, context):
        return any(term_credit(x, set(stems) | context) for x in (a, b))
    at_a = [i for i, s in enumerate(stems) if term_credit(a, {s})]
    at_b = [i for i, s in enumerate(stems) if term_credit(b, {s})]
    return any(abs(i - j) <= distance for i in at_a for j in at_b)


@dataclass(frozen=True)
class _Values:
    contradiction: str | None = None
    doubt: str | None = None


def contradiction(claim: str, evidence: str, context: set[str], passage: str = "") -> _Values:
    """What ``evidence`` (one sentence of ``passage``) says against ``claim``.

    A number, year or date the passage does not state, or that the sentence states otherwise,
    and a flipped negation or a WordNet opposite on the predicate both share, contradict. A name
    the sentence does not state but the passage does is a doubt (the claim joins two sentences
    or names a person the sentence calls "he"), unless the sentence names someone else the claim
    does not: then a claim that otherwise reads like the sentence is a copy with a name swapped."""
    whole = passage or evidence
    for kind, label in (("number", "number"), ("time", "date")):
        for _, value in _values(claim, kind):
            if kind == "number" and value.number == 1 and not any(c.isdigit() for c in value.text):
                continue  # "one of the ..." is rarely a count
            stated = [v for _, v in _values(evidence, kind) if _sort(v) == _sort(value)]
            if any(_same_value(value, other) for other in stated):
                continue
            if stated:
                return _Values(f"the passage states another {label} than {value.text!r}")
            if not any(_same_value(value, other) for _, other in _values(whole, kind)):
                return _Values(f"the passage does not state the {label} {value.text!r}")
    pool = set(analyse(evidence)) | context
    wide = pool | set(analyse(whole))
    doubt, doubt_name = None, ""
    claim_names: set[str] = set()
    for offset, value in values(claim, "name"):
        if offset == _opening(claim) and " " not in value.text and common_word(value.text):
            continue  # "Speaking to reporters, ..." opens the sentence; it names nobody
        claim_names |= value.key
        if any(not _found(w, wide) for w in value.key):
            return _Values(f"the passage does not state the name {value.text!r}")
        if doubt is None and any(not _found(w, pool) for w in value.key):
            doubt, doubt_name = f"the cited sentence does not state the name {value.text!r}", value.text
    title = _title_clash(claim, evidence)
    if title:
        return _Values(title)
    claim_terms = content_terms(claim)
    shared = {t for t in claim_terms if term_credit(t, pool)} - claim_names
    flipped = [t for t in shared if _flipped(polarity(claim, {t}), polarity(evidence, {t}))]
    if shared and len(flipped) * 2 > len(shared):
        return _Values("the passage says the opposite (negation)")
    if is_negated(claim) and not is_negated(evidence):
        if not is_negated(whole):
            return _Values("the passage does not state the negation")
        doubt = doubt or "the cited sentence does not state the negation"
    opposite = _opposite(claim_terms, analyse(evidence), pool)
    if opposite:
        return _Values(f"the passage states the opposite of {opposite!r}")
    others = [v for offset, v in values(evidence, "name") if not any(_found(w, claim_names) for w in v.key)]
    if doubt and others:  # the sentence names someone the claim does not, and the claim someone it does not
        return _Values(f"the passage names {others[0].text!r} where the sentence says {doubt_name!r}")
    return _Values(None, doubt)


def _values(text: str, kind: str) -> list[tuple[int, Value]]:
    """Every year, month, weekday and other time word of ``text`` (``values`` gives the years
    alone when there are any), or its numbers."""
    if kind != "time":
        return values(text, kind)
    found = values(text, "time")
    if any(YEAR.fullmatch(v.text) for _, v in found):
        found += [
            (m.start(), Value(m.group(0), "time", name_key(m.group(0).lower()))) for m in DATE_WORD.finditer(text)
        ]
    return found


def _sort(value: Value) -> str:
    """Which time a value names: a year, a month, a weekday, or another time word."""
    low = value.text.lower()
    if YEAR.fullmatch(value.text):
        return "year"
    if low in MONTHS:
        return "month"
    return "weekday" if low.rstrip("s") in WEEKDAYS or low.startswith("weekend") else value.kind


def _titles(text: str) -> dict[frozenset[str], tuple[list[str], bool]]:
    """The title of each name, keyed by the stems of the name's last two words: the capitalised
    words that open its run ("Deputy Finance Minister Ana Duarte") and up to two lower-case
    words just before it ("deputy health minister Ana Duarte"; a model may lower-case a
    title), with whether the run has capitalised title words of its own."""
    out: dict[frozenset[str], tuple[list[str], bool]] = {}
    stop = stopwords()
    for offset, run in names(text):
        parts = run.split()
        head, person = parts[:-2], parts[-2:]
        tail: list[str] = []
        for w in reversed(regex.findall(r"[\p{L}’'-]+|[^\p{L}’'\s-]", text[:offset])[-2:]):
            if not regex.fullmatch(r"\p{Ll}[\p{L}’'-]*", w) or w in stop:
                break
            tail.insert(0, w)
        title = [stem(w) for w in [*tail, *head] if w.lower() not in stop]
        key = frozenset(stem(w) for w in person)
        if title and key:
            out[key] = (title, bool(head))
    return out


def _title_clash(claim: str, evidence: str) -> str | None:
    """A person the claim names with a title and the sentence with a formal (capitalised) one,
    the titles sharing a word and differing in another ("deputy defence minister" against
    "Deputy Foreign Minister")."""
    theirs = _titles(evidence)
    for key, (title, _) in _titles(claim).items():
        other = next((t for k, (t, formal) in theirs.items() if formal and (key <= k or k <= key)), None)
        if other and set(title) & set(other) and any(not _found(w, set(other)) for w in title):
            return f"the passage gives {' '.join(sorted(key))} another title"
    return None


def _opposite(claim: list[str], evidence: list[str], pool: set[str]) -> str | None:
    """A claim word whose WordNet opposite the evidence has instead, next to a word both share
    ("prices rose" against "prices fell"): an opposite elsewhere in the sentence is about
    something else ("the earlier round" against "later in the day")."""
    for i, term in enumerate(claim):
        if term in pool:
            continue
        near = {w for w in claim[max(0, i - 2) : i + 3] if w != term and w in pool}
        for j, word in enumerate(evidence):
            if word in opposites(term) and near & set(evidence[max(0, j - 2) : j + 3]):
                return term
    return None


def _flipped(said: int | None, found: int | None) -> bool:
    return said is not None and found is not None and said != found


def _same_value(a: Value, b: Value) -> bool:
    if a.number is not None and b.number is not None:
        return a.number == b.number
    return _same(a.key, b.key)


def _opening(text: str) -> int:
    return len(text) - len(text.lstrip(" “\"'‘("))


def _same(a: frozenset[str], b: frozenset[str]) -> bool:
    return a <= b or b <= a


def _found(word: str, pool: set[str]) -> bool:
    """A name's word stands in the evidence: the same stem, a demonym, or the same word
    spelled another way."""
    if term_credit(word, pool):
        return True
    return any(w[:1] == word[:1] and difflib.SequenceMatcher(None, w, word).ratio() >= SPELLING for w in pool)


def best(readings: list[Reading]) -> Reading:
    """The reading of a claim against a passage: its sentence with the most support (the
    closest one, whose contradiction counts even when a weaker sentence has none)."""
    if not readings:
        return Reading(0.0, "the cited passage has no sentence")
    return max(readings, key=lambda r: r.support)
