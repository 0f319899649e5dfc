"""The fitted models: a sentence ranker and an answer-or-refuse gate, both logistic regressions.

Their weights are data, not code: ``weights.json`` beside this module, written by
``assistant fit`` from the fitting part of the SQuAD articles in ``evals/squad/`` (see the
README, "How the answerer was fitted"). A weights file names the signals it was fitted on, so
a weights file and code that disagree fail loudly instead of scoring garbage.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from . import signals

WEIGHTS = "weights.json"


@dataclass(frozen=True)
class Logistic:
    """A standardised logistic regression: ``sigmoid(((x - mean) / scale) @ coef + intercept)``."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((np.atleast_2d(x) - self.mean) / self.scale) @ self.coef + self.intercept

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> Logistic:
        names = tuple(data["signals"])
        if names != expected:
            raise ValueError(
                f"the weights were fitted on signals {names}, the code computes {expected}: refit with `assistant fit`"
            )
        return cls(names, np.array(data["mean"]), np.array(data["scale"]), np.array(data["coef"]), data["intercept"])

    def to_json(self) -> dict[str, Any]:
        return {
            "signals": list(self.names),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(float(self.intercept), 6),
        }


@dataclass(frozen=True)
class Model:
    """The fitted decisions. Two gates decide whether to answer: ``relevance``, whether the
    corpus holds the answer at all (against questions about something the documents never
    mention), and ``gate``, whether the best sentences answer the question rather than only look
    as if they might (against look-alike questions). Two separately fitted models weigh the
    signals differently for the two tasks, and each gets its own operating point."""

    ranker: Logistic
    gate: Logistic
    answer_threshold: float  # gate probability below which the extractive answerer refuses
    relevance: Logistic
    relevance_threshold: float  # relevance probability below which it refuses
    relevance_floor: float  # below this even an LLM is not asked: retrieval found nothing at all
    extra_sentence: float  # a further sentence joins the answer at this ranker probability (without ``more``)
    top_k: int  # chunks whose sentences are candidates
    more: Logistic | None = None  # a further sentence answers the question too (signals.MORE)
    more_threshold: float = 0.5  # its probability at which the sentence is shown
    calibrate_above: int = 0  # chunks: a larger corpus gets its own relevance threshold (calibration.py)
    calibration_quantile: float = 0.9  # share of the questions about other things that threshold refuses
    conflict: Logistic | None = None  # two sentences of different documents disagree on the point asked
    conflict_threshold: float = 1.0  # its probability at which a disagreement is reported
    meta: dict[str, Any] = field(default_factory=dict)

    def margin(self, gate_x: np.ndarray) -> float:
        """How surely the documents answer, in log-odds above the nearer of the two thresholds
        (negative: refused)."""
        a = float(self.relevance.logits(gate_x)[0]) - _logit(self.relevance_threshold)
        b = float(self.gate.logits(gate_x)[0]) - _logit(self.answer_threshold)
        return min(a, b)

    def to_json(self) -> dict[str, Any]:
        return {
            "ranker": self.ranker.to_json(),
            "gate": self.gate.to_json(),
            "answer_threshold": round(self.answer_threshold, 6),
            "relevance": self.relevance.to_json(),
            "relevance_threshold": round(self.relevance_threshold, 6),
            "relevance_floor": round(self.relevance_floor, 6),
            "extra_sentence": round(self.extra_sentence, 6),
            "top_k": self.top_k,
            "more": self.more.to_json() if self.more is not None else None,
            "more_threshold": round(self.more_threshold, 6),
            "calibrate_above": self.calibrate_above,
            "calibration_quantile": round(self.calibration_quantile, 6),
            "conflict": self.conflict.to_json() if self.conflict is not None else None,
            "conflict_threshold": round(self.conflict_threshold, 6),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        return cls(
            ranker=Logistic.from_json(data["ranker"], signals.NAMES),
            gate=Logistic.from_json(data["gate"], signals.GATE),
            answer_threshold=float(data["answer_threshold"]),
            relevance=Logistic.from_json(data["relevance"], signals.GATE),
            relevance_threshold=float(data["relevance_threshold"]),
            relevance_floor=float(data["relevance_floor"]),
            extra_sentence=float(data["extra_sentence"]),
            top_k=int(data["top_k"]),
            more=Logistic.from_json(data["more"], signals.MORE) if data.get("more") else None,
            more_threshold=float(data.get("more_threshold", 0.5)),
            calibrate_above=int(data.get("calibrate_above", 0)),
            calibration_quantile=float(data.get("calibration_quantile", 0.9)),
            conflict=Logistic.from_json(data["conflict"], signals.PAIR) if data.get("conflict") else None,
            conflict_threshold=float(data.get("conflict_threshold", 1.0)),
            meta=data.get("meta", {}),
        )


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@functools.lru_cache(maxsize=1)
def load() -> Model:
    """The shipped weights (a small JSON file inside the package)."""
    text = resources.files("assistant.answering").joinpath(WEIGHTS).read_text(encoding="utf-8")
    return Model.from_json(json.loads(text))
