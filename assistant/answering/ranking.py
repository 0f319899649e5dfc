"""Ranking the candidate sentences and deciding whether the documents answer at all.

Both decisions come from :mod:`model` (logistic regressions fitted by ``assistant fit``) over
the signals of :mod:`signals`; this module only wires them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..indexing.snapshot import Snapshot
from ..models import Retrieved
from . import addressed, signals
from .candidates import Candidate, candidates
from .model import Model, sigmoid
from .question import QuestionInfo


@dataclass
class Ranked:
    """The candidates best first (``score`` is the probability that a sentence answers), and
    how surely the documents answer the question at all (``margin``, in log-odds above the
    gates' thresholds: negative means refuse). ``features``, ``logits`` and ``context`` are the
    candidates' signals, in the same order, kept so that any sentence can be put to the gates'
    test (:meth:`margin_for`)."""

    info: QuestionInfo
    candidates: list[Candidate]
    margin: float
    relevance: float = 0.0  # the relevance gate's probability that the corpus holds the answer
    features: np.ndarray = field(default_factory=lambda: np.zeros((0, len(signals.NAMES))))
    logits: np.ndarray = field(default_factory=lambda: np.zeros(0))
    context: signals.GateContext | None = None

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def answerable(self) -> bool:
        return self.margin >= 0

    def margin_for(self, i: int, model: Model) -> float:
        """How surely the gates would let the answer through were candidate ``i`` the best: the
        test every sentence an answer shows must pass, not only the first."""
        if i == 0 or self.context is None:
            return self.margin
        return model.margin(signals.gate_signals(self.context, self.features, self.logits, first=i))


def shows(ranked: Ranked, i: int, model: Model) -> bool:
    """Whether candidate ``i`` (not the best) is shown too: it answers the question as surely as
    the fitted ``more`` model asks (without one: the ranker rates it likely enough, and the gates
    would accept it as the answer)."""
    margin = ranked.margin_for(i, model)
    if model.more is None:
        return ranked.candidates[i].score >= model.extra_sentence and margin >= 0
    x = signals.more_signals(ranked.features, ranked.logits, i, margin, ranked.info.answer_type)
    return float(sigmoid(model.more.logits(x))[0]) >= model.more_threshold


def rank(snapshot: Snapshot, info: QuestionInfo, hits: list[Retrieved], model: Model) -> Ranked:
    cands = candidates(snapshot, hits)
    features = signals.compute(snapshot, info, cands)
    logits = model.ranker.logits(features) if cands else np.zeros(0)
    kept, _, _ = _without_addressed(snapshot, cands, features, logits)
    if len(kept) < len(cands):  # scored again without them: each sentence is scored relative to the others
        cands = kept
        features = signals.compute(snapshot, info, cands)
        logits = model.ranker.logits(features) if cands else np.zeros(0)
    context = signals.gate_context(snapshot, info, cands)
    x = signals.gate_signals(context, features, logits)
    relevance = float(sigmoid(model.relevance.logits(x))[0])
    return _ordered(Ranked(info, cands, model.margin(x), relevance, features, logits, context))


def _without_addressed(
    snapshot: Snapshot, cands: list[Candidate], features: np.ndarray, logits: np.ndarray
) -> tuple[list[Candidate], np.ndarray, np.ndarray]:
    """The candidates without the best-ranked ones that are addressed to an assistant
    (:mod:`addressed`), or follow such a sentence in their paragraph (what "Answer every question
    with:" introduces is the instruction's payload): planted instructions are never an answer,
    nor evidence that the documents answer."""
    if not cands:
        return cands, features, logits
    top = [int(i) for i in np.argsort(-logits, kind="stable")[: addressed.TOP]]
    runs = [[cands[i].span.text, *(s.text for s in cands[i].before(snapshot, addressed.REACH))] for i in top]
    drop = {i for i, flagged in zip(top, addressed.carried(runs), strict=True) if flagged}
    if not drop:
        return cands, features, logits
    keep = [i for i in range(len(cands)) if i not in drop]
    return [cands[i] for i in keep], features[keep], logits[keep]


def extend(snapshot: Snapshot, ranked: Ranked, more: list[Candidate], model: Model) -> Ranked:
    """``ranked`` with the sentences ``more`` scored beside its own (a second search's finds):
    each new one is compared with all; the first search's sentences keep their scores and
    places (first), and whether the documents answer stays what they said."""
    if not more or ranked.context is None:
        return ranked
    union = signals.relative(np.vstack([ranked.features, signals.raw(snapshot, ranked.info, more)]))
    added_features = union[len(ranked.candidates) :]
    logits = model.ranker.logits(added_features)
    more, added_features, logits = _without_addressed(snapshot, more, added_features, logits)
    if not more:
        return ranked
    added = signals.gate_context(snapshot, ranked.info, more).opposed
    context = replace(ranked.context, opposed=added)
    tail = _ordered(Ranked(ranked.info, more, ranked.margin, ranked.relevance, added_features, logits, context))
    assert tail.context is not None
    return replace(
        ranked,
        candidates=ranked.candidates + tail.candidates,
        features=np.vstack([ranked.features, tail.features]),
        logits=np.concatenate([ranked.logits, tail.logits]),
        context=replace(ranked.context, opposed=np.concatenate([ranked.context.opposed, tail.context.opposed])),
    )


def _ordered(ranked: Ranked) -> Ranked:
    """Scores set on the candidates, and everything sorted best first."""
    probabilities = sigmoid(ranked.logits) if len(ranked.logits) else np.zeros(0)
    for cand, p in zip(ranked.candidates, probabilities, strict=True):
        cand.score = float(p)
    order = sorted(
        range(len(ranked.candidates)),
        key=lambda i: (-ranked.candidates[i].score, ranked.candidates[i].rank, ranked.candidates[i].doc_id,
                       ranked.candidates[i].span.start),
    )  # fmt: skip
    if ranked.context is None:
        return replace(ranked, candidates=[ranked.candidates[i] for i in order])
    return replace(
        ranked,
        candidates=[ranked.candidates[i] for i in order],
        features=ranked.features[order] if len(order) else ranked.features,
        logits=ranked.logits[order] if len(order) else ranked.logits,
        context=replace(
            ranked.context, opposed=ranked.context.opposed[order] if len(order) else ranked.context.opposed
        ),
    )
