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
    ranker: Logistic
    gate: Logistic
    answer_threshold: float  # gate probability below which the extractive answerer refuses
    relevance_floor: float  # below this even an LLM is not asked: retrieval found nothing at all
    extra_sentence: float  # a further sentence joins the answer at this ranker probability
    top_k: int  # chunks whose sentences are candidates
    conflict_score: float = 0.05  # ranker probability for a sentence to count as a side of a disagreement
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "ranker": self.ranker.to_json(),
            "gate": self.gate.to_json(),
            "answer_threshold": round(self.answer_threshold, 6),
            "relevance_floor": round(self.relevance_floor, 6),
            "extra_sentence": round(self.extra_sentence, 6),
            "top_k": self.top_k,
            "conflict_score": round(self.conflict_score, 6),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        return cls(
            ranker=Logistic.from_json(data["ranker"], signals.NAMES),
            gate=Logistic.from_json(data["gate"], signals.GATE),
            answer_threshold=float(data["answer_threshold"]),
            relevance_floor=float(data["relevance_floor"]),
            extra_sentence=float(data["extra_sentence"]),
            top_k=int(data["top_k"]),
            conflict_score=float(data.get("conflict_score", data["extra_sentence"])),
            meta=data.get("meta", {}),
        )


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@functools.lru_cache(maxsize=1)
def load() -> Model:
    """The shipped weights (a small JSON file inside the package)."""
    text = resources.files("assistant.answering").joinpath(WEIGHTS).read_text(encoding="utf-8")
    return Model.from_json(json.loads(text))
