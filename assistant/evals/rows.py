"""The fitting data: every candidate sentence's signals for a question asked of a corpus.

A :class:`Row` is one question asked of one corpus, with what the ranker and the gate are fitted
on. Rows keep only arrays and the candidates' text, so ``assistant fit`` and the
leave-one-article-out check (:mod:`transfer`) can refit many times without touching an index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..answering import signals
from ..answering.candidates import candidates
from ..answering.question import analyse_question
from ..indexing import snapshot as snapshots
from ..indexing.embedder import make_embedder
from ..indexing.retrieve import Retriever
from ..indexing.vectors import VectorStore, connect
from ..settings import Settings
from . import golden
from .corpora import index_settings
from .scoring import group_matched

SQUAD = Path("evals/squad")
SEEDS = Path("seeds")
SEED_QUESTIONS = (Path("evals/seeds/paraphrases.jsonl"), Path("evals/seeds/unanswerable-dev.jsonl"))
TOP_K = 8  # chunks whose sentences are candidates
SEED_FOLDS = 5


@dataclass
class Row:
    """One question asked of one corpus."""

    case: golden.Case
    family: str  # squad or seeds: where the question and its corpus come from
    group: str  # its cross-validation fold: the article, or a fifth of the seed facts
    involves: frozenset[str]  # the SQuAD articles whose questions or text it uses
    answerable: bool  # this corpus holds its answer
    in_corpus: bool  # asked of the corpus it was written for (false: another corpus)
    features: np.ndarray  # candidates × signals.NAMES
    labels: np.ndarray  # the candidate holds (part of) an expected answer
    texts: list[str]  # the candidates' sentences
    context: signals.GateContext
    weight: float = 1.0


def retriever(settings: Settings) -> Retriever:
    snap = snapshots.load(Path(settings.index_dir))
    return Retriever(snap, VectorStore.open(connect(settings), snap.collection, make_embedder(settings), create=False))


def article_files() -> dict[str, Path]:
    """Every SQuAD article's file, by document id, fitting and validation alike."""
    return {p.name: p for part in ("corpus-fit", "corpus-validation") for p in sorted((SQUAD / part).glob("*.txt"))}


def fold(family: str, case: golden.Case) -> str:
    """A non-SQuAD question's cross-validation fold: a fifth of the seed facts (by the number in
    the id)."""
    digits = re.sub(r"\D", "", case.id)
    return f"{family}-{int(digits or 0) % SEED_FOLDS}"


def collect(
    settings: Settings,
    cases: Iterable[golden.Case],
    *,
    corpus_articles: Iterable[str] = (),
    without_own: bool = False,
    foreign: bool = False,
    family: str = "squad",
    k: int = TOP_K,
) -> list[Row]:
    """Signals of every candidate of every case, asked of the index ``settings`` points at.
    ``corpus_articles``: the SQuAD articles that index holds; ``without_own`` leaves each
    case's article out of it; ``foreign`` says the corpus is not the one the questions were
    written for."""
    search = retriever(settings)
    snap = search.snapshot
    titles = article_files()
    held = frozenset(corpus_articles)
    rows = []
    for case in cases:
        article = case.article or (case.sources[0] if case.sources else "")
        squad = family == "squad" and article in titles
        group = article if squad else fold(family, case)
        exclude = frozenset({article}) if without_own else frozenset()
        info = analyse_question(case.question)
        cands = candidates(snap, search.search(case.question, k, exclude=exclude))
        features = signals.compute(snap, info, cands)
        answerable = case.answerable and not without_own and not foreign
        labels = np.array(
            [answerable and any(group_matched(c.span.text, g) for g in case.facts) for c in cands], dtype=bool
        )
        involves = (held - exclude) | ({article} if article in titles else set())
        own = not without_own and not foreign
        texts = [c.span.text for c in cands]
        context = signals.gate_context(snap, info, cands)
        family_of = "squad" if squad else family
        rows.append(Row(case, family_of, group, frozenset(involves), answerable, own, features, labels, texts, context))
    return rows


@dataclass(frozen=True)
class Job:
    """Questions to ask of one built index (the arguments of :func:`collect`)."""

    settings: Settings
    cases: tuple[golden.Case, ...]
    corpus_articles: tuple[str, ...] = ()
    without_own: bool = False
    foreign: bool = False
    family: str = "squad"


def largest(jobs: list[Job]) -> int:
    """The most chunks any of the jobs' corpora holds."""
    return max((len(snapshots.load(Path(j.settings.index_dir)).chunks) for j in jobs), default=0)


def bank_cases() -> tuple[golden.Case, ...]:
    """The questions about other things (:mod:`calibration`) as cases to be refused."""
    from ..answering.calibration import bank

    return tuple(golden.Case(f"offtopic-{i}", q, [], [], "unanswerable") for i, q in enumerate(bank()))


def _run(job: Job) -> list[Row]:
    return collect(
        job.settings, job.cases, corpus_articles=job.corpus_articles, without_own=job.without_own, foreign=job.foreign,
        family=job.family,
    )  # fmt: skip


def run(jobs: list[Job], processes: int = 2, batch: int = 60) -> list[Row]:
    """Every job's rows, in order, computed by ``processes`` worker processes (the indexes must
    be built already: workers only read them)."""
    pieces = [
        Job(j.settings, j.cases[i : i + batch], j.corpus_articles, j.without_own, j.foreign, j.family)
        for j in jobs
        for i in range(0, len(j.cases), batch)
    ]
    if processes <= 1:
        return [row for piece in pieces for row in _run(piece)]
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return [row for rows in pool.imap(_run, pieces) for row in rows]


def squad_jobs(settings: Settings, articles: list[str], cases: list[golden.Case]) -> list[Job]:
    """Each article's questions asked of that article alone (answerable or a look-alike), and
    of the next article in the list (to be refused): corpora of one article each, so a row
    involves at most two articles and a fold can leave any one out cleanly."""
    files = article_files()
    by_article: dict[str, list[golden.Case]] = {}
    for case in cases:
        by_article.setdefault(case.article or "", []).append(case)
    jobs: list[Job] = []
    for i, article in enumerate(articles):
        asked = tuple(by_article.get(article, []))
        jobs.append(Job(index_settings(settings, [files[article]]), asked, (article,)))
        other = articles[(i + 1) % len(articles)]
        if other != article:
            jobs.append(Job(index_settings(settings, [files[other]]), asked, (other,), foreign=True))
    return jobs


def partition_jobs(settings: Settings, articles: list[str], cases: list[golden.Case]) -> list[Job]:
    """The articles split in two halves (alternately, by name), each half's questions asked of
    the other half: corpora of several articles, none of them the questions' own, to be
    refused. With the one-article corpora of :func:`squad_jobs`, questions about something the
    documents never mention are fitted on corpora of more than one size."""
    files = article_files()
    halves = (articles[::2], articles[1::2])
    jobs = []
    for mine, other in (halves, halves[::-1]):
        if not mine or not other:
            continue
        asked = tuple(c for c in cases if c.article in mine)
        jobs.append(Job(index_settings(settings, [files[a] for a in other]), asked, tuple(other), foreign=True))
    return jobs


def seed_jobs(settings: Settings, squad_cases: list[golden.Case]) -> list[Job]:
    """The seeds' development questions asked of the seeds, and SQuAD questions asked of them
    (all to be refused): news wording and short questions that SQuAD lacks."""
    seeds = index_settings(settings, SEEDS)
    seed_cases = tuple(c for path in SEED_QUESTIONS for c in golden.load(path) if not c.turns)
    return [Job(seeds, seed_cases, family="seeds"), Job(seeds, tuple(squad_cases), foreign=True)]
