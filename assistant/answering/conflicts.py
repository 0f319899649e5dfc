"""Disagreements between documents on the point asked.

Two kinds, both read from the sentences the ranker rates likely to answer, and only between
different documents:

- **values**: asked for a person, place, time, number or thing, the best passages of two
  documents are about the same point (most of their other words shared) and each states a value
  of the asked kind (a name, a year or date, a number) that the other does not. The same value
  in other words is not a disagreement ("Porto" / "Porto, Portugal", "30-day" / "thirty days",
  "Malmo" / "Malmö", "EU" / "European Union"), and neither is a passage that also states the
  other value.
- **polarity**: about the same subject, one says the asked thing happens and the other that it
  does not ("is attending" / "would not be attending").

The answer then shows each side with its own citation instead of picking one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex

from ..indexing.snapshot import Snapshot
from ..text.analysis import stem
from ..text.names import initials, name_runs
from ..text.negation import polarity
from ..text.normalise import fold
from ..text.quantities import DATE_WORD, YEAR, number_value
from ..text.quantities import NUMBER as NUMBER_PATTERN
from .candidates import Candidate
from .question import QuestionInfo

# The kinds of value each answer type can disagree on ("what"/"which" questions: any).
_KINDS = {
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


def find_conflict(
    snapshot: Snapshot,
    info: QuestionInfo,
    ranked: list[Candidate],
    min_score: float,
    second_look: Sequence[Candidate] = (),
    polarity: bool = True,
) -> list[Candidate] | None:
    """The sides of a disagreement between the best passages of different documents.

    Values: each of the :data:`ANCHORS` best sentences scoring at least ``min_score`` is compared
    with its counterpart in every other retrieved document: that document's sentence sharing
    most of its words, wherever the ranker put it (a copy of a passage with one value changed
    ranks its sentences differently from the original, so the sentence that disagrees with one
    document's best is often far down the other's). Every further document whose counterpart
    states yet another value joins as a side. Polarity (unless ``polarity`` is false): between
    the best sentences of the three best documents."""
    anchors: list[Candidate] = []  # the best sentences, whatever their documents
    leaders: list[Candidate] = []  # each of the three best documents' best sentence
    by_doc: dict[str, list[Candidate]] = {}
    for cand in ranked:  # best first
        by_doc.setdefault(cand.doc_id, []).append(cand)
        if cand.score < min_score:
            continue
        if len(anchors) < ANCHORS:
            anchors.append(cand)
        if len(leaders) < 3 and all(c.doc_id != cand.doc_id for c in leaders):
            leaders.append(cand)
    seen = {(c.doc_id, c.span.start) for c in ranked}
    for cand in second_look:  # counterparts only: never an anchor
        if (cand.doc_id, cand.span.start) not in seen:
            by_doc.setdefault(cand.doc_id, []).append(cand)
    if not anchors or len(by_doc) < 2:
        return None
    for kind in _KINDS.get(info.answer_type, ()):
        found = _value_conflict(info, anchors, by_doc, kind)
        if found:
            return found
    return _polarity_conflict(info, leaders) if polarity else None


def _counterpart(anchor: Candidate, sentences: list[Candidate]) -> Candidate | None:
    """The sentence sharing the largest share of its words with ``anchor`` (ties: the better
    ranked one)."""
    terms = set(anchor.terms)
    best, best_share = None, 0.0
    for cand in sentences:
        other = set(cand.terms)
        share = len(terms & other) / len(terms | other) if terms and other else 0.0
        if share > best_share:
            best, best_share = cand, share
    return best


# ---------------------------------------------------------------- values


def _values(text: str, kind: str, asked: set[str]) -> list[tuple[int, Value]]:
    out: list[tuple[int, Value]] = []
    if kind == "time":
        for m in YEAR.finditer(text):
            out.append((m.start(), Value(m.group(0), "time", frozenset({m.group(1)}))))
        if not out:
            for m in DATE_WORD.finditer(text):
                out.append((m.start(), Value(m.group(0), "time", frozenset({m.group(0).lower()}))))
    elif kind == "number":
        for m in NUMBER_PATTERN.finditer(text):
            value = number_value(m.group(0))
            if value is not None and not YEAR.fullmatch(m.group(0)):
                out.append((m.start(), Value(m.group(0), "number", frozenset({str(value)}), value)))
    else:
        for offset, run in name_runs(text):
            key = _name_key(run)
            if key and not key <= asked:
                out.append((offset, Value(run, "name", key)))
    return out


def _name_key(run: str) -> frozenset[str]:
    """The stems of a name's words, less leading stop words and possessives."""
    parts = [stem(regex.sub(r"[’']s$", "", w)) for w in run.split()]
    return frozenset(p for p in parts if p)


def same_value(a: Value, b: Value) -> bool:
    """Two writings of one value: equal numbers, one name inside the other, or an acronym of it."""
    if a.number is not None and b.number is not None:
        return a.number == b.number
    if a.key <= b.key or b.key <= a.key:
        return True
    return initials(a.text) == fold(b.text).lower() or initials(b.text) == fold(a.text).lower()


# Share of their other content stems two passages must share to be about the same point. On the
# fitting articles' counterfactual sets (evals/conflicts/fit-*): 0.35 reported 82.7% of swaps with
# 2% false alarms on the unchanged copies, 0.5 82.7% with none, 0.65 81.3% with none.
SAME_POINT = 0.5
# Sentences compared with their counterparts. On the fitting articles' counterfactual sets: each
# of the three best documents' best sentence: 75.3% of swaps answered with both values; the 3, 5
# and 8 best sentences: 76.7%, 78.7%, 78.7%; no false alarm on the unchanged copies with any.
ANCHORS = 5
MAX_SIDES = 4  # a disagreement shows at most this many documents' values


def _value_conflict(
    info: QuestionInfo, anchors: list[Candidate], by_doc: dict[str, list[Candidate]], kind: str
) -> list[Candidate] | None:
    """An anchor and the counterparts in other documents that are about the same point (most of
    their other words shared) and each state a value of the asked kind the others do not."""
    asked = set(info.terms)
    for a in anchors:
        sides = [a]
        for doc_id, sentences in by_doc.items():
            b = _counterpart(a, sentences) if doc_id != a.doc_id else None
            if b is not None and len(sides) < MAX_SIDES and all(_disagree(s, b, kind, asked) for s in sides):
                sides.append(b)
        if len(sides) > 1:
            return sides
    return None


def _disagree(a: Candidate, b: Candidate, kind: str, asked: set[str]) -> bool:
    """Whether two sentences are about the same point and each states a value of ``kind`` that
    the other does not."""
    va = [v for _, v in _values(a.span.text, kind, asked)]
    vb = [v for _, v in _values(b.span.text, kind, asked)]
    # a value the other sentence also states, if only in lower case ("– Head of", "the head of"), is shared
    only_a = [v for v in va if not any(same_value(v, w) for w in vb) and not v.key <= set(b.terms)]
    only_b = [v for v in vb if not any(same_value(v, w) for w in va) and not v.key <= set(a.terms)]
    if not only_a or not only_b:
        return False
    rest_a = set(a.terms) - {t for v in only_a for t in v.key}
    rest_b = set(b.terms) - {t for v in only_b for t in v.key}
    return bool(rest_a and rest_b) and len(rest_a & rest_b) / len(rest_a | rest_b) >= SAME_POINT


# ---------------------------------------------------------------- polarity


def _polarity_conflict(info: QuestionInfo, pool: list[Candidate]) -> list[Candidate] | None:
    names = set(info.names)
    predicate = [t for t in info.content_terms if t not in names]
    if not predicate:
        return None
    subject = names - set(info.setting)  # "a meeting in Geneva": the place is a setting, not the subject
    about = [c for c in pool if subject <= (set(c.terms) | c.context.names)]
    signed = [(c, s) for c in about if (s := polarity(c.span.text, set(predicate))) is not None]
    for i, (a, pa) in enumerate(signed):
        for b, pb in signed[i + 1 :]:
            if pa != pb and a.doc_id != b.doc_id:
                return [a, b]
    return None
