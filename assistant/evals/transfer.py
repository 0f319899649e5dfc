"""``assistant fit --leave-one-out``: does the answer-or-refuse decision carry over to articles
nothing was fitted on?

Each of the ten SQuAD articles is held out in turn: the ranker, the gate and their thresholds
are fitted (:func:`fit.fit_models`) on rows that involve neither its questions nor its text,
then its own questions are asked of it (answerable and look-alike unanswerable) and of the
other nine articles (all to be refused). One fold's figures say how the same fitting recipe
does on one new corpus; their spread says whether a threshold means the same on every corpus.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any, TextIO

import numpy as np

from ..answering import calibration
from ..answering.model import Model
from ..settings import Settings
from . import golden
from .corpora import index_settings
from .fit import answered_with_fact, fit_models, kept, predict, weigh
from .rows import (
    SQUAD,
    Job,
    Row,
    article_files,
    bank_cases,
    largest,
    partition_jobs,
    run,
    seed_jobs,
    squad_jobs,
)


@dataclass
class Fold:
    article: str
    figures: dict[str, Any]


def all_cases() -> list[golden.Case]:
    return golden.load(SQUAD / "fit.jsonl") + golden.load(SQUAD / "validation.jsonl")


@dataclass
class Data:
    rows: list[Row]  # fitting rows over all ten articles and the seeds
    others: list[Row]  # each article's questions asked of the other nine
    bank: list[Row]  # the questions about other things asked of all ten (:mod:`calibration`)
    sizes: list[tuple[frozenset[str], int]]  # each fitting corpus's articles and chunks
    chunks: dict[str, int]  # each article's chunks


def gather(settings: Settings, out: TextIO) -> Data:
    files = article_files()
    articles = sorted(files)
    cases = all_cases()
    print(f"collecting signals: {len(cases)} questions of {len(articles)} articles, and the seeds", file=out)
    everything = index_settings(settings, [files[a] for a in articles])
    jobs = (
        squad_jobs(settings, articles, cases) + partition_jobs(settings, articles, cases) + seed_jobs(settings, cases)
    )
    extra = [
        Job(everything, tuple(cases), tuple(articles), without_own=True),
        Job(everything, bank_cases(), foreign=True),
    ]
    rows = run([*jobs, *extra])
    others_end = len(rows) - len(extra[1].cases)
    split = others_end - len(cases)
    sizes = [(frozenset(j.corpus_articles), largest([j])) for j in jobs]
    chunks = {a: n for names, n in sizes if len(names) == 1 for a in names}
    return Data(weigh(rows[:split]), rows[split:others_end], rows[others_end:], sizes, chunks)


def evaluate(fold_rows: list[Row], other_rows: list[Row], model: Model, other_model: Model) -> dict[str, Any]:
    """The figures of one held-out article at the fold's own thresholds (``other_model``: with
    the relevance threshold of the corpus of the other articles)."""
    r_own, p_own, logits = predict(model, fold_rows)
    r_other, p_other, _ = predict(other_model, other_rows)
    answerable = np.array([r.answerable for r in fold_rows])
    hits = np.array([answered_with_fact(model, r, lg) for r, lg in zip(fold_rows, logits, strict=True)])
    through = kept(model, r_own, p_own)
    return {
        "answerable": int(answerable.sum()),
        "lookalike": int((~answerable).sum()),
        "answerable_with_fact": round(float((through & hits)[answerable].mean()), 4),
        "lookalike_refused": round(float((~through)[~answerable].mean()), 4),
        "other_corpus_refused": round(float(np.mean(~kept(other_model, r_other, p_other))), 4),
        "relevance_threshold": round(model.relevance_threshold, 4),
        "other_corpus_relevance_threshold": round(other_model.relevance_threshold, 4),
        "answer_threshold": round(model.answer_threshold, 4),
    }


def leave_one_out(settings: Settings, out: TextIO = sys.stdout) -> list[Fold]:
    data = gather(settings, out)
    folds = []
    for article in sorted(article_files()):
        fitted = fit_models([r for r in data.rows if article not in r.involves])
        model = replace(fitted.model, calibrate_above=max(n for names, n in data.sizes if article not in names))
        own = [r for r in data.rows if r.in_corpus and r.group == article]
        elsewhere = [r for r in data.others if r.group == article]
        other_model = model
        if sum(data.chunks.values()) - data.chunks[article] > model.calibrate_above:
            relevance, _, _ = predict(model, data.bank)
            other_model = replace(
                model,
                relevance_threshold=calibration.threshold(
                    relevance.tolist(), model.relevance_threshold, model.calibration_quantile
                ),
            )
        figures = evaluate(own, elsewhere, model, other_model)
        folds.append(Fold(article, figures))
        print(f"{article:40s} {figures}", file=out, flush=True)
    report(folds, out)
    return folds


def pooled(folds: list[Fold]) -> dict[str, float]:
    """Figures over all held-out questions, each fold weighted by its questions."""
    out: dict[str, float] = {}
    for key, count in (("answerable_with_fact", "answerable"), ("lookalike_refused", "lookalike")):
        total = sum(f.figures[count] for f in folds)
        out[key] = round(sum(f.figures[key] * f.figures[count] for f in folds) / total, 4)
    total = sum(f.figures["answerable"] + f.figures["lookalike"] for f in folds)
    out["other_corpus_refused"] = round(
        sum(f.figures["other_corpus_refused"] * (f.figures["answerable"] + f.figures["lookalike"]) for f in folds)
        / total,
        4,
    )
    out["lookalike_refused_lowest"] = min(f.figures["lookalike_refused"] for f in folds)
    return out


def report(folds: list[Fold], out: TextIO) -> None:
    print("pooled:", pooled(folds), file=out)
