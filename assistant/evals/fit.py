"""``assistant fit``: refit the sentence ranker and the answer-or-refuse gate from the repo's data.

Fitting data (never the held-out parts), gathered as :class:`rows.Row` s:

- the SQuAD 2.0 *fitting* articles (``evals/squad/``, split by article): each article's
  questions asked of that article alone, and of another fitting article (then they must be
  refused);
- the seed articles' *development* questions: the first two paraphrases of each golden fact
  (``evals/seeds/paraphrases.jsonl``) and 40 questions they do not answer
  (``evals/seeds/unanswerable-dev.jsonl``), plus the SQuAD fitting questions asked of the seeds
  (all to be refused). They bring news wording and short questions that SQuAD lacks; together
  they weigh :data:`SEEDS_SHARE` of the SQuAD questions.

Steps (:func:`fit_models`, also what each fold of :mod:`transfer` runs):

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
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..answering import calibration, signals
from ..answering.model import WEIGHTS, Logistic, Model, sigmoid
from ..settings import Settings
from . import golden
from .corpora import index_settings
from .rows import (
    SEED_QUESTIONS,
    SQUAD,
    TOP_K,
    Job,
    Row,
    article_files,
    bank_cases,
    collect,
    largest,
    partition_jobs,
    run,
    seed_jobs,
    squad_jobs,
)
from .scoring import group_matched

MAX_SENTENCES = 3
MORE_CANDIDATES = 8  # the best sentences an answer may show (as in answering/extractive.py)
SEED = 0
REFUSAL_COST = 3.0
FOREIGN_REFUSED = 0.98  # share of questions asked of a corpus without their article to refuse (fitting data)
FAMILY_SHARE = 0.25  # the seed questions together weigh a quarter of the SQuAD questions


def fit_articles() -> list[str]:
    return sorted(p.name for p in (SQUAD / "corpus-fit").glob("*.txt"))


def gather(settings: Settings, articles: list[str], out: TextIO) -> tuple[list[Row], int]:
    """Every fitting row for the SQuAD ``articles`` and the seeds, weighted, and the most chunks
    any of their corpora holds (a larger corpus gets its relevance threshold calibrated)."""
    every = golden.load(SQUAD / "fit.jsonl") + golden.load(SQUAD / "validation.jsonl")
    squad_cases = [c for c in every if c.article in articles]
    print(f"collecting: {len(squad_cases)} SQuAD questions of {len(articles)} articles, and the seeds", file=out)
    jobs = squad_jobs(settings, articles, squad_cases) + partition_jobs(settings, articles, squad_cases)
    jobs += seed_jobs(settings, squad_cases)
    return weigh(run(jobs)), largest(jobs)


def weigh(rows: list[Row]) -> list[Row]:
    """The seed questions asked of the seeds weigh :data:`FAMILY_SHARE` of the SQuAD questions
    asked of their own article."""
    squad_own = sum(1 for r in rows if r.family == "squad" and r.in_corpus)
    for family in {r.family for r in rows} - {"squad"}:
        members = [r for r in rows if r.family == family]
        for row in members:
            row.weight = FAMILY_SHARE * squad_own / len(members)
    return rows


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


def fit_ranker(rows: list[Row]) -> Logistic:
    usable = [r for r in rows if r.answerable and len(r.labels)]
    x = np.vstack([r.features for r in usable])
    y = np.concatenate([r.labels for r in usable])
    w = np.concatenate([np.full(len(r.labels), r.weight) for r in usable])
    return _fit_logistic(x, y, w, signals.NAMES)


def gate_row(row: Row, logits: np.ndarray) -> np.ndarray:
    return signals.gate_signals(row.context, row.features, logits)


def hit(row: Row, logits: np.ndarray, extra: float) -> bool:
    """Whether the answer under the composition rule holds every expected fact."""
    if not len(logits) or not row.answerable:
        return False
    order = np.argsort(-logits)
    probabilities = sigmoid(logits[order])
    shown = [order[0]] + [i for i, p in zip(order[1:], probabilities[1:], strict=True) if p >= extra]
    text = " ".join(row.texts[i] for i in shown[:MAX_SENTENCES])
    return all(group_matched(text, g) for g in row.case.facts)


def shown(row: Row, logits: np.ndarray, further: np.ndarray | None, threshold: float) -> list[int]:
    """The candidates an answer shows: the best, then further ones among the next
    :data:`MORE_CANDIDATES` whose ``further`` probability (one per candidate, in candidate
    order) clears ``threshold``, at most :data:`MAX_SENTENCES` in all."""
    order = np.argsort(-logits, kind="stable")[:MORE_CANDIDATES]
    out = [int(order[0])]
    for i in order[1:]:
        if len(out) < MAX_SENTENCES and further is not None and further[i] >= threshold:
            out.append(int(i))
    return out


def holds_facts(row: Row, chosen: list[int]) -> bool:
    text = " ".join(row.texts[i] for i in chosen)
    return all(group_matched(text, g) for g in row.case.facts)


def further(model: Model, row: Row, logits: np.ndarray) -> np.ndarray:
    """Each candidate's probability, under ``model.more``, that it is worth showing after the best."""
    out = np.zeros(len(logits))
    if model.more is None or not len(logits):
        return out
    for i in np.argsort(-logits, kind="stable")[1:MORE_CANDIDATES]:
        x = signals.gate_signals(row.context, row.features, logits, first=int(i))
        m = signals.more_signals(row.features, logits, int(i), model.margin(x), row.context.answer_type)
        out[i] = float(sigmoid(model.more.logits(m))[0])
    return out


def answered_with_fact(model: Model, row: Row, logits: np.ndarray) -> bool:
    """Whether the answer ``model`` would show holds every expected fact."""
    if not len(logits) or not row.answerable:
        return False
    return holds_facts(row, shown(row, logits, further(model, row, logits), model.more_threshold))


def fit_more(model: Model, rows: list[Row], oof: list[np.ndarray], among: np.ndarray) -> tuple[Logistic, float]:
    """The model of whether a further sentence answers too (label: it holds an expected fact),
    fitted on the candidates after the best of the answerable questions ``among``; its threshold
    is the highest whose answers (out of fold) hold the facts within one point as often as
    always showing three sentences does."""
    xs, ys, ws, where = [], [], [], []
    for r_index in np.where(among)[0]:
        row, logits = rows[r_index], oof[r_index]
        if not len(logits):
            continue
        for i in np.argsort(-logits, kind="stable")[1:MORE_CANDIDATES]:
            x = signals.gate_signals(row.context, row.features, logits, first=int(i))
            xs.append(signals.more_signals(row.features, logits, int(i), model.margin(x), row.context.answer_type))
            ys.append(any(group_matched(row.texts[i], g) for g in row.case.facts))
            ws.append(row.weight)
            where.append((int(r_index), int(i)))
    x, y, w = np.vstack(xs), np.array(ys), np.array(ws)
    groups = np.array([rows[r].group for r, _ in where])
    p = np.zeros(len(y))
    for group in sorted(set(groups)):
        held = groups == group
        p[held] = sigmoid(_fit_logistic(x[~held], y[~held], w[~held], signals.MORE).logits(x[held]))
    probability: dict[int, np.ndarray] = {}
    for (r_index, i), value in zip(where, p, strict=True):
        probability.setdefault(r_index, np.zeros(len(oof[r_index])))[i] = value
    idx = [r for r in np.where(among)[0] if r in probability]
    weight = np.array([rows[r].weight for r in idx])

    def rate(threshold: float) -> float:
        hits = [holds_facts(rows[r], shown(rows[r], oof[r], probability[r], threshold)) for r in idx]
        return float(np.average(hits, weights=weight))

    ceiling = rate(0.0)
    threshold = 0.0
    for candidate in sorted({round(float(q), 3) for q in np.quantile(p, np.linspace(0.5, 0.99, 50))}, reverse=True):
        if rate(candidate) >= ceiling - 0.01:
            threshold = candidate
            break
    return _fit_logistic(x, y, w, signals.MORE), threshold


def auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    from sklearn.metrics import roc_auc_score

    if labels.all() or not labels.any():
        return None
    return round(float(roc_auc_score(labels, scores, sample_weight=weights)), 4)


@dataclass
class Fitted:
    """A fitted model and the out-of-fold predictions its thresholds were chosen on."""

    model: Model
    rows: list[Row]
    relevance_oof: np.ndarray
    gate_oof: np.ndarray
    hits: np.ndarray  # out of fold: the answer would hold the fact

    def kept(self) -> np.ndarray:
        return kept(self.model, self.relevance_oof, self.gate_oof)


def kept(model: Model, relevance: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """Which questions the two gates let through."""
    return (relevance >= model.relevance_threshold) & (gate >= model.answer_threshold)


def out_of_fold_logits(rows: list[Row]) -> list[np.ndarray]:
    """Each row's ranker logits from a ranker fitted without its fold."""
    oof: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for group in sorted({r.group for r in rows}):
        ranker = fit_ranker([r for r in rows if r.group != group])
        for i, r in enumerate(rows):
            if r.group == group:
                oof[i] = ranker.logits(r.features) if len(r.features) else np.zeros(0)
    return oof


def _fit_gate(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, rows: list[Row], among: np.ndarray
) -> tuple[Logistic, np.ndarray]:
    """A gate fitted on the rows ``among``, and every row's out-of-fold probability."""
    groups = np.array([r.group for r in rows])
    oof = np.zeros(len(rows))
    for group in sorted(set(groups)):
        train = (groups != group) & among
        oof[groups == group] = sigmoid(
            _fit_logistic(x[train], y[train], w[train], signals.GATE).logits(x[groups == group])
        )
    return _fit_logistic(x[among], y[among], w[among], signals.GATE), oof


def fit_models(rows: list[Row]) -> Fitted:
    """The ranker, the two gates and their thresholds, fitted on ``rows`` alone.

    - relevance: questions answerable in their own corpus against the same questions asked of
      another corpus; its threshold refuses :data:`FOREIGN_REFUSED` of the SQuAD questions asked
      of a corpus without their article (out of fold);
    - gate: questions asked of their own corpus, answerable against look-alike; its threshold is
      the least expected cost (:func:`_choose_threshold`) among the questions relevance lets through.
    """
    weights = np.array([r.weight for r in rows])
    oof = out_of_fold_logits(rows)
    gate_x = np.vstack([gate_row(r, lg) for r, lg in zip(rows, oof, strict=True)])
    answerable = np.array([r.answerable for r in rows])
    inside = np.array([r.in_corpus for r in rows])
    squad = np.array([r.family == "squad" for r in rows])
    relevance, relevance_oof = _fit_gate(gate_x, answerable, weights, rows, (inside & answerable) | ~inside)
    gate, gate_oof = _fit_gate(gate_x, answerable, weights, rows, inside)

    extra = _choose_extra(rows, oof, inside & answerable, weights)
    hits = np.array([hit(r, lg, extra) for r, lg in zip(rows, oof, strict=True)])
    relevance_threshold = float(np.quantile(relevance_oof[squad & ~inside], FOREIGN_REFUSED))
    passing = relevance_oof >= relevance_threshold
    # The look-alike unanswerable questions are SQuAD's: the threshold is chosen on them alone.
    own_squad = squad & inside
    answer_threshold = _choose_threshold(
        gate_oof[own_squad], answerable[own_squad], hits[own_squad], passing[own_squad]
    )
    relevance_floor = float(np.quantile(relevance_oof[inside & answerable], 0.01))
    model = Model(
        ranker=fit_ranker(rows),
        gate=gate,
        answer_threshold=answer_threshold,
        relevance=relevance,
        relevance_threshold=relevance_threshold,
        relevance_floor=relevance_floor,
        extra_sentence=extra,
        top_k=TOP_K,
    )
    more, more_threshold = fit_more(model, rows, oof, inside & answerable)
    model = replace(model, more=more, more_threshold=more_threshold)
    return Fitted(model, rows, relevance_oof, gate_oof, hits)


def cross_validation(fitted: Fitted) -> dict[str, Any]:
    rows, hits = fitted.rows, fitted.hits
    inside = np.array([r.in_corpus for r in rows])
    answerable = np.array([r.answerable for r in rows])
    through = fitted.kept()
    cv: dict[str, Any] = {"scheme": "leave one fold out: one SQuAD article, or a fifth of the seed facts"}
    families = np.array([r.family for r in rows])
    for name in sorted(set(families)):
        part = families == name
        own, other = part & inside, part & ~inside
        cv[name] = {
            "answerable_with_fact": _share(through & hits, own & answerable),
            "unanswerable_refused": _share(~through, own & ~answerable),
            "other_corpus_refused": _share(~through, other),
            "gate_auc_lookalike": auc(fitted.gate_oof[own], answerable[own]),
            "relevance_auc_other_corpus": auc(
                fitted.relevance_oof[(own & answerable) | other], answerable[(own & answerable) | other]
            ),
        }
    return cv


def fit(settings: Settings, out: TextIO = sys.stdout, validate: bool = True, write: Path | None = None) -> Model:
    from . import conflict_fit

    rows, calibrate_above = gather(settings, fit_articles(), out)
    fitted = fit_models(rows)
    fitted.model = replace(fitted.model, calibrate_above=calibrate_above)
    quantile = choose_quantile(settings, fitted.model, fit_articles(), out)
    fitted.model = replace(fitted.model, calibration_quantile=quantile)
    cv = cross_validation(fitted)
    print("collecting disagreement pairs:", file=out)
    questions = conflict_fit.collect(settings, fitted.model, conflict_fit.sources("fit"), out)
    disagreement = conflict_fit.fit(questions, out)
    model = replace(fitted.model, conflict=disagreement.model, conflict_threshold=disagreement.threshold)
    model.meta.update(_meta(rows, cv))
    target = write or Path(__file__).resolve().parent.parent / "answering" / WEIGHTS
    target.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"weights written to {target}", file=out)
    print(json.dumps(cv, indent=1), file=out)
    print(
        f"chosen: answer when relevance gives >= {model.relevance_threshold:.4f} and the look-alike gate "
        f">= {model.answer_threshold:.4f}; a further sentence at ranker probability >= {model.extra_sentence}; "
        f"relevance floor for an LLM {model.relevance_floor:.4f}",
        file=out,
    )
    print("SQuAD fitting articles, out of fold, by the look-alike gate's threshold:", file=out)
    inside = np.array([r.in_corpus for r in rows])
    squad = np.array([r.family == "squad" for r in rows])
    answerable = np.array([r.answerable for r in rows])
    own, other = squad & inside, squad & ~inside
    passing = fitted.relevance_oof >= model.relevance_threshold
    tradeoff(
        fitted.gate_oof[own], passing[own], answerable[own], fitted.hits[own],
        fitted.gate_oof[other], passing[other], model.answer_threshold, out,
    )  # fmt: skip
    if validate:
        report_validation(settings, model, out)
        conflict_fit.report_validation(settings, model, out)
    return model


QUANTILES = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1.0)


def choose_quantile(settings: Settings, model: Model, articles: list[str], out: TextIO) -> float:
    """The share of questions about other things a large corpus's relevance threshold refuses
    (:mod:`calibration`), chosen on one corpus of all the fitting ``articles`` (larger than any
    corpus the threshold was fitted on): their questions (to answer; a lost answer costs
    :data:`REFUSAL_COST`), the seeds' development questions (about something else: answering
    one costs 1), each set weighing the same."""
    files = article_files()
    every = index_settings(settings, [files[a] for a in articles])
    own_cases = tuple(c for c in golden.load(SQUAD / "fit.jsonl") if c.article in articles)
    seed_cases = tuple(c for path in SEED_QUESTIONS for c in golden.load(path) if not c.turns)
    jobs = [
        Job(every, own_cases, tuple(articles)),
        Job(every, seed_cases, foreign=True),
        Job(every, bank_cases(), foreign=True),
    ]
    rows = run(jobs)
    own, foreign, bank = rows[: len(own_cases)], rows[len(own_cases) : -len(jobs[2].cases)], rows[-len(jobs[2].cases) :]
    relevance = predict(model, bank)[0].tolist()
    r_own, p_own, logits = predict(model, own)
    r_foreign, p_foreign, _ = predict(model, foreign)
    hits = np.array([answered_with_fact(model, r, lg) for r, lg in zip(own, logits, strict=True)])
    print(f"calibration on all {len(articles)} fitting articles ({largest(jobs[:1])} chunks):", file=out)
    print("  quantile  threshold  answers-with-fact-kept  other-questions-refused", file=out)
    best = (np.inf, 1.0)
    for quantile in QUANTILES:
        calibrated = replace(
            model, relevance_threshold=calibration.threshold(relevance, model.relevance_threshold, quantile)
        )
        lost = float(np.mean(hits & ~kept(calibrated, r_own, p_own)))
        answered = float(np.mean(kept(calibrated, r_foreign, p_foreign)))
        cost = REFUSAL_COST * lost + answered
        print(f"  {quantile:8.2f}  {calibrated.relevance_threshold:9.4f}  {1 - lost / max(hits.mean(), 1e-9):21.3f}  "
              f"{1 - answered:23.3f}", file=out)  # fmt: skip
        if cost <= best[0] + 1e-12:  # ties: the higher share, safer on corpora larger still
            best = (cost, quantile)
    print(f"  chosen: {best[1]}", file=out)
    return best[1]


def _share(hit: np.ndarray, among: np.ndarray) -> float | None:
    return round(float(hit[among].mean()), 4) if among.any() else None


def _choose_extra(rows: list[Row], oof: list[np.ndarray], among: np.ndarray, weights: np.ndarray) -> float:
    """The largest ranker probability for a further sentence that keeps the share of answers
    holding the fact within one point of always showing three sentences."""
    idx = np.where(among)[0]

    def rate(extra: float) -> float:
        return float(np.average([hit(rows[i], oof[i], extra) for i in idx], weights=weights[idx]))

    ceiling = rate(0.0)
    for value in (0.9, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05):
        if rate(value) >= ceiling - 0.01:
            return value
    return 0.0


def _choose_threshold(p: np.ndarray, answerable: np.ndarray, hits: np.ndarray, passing: np.ndarray) -> float:
    best = (np.inf, 0.5)
    for threshold in np.unique(np.round(p, 4)):
        kept = passing & (p >= threshold)
        cost = np.where(~answerable, kept, np.where(kept, ~hits, np.where(hits, REFUSAL_COST, 1.0)))
        mean = float(cost.mean())
        if mean < best[0]:
            best = (mean, float(threshold))
    return best[1]


def _meta(rows: list[Row], cv: dict[str, Any]) -> dict[str, Any]:
    files = [
        SQUAD / "fit.jsonl",
        SQUAD / "paragraphs-fit.jsonl",
        *SEED_QUESTIONS,
        *sorted(Path("evals/conflicts").glob("fit-*.jsonl")),
    ]
    files += sorted(p for p in Path("evals/newuser/fit").rglob("*") if p.is_file())
    return {
        "command": "assistant fit",
        "data": {
            "files": {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files},
            "fit_sha256": hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest(),
            "rows": len(rows),
            "folds": sorted({r.group for r in rows}),
            "refusal_cost": REFUSAL_COST,
            "family_share": FAMILY_SHARE,
        },
        "cross_validation": cv,
    }


def tradeoff(
    p_own: np.ndarray,
    passing_own: np.ndarray,
    answerable: np.ndarray,
    hits: np.ndarray,
    p_other: np.ndarray,
    passing_other: np.ndarray,
    chosen: float,
    out: TextIO,
) -> dict[str, float]:
    """The answer-or-refuse trade-off at several look-alike gate thresholds (relevance at its
    own); returns the figures at ``chosen``."""
    print("  threshold  answerable-with-fact  answerable-kept  unanswerable-refused  other-corpus-refused", file=out)
    figures: dict[str, float] = {}
    for threshold in sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, chosen}):
        kept = passing_own & (p_own >= threshold)
        row = (
            float(np.mean((kept & hits)[answerable])),
            float(np.mean(kept[answerable])),
            float(np.mean(~kept[~answerable])),
            float(np.mean(~(passing_other & (p_other >= threshold)))),
        )
        mark = " <- chosen" if threshold == chosen else ""
        print(f"  {threshold:9.4f}  {row[0]:20.3f}  {row[1]:15.3f}  {row[2]:20.3f}  {row[3]:20.3f}{mark}", file=out)
        if threshold == chosen:
            keys = ("answerable_with_fact", "answerable_kept", "unanswerable_refused", "other_corpus_refused")
            figures = {k: round(v, 4) for k, v in zip(keys, row, strict=True)}
    return figures


def predict(model: Model, rows: list[Row]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Each row's relevance and look-alike gate probabilities, and its ranker logits."""
    logits = [model.ranker.logits(r.features) if len(r.features) else np.zeros(0) for r in rows]
    gate_x = np.vstack([gate_row(r, lg) for r, lg in zip(rows, logits, strict=True)])
    return sigmoid(model.relevance.logits(gate_x)), sigmoid(model.gate.logits(gate_x)), logits


def report_validation(settings: Settings, model: Model, out: TextIO) -> dict[str, Any]:
    """How the model does on the validation articles, which nothing above has seen."""
    cases = golden.load(SQUAD / "validation.jsonl")
    own = collect(index_settings(settings, SQUAD / "corpus-validation"), cases)
    elsewhere = collect(index_settings(settings, SQUAD / "corpus-fit"), cases, foreign=True)
    r_own, p_own, logits = predict(model, own)
    r_other, p_other, _ = predict(model, elsewhere)
    answerable = np.array([r.answerable for r in own])
    hits = np.array([answered_with_fact(model, r, lg) for r, lg in zip(own, logits, strict=True)])
    figures: dict[str, Any] = {"auc_lookalike": auc(p_own, answerable)}
    print(f"validation articles ({len(own)} questions, never fitted on):", file=out)
    print(f"  look-alike gate AUC, answerable vs look-alike unanswerable: {figures['auc_lookalike']}", file=out)
    figures |= tradeoff(
        p_own, r_own >= model.relevance_threshold, answerable, hits,
        p_other, r_other >= model.relevance_threshold, model.answer_threshold, out,
    )  # fmt: skip
    floor_pass = float(np.mean(r_own[answerable] >= model.relevance_floor))
    print(f"  answerable questions above the LLM relevance floor: {floor_pass:.3f}", file=out)
    figures["answerable_above_relevance_floor"] = round(floor_pass, 4)
    return figures
