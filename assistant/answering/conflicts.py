"""Disagreements between documents: two answers to the same question.

A disagreement is reported when two sentences of different documents would *each* be accepted
as an answer to the question on its own, agree with every qualifier the question sets (a
sentence about 2019 is no side of a question about 2021), and state different values of the
asked kind (or one says the asked thing happens and the other that it does not). The sentences
do not have to share their wording: two real sources say the same thing in different words.

Which pairs count is decided by a fitted model (:data:`PAIR` signals, a logistic regression in
``weights.json`` fitted by ``assistant fit`` on counterfactual copies, the SQuAD articles split
into one document per paragraph, and small document sets of a new user's kind), with its
threshold chosen for false alarms first. When in doubt the best answer is given and no
disagreement.

Only pairs that could be a disagreement are put to the model: both sentences pass the answer
gates, each taken as the answer (their margins are at least 0), neither states another year,
number or ordinal than the question sets, and each sentence states a value of
the asked kind the other does not state, in any writing ("Porto" / "Porto, Portugal", "30-day" /
"thirty days", "Malmo" / "Malmö", "EU" / "European Union" are one value), or, for a yes/no
question, one is negated and the other not ("held in Lisbon, not in Porto" is no polarity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import regex

from ..text.analysis import stem
from ..text.embedding import embedder
from ..text.negation import is_negated
from .candidates import Candidate
from .model import Model, sigmoid
from .ranking import Ranked
from .signals import NAMES as SIGNALS
from .signals import PAIR
from .values import KINDS_OF_TYPE, Qualifiers, Value, clashes, qualifiers, same_value, values

MAX_DOCS = 4  # the documents whose answers are compared: those whose best sentences rank highest
PER_DOC = 2  # each document's best sentences that are put to the comparison
MAX_SIDES = 4  # a disagreement shows at most this many documents' values
NEAR = 8  # tokens: a value "in the answer slot" stands this close to a question word

_COL = {name: i for i, name in enumerate(SIGNALS)}
_TOKEN = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’]*")


@dataclass
class Pair:
    a: int  # indexes into the ranked candidates; ``a`` is one of the best
    b: int
    features: np.ndarray


class _Sentences:
    """Per-question cache of what the pair signals read from each candidate."""

    def __init__(self, ranked: Ranked, model: Model, kinds: tuple[str, ...]) -> None:
        self.ranked, self.model, self.kinds = ranked, model, kinds
        self.asked = frozenset(ranked.info.terms)
        self.qualifiers: Qualifiers = qualifiers(ranked.info.text)
        self._values: dict[tuple[int, str], list[tuple[int, Value]]] = {}
        self._gate: dict[int, float] = {}
        self._negated: dict[int, bool] = {}

    def values(self, i: int, kind: str) -> list[tuple[int, Value]]:
        key = (i, kind)
        if key not in self._values:
            self._values[key] = values(self.ranked.candidates[i].span.text, kind, self.asked)
        return self._values[key]

    def gate(self, i: int) -> float:
        if i not in self._gate:
            self._gate[i] = self.ranked.margin_for(i, self.model)
        return self._gate[i]

    def negated(self, i: int) -> bool:
        if i not in self._negated:
            self._negated[i] = is_negated(self.ranked.candidates[i].span.text)
        return self._negated[i]


def pairs(ranked: Ranked, model: Model, first_search: int | None = None) -> list[Pair]:
    """The pairs of two documents' best answers that could be a disagreement, with their
    :data:`PAIR` signals: the best :data:`PER_DOC` sentences stating a value of the asked kind
    (any sentence, for a yes/no question) of each of the :data:`MAX_DOCS` documents whose such
    sentences rank highest, paired across documents, where they state different values or (a
    yes/no question) one is negated and the other not. ``first_search``:
    how many of the ranked candidates the question's own search found (the rest came from the
    second look)."""
    cands = ranked.candidates
    if len(cands) < 2:
        return []
    info = ranked.info
    yesno = info.answer_type == "yesno"
    kinds = KINDS_OF_TYPE.get(info.answer_type, ())
    if not kinds and not yesno:
        return []
    cache = _Sentences(ranked, model, kinds)
    second = set(range(first_search, len(cands))) if first_search is not None else set()
    by_doc: dict[str, list[int]] = {}
    for i in sorted(range(len(cands)), key=lambda i: -cands[i].score):
        best = by_doc.setdefault(cands[i].doc_id, [])
        if len(best) < PER_DOC and (yesno or any(cache.values(i, kind) for kind in kinds)):
            best.append(i)
    by_doc = {doc: best for doc, best in by_doc.items() if best}
    docs = list(by_doc.values())[:MAX_DOCS]  # in the order of each document's best sentence
    top = float(ranked.logits.max())
    found: list[tuple[int, int, dict[str, float]]] = []
    for x, first in enumerate(docs):
        for other in docs[x + 1 :]:
            for a in first:
                for b in other:
                    differ = None if yesno else _differing(cache, a, b)
                    negation = cache.negated(a) != cache.negated(b)
                    if differ is None and not (negation and yesno):  # polarity answers only yes/no
                        continue
                    row = _signals(cache, a, b, differ, negation, yesno, bool({a, b} & second))
                    if row["gate_min"] < 0 or row["qualifier_clash"]:
                        continue  # not two answers to this question: the model is not asked
                    row["doc_rank_max"] = float(max(first.index(a), other.index(b)))
                    row["best_gap"] = top - row["ranker_min"]
                    found.append((a, b, row))
    if not found:
        return []
    dense = _pair_dense(ranked, [(a, b) for a, b, _ in found])
    out = []
    for (a, b, row), cosine in zip(found, dense, strict=True):
        row["pair_dense"] = cosine
        out.append(Pair(a, b, np.array([row[name] for name in PAIR], dtype=np.float64)))
    return out


def _differing(cache: _Sentences, a: int, b: int) -> tuple[list[tuple[int, Value]], list[tuple[int, Value]]] | None:
    """The values of the asked kind each of ``a`` and ``b`` states and the other does not, if
    both state one; a value the other sentence also states, if only in lower case ("– Head of",
    "the head of"), is shared."""
    ca, cb = cache.ranked.candidates[a], cache.ranked.candidates[b]
    for kind in cache.kinds:
        va, vb = cache.values(a, kind), cache.values(b, kind)
        only_a = [(o, v) for o, v in va if not any(same_value(v, w) for _, w in vb) and not v.key <= set(cb.terms)]
        only_b = [(o, v) for o, v in vb if not any(same_value(v, w) for _, w in va) and not v.key <= set(ca.terms)]
        if only_a and only_b:
            return only_a, only_b
    return None


def _signals(
    cache: _Sentences,
    a: int,
    b: int,
    differ: tuple[list[tuple[int, Value]], list[tuple[int, Value]]] | None,
    negation: bool,
    yesno: bool,
    second_look: bool,
) -> dict[str, float]:
    ranked = cache.ranked
    ca, cb = ranked.candidates[a], ranked.candidates[b]
    fa, fb = ranked.features[a], ranked.features[b]
    kind = ranked.info.answer_type
    row = {
        "ranker_min": float(min(ranked.logits[a], ranked.logits[b])),
        "ranker_max": float(max(ranked.logits[a], ranked.logits[b])),
        "gate_min": min(cache.gate(a), cache.gate(b)),
        "gate_max": max(cache.gate(a), cache.gate(b)),
        "qualifier_clash": float(clashes(cache.qualifiers, ca.span.text) or clashes(cache.qualifiers, cb.span.text)),
        "names_min": float(min(fa[_COL["names_covered"]], fb[_COL["names_covered"]])),
        "coverage_min": float(min(fa[_COL["coverage_context"]], fb[_COL["coverage_context"]])),
        "values_differ": float(differ is not None),
        "slot_near": 0.0,
        "negation_differs": float(negation),
        "type_has_min": float(min(fa[_COL[f"{kind}_has"]], fb[_COL[f"{kind}_has"]])),
        "yesno": float(yesno),
        "second_look": float(second_look),
    }
    if differ is not None:
        asked = set(ranked.info.content_terms)
        row["slot_near"] = float(_near(ca.span.text, differ[0], asked) and _near(cb.span.text, differ[1], asked))
    rest_a = set(ca.terms) - {t for _, v in (differ[0] if differ else []) for t in v.key}
    rest_b = set(cb.terms) - {t for _, v in (differ[1] if differ else []) for t in v.key}
    union = rest_a | rest_b
    row["shared_rest"] = len(rest_a & rest_b) / len(union) if union else 0.0
    return row


def _near(text: str, found: list[tuple[int, Value]], asked: set[str]) -> bool:
    """Whether one of the ``found`` values stands within :data:`NEAR` words of a question word."""
    tokens = [(m.start(), stem(m.group(0))) for m in _TOKEN.finditer(text)]
    anchors = [i for i, (_, s) in enumerate(tokens) if s in asked]
    starts = [offset for offset, _ in found]
    at = [i for i, (start, _) in enumerate(tokens) if start in starts]
    return any(abs(i - j) <= NEAR for i in at for j in anchors)


def _pair_dense(ranked: Ranked, found: list[tuple[int, int]]) -> list[float]:
    involved = sorted({i for pair in found for i in pair})
    vectors = embedder().embed([ranked.candidates[i].span.text for i in involved])
    at = {i: vectors[k] for k, i in enumerate(involved)}
    return [float(at[a] @ at[b]) for a, b in found]


def score(pair_list: list[Pair], model: Model) -> np.ndarray:
    if not pair_list or model.conflict is None:
        return np.zeros(len(pair_list))
    return sigmoid(model.conflict.logits(np.vstack([p.features for p in pair_list])))


def find_conflict(ranked: Ranked, model: Model, first_search: int | None = None) -> list[Candidate] | None:
    """The sides of a disagreement: the most likely pair if the model's probability clears its
    threshold, then every further document whose sentence disagrees with the first side as
    surely and states yet another value."""
    found = pairs(ranked, model, first_search)
    probabilities = score(found, model)
    if not found or probabilities.max() < model.conflict_threshold:
        return None
    best = int(np.argmax(probabilities))
    cands = ranked.candidates
    a = found[best].a
    sides = [cands[a], cands[found[best].b]]
    for k in np.argsort(-probabilities):
        pair = found[int(k)]
        if len(sides) >= MAX_SIDES or probabilities[k] < model.conflict_threshold:
            break
        other = cands[pair.b]
        if pair.a == a and all(other.doc_id != s.doc_id for s in sides) and _new_value(other, sides):
            sides.append(other)
    return sides


def _new_value(cand: Candidate, sides: list[Candidate]) -> bool:
    """Whether ``cand`` states a value that none of ``sides`` does (a third document agreeing
    with one side is no new side)."""
    kinds = ("name", "time", "number")
    mine = [v for kind in kinds for _, v in values(cand.span.text, kind)]
    theirs = [v for s in sides for kind in kinds for _, v in values(s.span.text, kind)]
    return any(not any(same_value(v, w) for w in theirs) for v in mine) or is_negated(cand.span.text) != is_negated(
        sides[0].span.text
    )
