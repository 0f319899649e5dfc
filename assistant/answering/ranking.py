"""Ranking the candidate sentences and deciding whether the documents answer at all.

Both decisions come from :mod:`model` (logistic regressions fitted by ``assistant fit``) over
the signals of :mod:`signals`; this module only wires them together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..indexing.snapshot import Snapshot
from ..models import Retrieved
from . import signals
from .candidates import Candidate, candidates
from .model import Model, sigmoid
from .question import QuestionInfo


@dataclass
class Ranked:
    """The candidates best first (``score`` is the probability that a sentence answers), and
    the probability that the documents answer the question at all."""

    info: QuestionInfo
    candidates: list[Candidate]
    answerable: float

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def rank(snapshot: Snapshot, info: QuestionInfo, hits: list[Retrieved], model: Model) -> Ranked:
    cands = candidates(snapshot, hits)
    features = signals.compute(snapshot, info, cands)
    logits = model.ranker.logits(features) if cands else np.zeros(0)
    probabilities = sigmoid(logits)
    for cand, p in zip(cands, probabilities, strict=True):
        cand.score = float(p)
    gate = float(sigmoid(model.gate.logits(signals.gate_signals(snapshot, info, cands, features, logits)))[0])
    ordered = sorted(cands, key=lambda c: (-c.score, c.rank, c.doc_id, c.span.start))
    return Ranked(info, ordered, gate)
