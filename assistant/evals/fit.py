"""``assistant fit``: refit the sentence ranker and the answer-or-refuse gate from the repo's data.

Fitting data (never the held-out parts):

- the SQuAD 2.0 *fitting* articles (``evals/squad/``, split by article): every question asked
  of the fitting corpus, and again of that corpus without its own article (then it must be
  refused);
- the seed articles' *development* questions: the first two paraphrases of each golden fact
  (``evals/seeds/paraphrases.jsonl``) and 40 questions they do not answer
  (``evals/seeds/unanswerable-dev.jsonl``), plus the SQuAD fitting questions asked of the seeds
  (all to be refused). They bring news wording and short questions that SQuAD lacks; together
  they weigh :data:`SEEDS_SHARE` of the SQuAD questions.

Steps:

1. The ranker is a logistic regression over :data:`signals.NAMES`; label: the sentence holds
   an expected answer. Its out-of-fold scores (folds: one SQuAD article, or one fifth of the
   seed facts, at a time) feed the gate's signals, so the gate learns from scores like those it
   will see on new documents.
2. The gate is a logistic regression over :data:`signals.GATE`; label: the corpus answers.
3. Thresholds, from the out-of-fold predictions:
   - answering: the gate threshold of least expected cost, where refusing a question whose
     answer the documents hold and we would show costs :data:`REFUSAL_COST`, and any other
     mistake (answering a look-alike question, a wrong answer, a refusal of an answer we would
     have missed) costs 1. With a cost of 1 this is the threshold that maximises the SQuAD 2.0
     score (Rajpurkar et al. 2018); we weigh a lost answer higher because an answer to a
     look-alike question still shows its cited passage, which the reader can judge, while a
     refusal shows nothing;
   - a further sentence joins the answer when its ranker probability clears the largest
     threshold that keeps the share of answers holding the fact within one point of always
     showing three sentences;
   - the relevance floor for an LLM: the gate probability that 99% of answerable questions clear.
4. ``assistant/answering/weights.json`` is written, with what it was fitted on.

The validation articles are read only at the end, to print how the new weights do on questions
and documents they never saw; nothing is chosen from them.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..answering import signals
from ..answering.candidates import Candidate, candidates
from ..answering.model import WEIGHTS, Logistic, Model, sigmoid
from ..answering.question import QuestionInfo, analyse_question
from ..indexing import snapshot as snapshots
from ..indexing.embedder import make_embedder
from ..indexing.retrieve import Retriever
from ..indexing.snapshot import Snapshot
from ..indexing.vectors import VectorStore, connect
from ..settings import Settings
from . import golden
from .corpora import index_settings
from .scoring import group_matched

SQUAD = Path("evals/squad")
SEEDS = Path("seeds")
SEED_QUESTIONS = (Path("evals/seeds/paraphrases.jsonl"), Path("evals/seeds/unanswerable-dev.jsonl"))
TOP_K = 8  # chunks whose sentences are candidates
MAX_SENTENCES = 3
SEED = 0
REFUSAL_COST = 3.0
SEEDS_SHARE = 0.25  # the seed questions together weigh a quarter of the SQuAD questions
SEED_FOLDS = 5


@dataclass
class Row:
    """One question asked of one corpus."""

    case: golden.Case
    group: str  # its cross-validation fold: the article, or a fifth of the seed facts
    answerable: bool  # this corpus holds its answer
    in_corpus: bool  # asked of the corpus it was written for (false: another corpus)
    features: np.ndarray  # candidates × signals.NAMES
    labels: np.ndarray  # the candidate holds (part of) an expected answer
    info: QuestionInfo
    candidates: list[Candidate]
    snapshot: Snapshot
    weight: float = 1.0


def _retriever(settings: Settings) -> Retriever:
    snap = snapshots.load(Path(settings.index_dir))
    return Retriever(snap, VectorStore.open(connect(settings), snap.collection, make_embedder(settings), create=False))


def _seed_fold(case_id: str) -> str:
    digits = re.sub(r"\D", "", case_id)
    return f"seeds-{int(digits or 0) % SEED_FOLDS}"


def collect(
    settings: Settings, cases: list[golden.Case], *, without_own: bool = False, foreign: bool = False, k: int = TOP_K
) -> list[Row]:
    """Signals of every candidate of every case. ``without_own`` leaves each case's article out
    of the corpus; ``foreign`` says the corpus is not the one the questions were written for."""
    retriever = _retriever(settings)
    snap = retriever.snapshot
    titles = tuple(_squad_titles())
    rows = []
    for case in cases:
        article = case.article or (case.sources[0] if case.sources else "")
        group = article if article.startswith(titles) else _seed_fold(case.id)
        exclude = frozenset({article}) if without_own else frozenset()
        info = analyse_question(case.question)
        cands = candidates(snap, retriever.search(case.question, k, exclude=exclude))
        features = signals.compute(snap, info, cands)
        answerable = case.answerable and not without_own and not foreign
        labels = np.array(
            [answerable and any(group_matched(c.span.text, g) for g in case.facts) for c in cands], dtype=bool
        )
        rows.append(Row(case, group, answerable, not without_own and not foreign, features, labels, info, cands, snap))
    return rows


def _squad_titles() -> list[str]:
    return [p.stem for part in ("corpus-fit", "corpus-validation") for p in (SQUAD / part).glob("*.txt")]


def _fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: tuple[str, ...]) -> Logistic:
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    mean = np.average(x, axis=0, weights=w)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=1.0, max_iter=5000, random_state=SEED)
    with threadpool_limits(limits=1):  # one BLAS thread: the same sums in the same order, every run
        model.fit((x - mean) / scale, y, sample_weight=w)
    return Logistic(names, mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))


def _fit_ranker(rows: list[Row]) -> Logistic:
    usable = [r for r in rows if r.answerable and len(r.labels)]
    x = np.vstack([r.features for r in usable])
    y = np.concatenate([r.labels for r in usable])
    w = np.concatenate([np.full(len(r.labels), r.weight) for r in usable])
    return _fit_logistic(x, y, w, signals.NAMES)


def _gate_row(row: Row, logits: np.ndarray) -> np.ndarray:
    return signals.gate_signals(row.snapshot, row.info, row.candidates, row.features, logits)


def _hit(row: Row, logits: np.ndarray, extra: float) -> bool:
    """Whether the answer under the composition rule holds every expected fact."""
    if not len(logits) or not row.answerable:
        return False
    order = np.argsort(-logits)
    probabilities = sigmoid(logits[order])
    shown = [order[0]] + [i for i, p in zip(order[1:], probabilities[1:], strict=True) if p >= extra]
    text = " ".join(row.candidates[i].span.text for i in shown[:MAX_SENTENCES])
    return all(group_matched(text, g) for g in row.case.facts)


def _auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores, sample_weight=weights))


def gather(settings: Settings, out: TextIO) -> list[Row]:
    """Every fitting row, weighted."""
    squad_cases = golden.load(SQUAD / "fit.jsonl")
    squad_settings = index_settings(settings, SQUAD / "corpus-fit")
    seeds_settings = index_settings(settings, SEEDS)
    seed_cases = [c for path in SEED_QUESTIONS for c in golden.load(path) if not c.turns]
    print(f"collecting signals: {len(squad_cases)} SQuAD fitting questions, {len(seed_cases)} seed questions", file=out)
    squad = collect(squad_settings, squad_cases)
    squad_other = collect(squad_settings, squad_cases, without_own=True)
    seeds = collect(seeds_settings, seed_cases)
    squad_on_seeds = collect(seeds_settings, squad_cases, foreign=True)
    weight = SEEDS_SHARE * len(squad) / max(1, len(seeds))
    for row in seeds:
        row.weight = weight
    return squad + squad_other + seeds + squad_on_seeds


def fit(settings: Settings, out: TextIO = sys.stdout, validate: bool = True, write: Path | None = None) -> Model:
    rows = gather(settings, out)
    weights = np.array([r.weight for r in rows])
    groups = sorted({r.group for r in rows})
    oof: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for group in groups:
        ranker = _fit_ranker([r for r in rows if r.group != group])
        for i, r in enumerate(rows):
            if r.group == group:
                oof[i] = ranker.logits(r.features) if len(r.features) else np.zeros(0)
    gate_x = np.vstack([_gate_row(r, lg) for r, lg in zip(rows, oof, strict=True)])
    gate_y = np.array([r.answerable for r in rows])
    gate_oof = np.zeros(len(rows))
    for group in groups:
        train = np.array([r.group != group for r in rows])
        gate = _fit_logistic(gate_x[train], gate_y[train], weights[train], signals.GATE)
        gate_oof[~train] = sigmoid(gate.logits(gate_x[~train]))

    inside = np.array([r.in_corpus for r in rows])
    squad = np.array([not r.group.startswith("seeds-") for r in rows])
    answerable = gate_y
    extra = _choose_extra(rows, oof, inside & answerable, weights)
    hits = np.array([_hit(r, lg, extra) for r, lg in zip(rows, oof, strict=True)])
    # The look-alike unanswerable questions are SQuAD's: the threshold is chosen on them alone.
    own_squad = squad & inside
    answer_threshold = _choose_threshold(gate_oof[own_squad], answerable[own_squad], hits[own_squad])
    relevance_floor = float(np.quantile(gate_oof[inside & answerable], 0.01))

    model = Model(
        ranker=_fit_ranker(rows),
        gate=_fit_logistic(gate_x, gate_y, weights, signals.GATE),
        answer_threshold=answer_threshold,
        relevance_floor=relevance_floor,
        extra_sentence=extra,
        top_k=TOP_K,
    )
    seeds = ~squad
    three = np.array([_hit(r, lg, 0.0) for r, lg in zip(rows, oof, strict=True)])
    cv: dict[str, Any] = {"scheme": "leave one fold out: one SQuAD article, or a fifth of the seed facts"}
    for name, part in (("squad", squad), ("seeds", seeds)):
        own, other = part & inside, part & ~inside
        kept = gate_oof >= answer_threshold
        cv[name] = {
            "answerable_with_fact": _share(kept & hits, own & answerable),
            "answerable_with_fact_3_sentences": _share(three, own & answerable),
            "unanswerable_refused": _share(~kept, own & ~answerable),
            "other_corpus_refused": _share(~kept, other),
            "gate_auc_lookalike": round(_auc(gate_oof[own], answerable[own]), 4) if (own & ~answerable).any() else None,
        }
    model.meta.update(_meta(rows, cv))
    target = write or Path(__file__).resolve().parent.parent / "answering" / WEIGHTS
    target.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"weights written to {target}", file=out)
    print(json.dumps(cv, indent=1), file=out)
    print(
        f"chosen: answer when the gate gives >= {answer_threshold:.4f}; a further sentence at ranker probability "
        f">= {extra}; relevance floor for an LLM {relevance_floor:.4f}",
        file=out,
    )
    print("SQuAD fitting articles, out-of-fold, by gate threshold:", file=out)
    own_squad = squad & inside
    _tradeoff(
        gate_oof[own_squad], answerable[own_squad], hits[own_squad], gate_oof[squad & ~inside], answer_threshold, out
    )
    if validate:
        report_validation(settings, model, out)
    return model


def _share(hit: np.ndarray, among: np.ndarray) -> float | None:
    return round(float(hit[among].mean()), 4) if among.any() else None


def _choose_extra(rows: list[Row], oof: list[np.ndarray], among: np.ndarray, weights: np.ndarray) -> float:
    """The largest ranker probability for a further sentence that keeps the share of answers
    holding the fact within one point of always showing three sentences."""
    idx = np.where(among)[0]

    def rate(extra: float) -> float:
        return float(np.average([_hit(rows[i], oof[i], extra) for i in idx], weights=weights[idx]))

    ceiling = rate(0.0)
    for value in (0.9, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05):
        if rate(value) >= ceiling - 0.01:
            return value
    return 0.0


def _choose_threshold(p: np.ndarray, answerable: np.ndarray, hits: np.ndarray) -> float:
    best = (np.inf, 0.5)
    for threshold in np.unique(np.round(p, 4)):
        kept = p >= threshold
        cost = np.where(~answerable, kept, np.where(kept, ~hits, np.where(hits, REFUSAL_COST, 1.0)))
        mean = float(cost.mean())
        if mean < best[0]:
            best = (mean, float(threshold))
    return best[1]


def _meta(rows: list[Row], cv: dict[str, Any]) -> dict[str, Any]:
    files = [SQUAD / "fit.jsonl", *SEED_QUESTIONS]
    return {
        "command": "assistant fit",
        "data": {
            "files": {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files},
            "fit_sha256": hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest(),
            "rows": len(rows),
            "folds": sorted({r.group for r in rows}),
            "refusal_cost": REFUSAL_COST,
            "seeds_share": SEEDS_SHARE,
        },
        "cross_validation": cv,
    }


def _tradeoff(
    p_own: np.ndarray, answerable: np.ndarray, hits: np.ndarray, p_other: np.ndarray, chosen: float, out: TextIO
) -> dict[str, float]:
    """The answer-or-refuse trade-off at several thresholds; returns the figures at ``chosen``."""
    print("  threshold  answerable-with-fact  answerable-kept  unanswerable-refused  other-corpus-refused", file=out)
    figures: dict[str, float] = {}
    for threshold in sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, chosen}):
        kept = p_own >= threshold
        row = (
            float(np.mean((kept & hits)[answerable])),
            float(np.mean(kept[answerable])),
            float(np.mean(~kept[~answerable])),
            float(np.mean(p_other < threshold)),
        )
        mark = " <- chosen" if threshold == chosen else ""
        print(f"  {threshold:9.4f}  {row[0]:20.3f}  {row[1]:15.3f}  {row[2]:20.3f}  {row[3]:20.3f}{mark}", file=out)
        if threshold == chosen:
            keys = ("answerable_with_fact", "answerable_kept", "unanswerable_refused", "other_corpus_refused")
            figures = {k: round(v, 4) for k, v in zip(keys, row, strict=True)}
    return figures


def report_validation(settings: Settings, model: Model, out: TextIO) -> dict[str, Any]:
    """How the model does on the validation articles, which nothing above has seen."""
    cases = golden.load(SQUAD / "validation.jsonl")
    own = collect(index_settings(settings, SQUAD / "corpus-validation"), cases)
    elsewhere = collect(index_settings(settings, SQUAD / "corpus-fit"), cases, foreign=True)

    def probabilities(rows: list[Row]) -> tuple[np.ndarray, list[np.ndarray]]:
        logits = [model.ranker.logits(r.features) if len(r.features) else np.zeros(0) for r in rows]
        gate_x = np.vstack([_gate_row(r, lg) for r, lg in zip(rows, logits, strict=True)])
        return sigmoid(model.gate.logits(gate_x)), logits

    p_own, logits = probabilities(own)
    p_other, _ = probabilities(elsewhere)
    answerable = np.array([r.answerable for r in own])
    hits = np.array([_hit(r, lg, model.extra_sentence) for r, lg in zip(own, logits, strict=True)])
    figures: dict[str, Any] = {"auc_lookalike": round(_auc(p_own, answerable), 4)}
    print(f"validation articles ({len(own)} questions, never fitted on):", file=out)
    print(f"  gate AUC, answerable vs look-alike unanswerable: {figures['auc_lookalike']}", file=out)
    figures |= _tradeoff(p_own, answerable, hits, p_other, model.answer_threshold, out)
    floor_pass = float(np.mean(p_own[answerable] >= model.relevance_floor))
    print(f"  answerable questions above the LLM relevance floor: {floor_pass:.3f}", file=out)
    figures["answerable_above_relevance_floor"] = round(floor_pass, 4)
    return figures
