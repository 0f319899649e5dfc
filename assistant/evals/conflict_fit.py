"""Fitting the disagreement model: which pairs of sentences are two answers to one question.

Data (fitting parts only; the validation parts are read only to report):

- ``counterfactual``: SQuAD paragraphs copied with their answer swapped (a true disagreement)
  and copied unchanged (none), indexed with their articles (``evals/conflicts/``);
- ``paragraphs``: the SQuAD articles with every paragraph its own document, so a question
  retrieves related documents that state other years, names and numbers (no disagreement);
- ``newuser``: small sets of a new user's own documents (``evals/newuser/``), two documents
  stating different values for one fact in different words, or related but different facts;
- ``seeds``: the seed articles' development paraphrases (two real reports of one event).

Each question's candidate pairs (:func:`conflicts.pairs`) are labelled: a pair of a conflict
case whose two sentences hold different expected values is a disagreement; every pair of a
question whose sources agree is not. A logistic regression over :data:`signals.PAIR` is fitted
on them; its threshold is chosen on out-of-fold predictions (folds: a SQuAD article, a fifth of
the sets, the seeds) for false alarms first: the lowest probability at which no source's
questions that have no disagreement are answered "The sources disagree" more than
:data:`FALSE_ALARMS` of the time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from ..answering import signals
from ..answering.conflicts import pairs
from ..answering.model import Logistic, Model, sigmoid
from ..pipeline import Assistant
from ..settings import Settings
from . import golden
from .corpora import index_settings
from .scoring import group_matched
from .suites import SET_QUESTIONS

FALSE_ALARMS = 0.01  # the most any source's agreeing questions may be told "the sources disagree"
SET_FOLDS = 5
SQUAD = Path("evals/squad")
CONFLICTS = Path("evals/conflicts")
NEWUSER = Path("evals/newuser")
SEEDS = Path("seeds")


@dataclass(frozen=True)
class Source:
    """Questions asked of corpora: (corpus folders, cases) pairs, with the fold of each case."""

    name: str
    corpora: tuple[tuple[tuple[Path, ...], tuple[golden.Case, ...]], ...]


@dataclass
class Question:
    case: golden.Case
    source: str
    group: str
    features: np.ndarray  # pairs × signals.PAIR
    labels: np.ndarray  # the pair is the disagreement the case expects
    conflict: bool  # the case expects a disagreement


def _articles(part: str) -> list[str]:
    return sorted(p.stem for p in (SQUAD / f"corpus-{part}").glob("*.txt"))


def sources(part: str) -> list[Source]:
    """The data of ``part`` ("fit" or "validation")."""
    corpus = SQUAD / f"corpus-{part}"
    counterfactual = tuple(
        ((corpus, CONFLICTS / f"{part}-{kind}"), tuple(golden.load(CONFLICTS / f"{part}-{kind}.jsonl")))
        for kind in ("swapped", "clean")
    )
    paragraph_folders = tuple(SQUAD / "paragraphs" / a for a in _articles(part))
    paragraphs = ((paragraph_folders, tuple(golden.load(SQUAD / f"paragraphs-{part}.jsonl"))),)
    sets = tuple(
        ((path.parent,), tuple(golden.load(path))) for path in sorted((NEWUSER / part).glob(f"*/{SET_QUESTIONS}"))
    )
    seed_files = [Path("evals/seeds/paraphrases.jsonl")] if part == "fit" else [
        Path("evals/seeds/paraphrases-heldout.jsonl"), Path("evals/golden.jsonl")
    ]  # fmt: skip
    seeds = tuple(((SEEDS,), tuple(c for c in golden.load(f) if not c.turns)) for f in seed_files)
    return [
        Source("counterfactual", counterfactual),
        Source("paragraphs", paragraphs),
        Source("newuser", sets),
        Source("seeds", seeds),
    ]


def _group(source: str, case: golden.Case, corpus: tuple[Path, ...]) -> str:
    if source == "newuser":
        return f"newuser-{zlib.crc32(corpus[0].name.encode()) % SET_FOLDS}"
    if source == "seeds":
        return "seeds"
    return (case.article or "").removesuffix(".txt")


def label(case: golden.Case, a: str, b: str) -> bool:
    """Whether sentences ``a`` and ``b`` hold two different expected values of a conflict case."""
    if case.kind != "conflict":
        return False
    in_a = {i for i, g in enumerate(case.facts) if group_matched(a, g)}
    in_b = {i for i, g in enumerate(case.facts) if group_matched(b, g)}
    return bool(in_a - in_b) and bool(in_b - in_a)


def collect(settings: Settings, model: Model, data: list[Source], out: TextIO | None = None) -> list[Question]:
    """Every question's candidate pairs and their labels, with ``model``'s ranker and gate."""
    questions = []
    for source in data:
        for folders, cases in source.corpora:
            assistant = Assistant(index_settings(settings, list(folders)), model)
            questions += list(_questions(assistant, source.name, folders, cases))
        if out is not None:
            print(f"  {source.name}: {sum(q.source == source.name for q in questions)} questions", file=out)
    return questions


def _questions(
    assistant: Assistant, source: str, folders: tuple[Path, ...], cases: tuple[golden.Case, ...]
) -> Iterator[Question]:
    for case in cases:
        ranked, first = assistant.examine(case.question)
        found = pairs(ranked, assistant.model, first)
        texts = [ranked.candidates[i].span.text for i in range(len(ranked.candidates))]
        features = np.vstack([p.features for p in found]) if found else np.zeros((0, len(signals.PAIR)))
        labels = np.array([label(case, texts[p.a], texts[p.b]) for p in found], dtype=bool)
        yield Question(case, source, _group(source, case, folders), features, labels, case.kind == "conflict")


def _fit(questions: list[Question]) -> Logistic:
    """Pairs of agreeing questions (all negative) and the labelled pairs of conflict cases; a
    conflict case's other pairs are left out (they may or may not be about the point)."""
    from .fit import _fit_logistic

    xs, ys, names = [], [], []
    for q in questions:
        keep = q.labels if q.conflict else np.ones(len(q.labels), dtype=bool)
        xs.append(q.features[keep])
        ys.append(q.labels[keep])
        names += [q.source] * int(keep.sum())
    x, y, source = np.vstack(xs), np.concatenate(ys), np.array(names)
    # Each source weighs the same within each class, and the two classes the same: the many
    # near-copies of the counterfactual sets must not teach that only copies disagree.
    w = np.zeros(len(y))
    for label in (True, False):
        groups = [s for s in dict.fromkeys(names) if ((source == s) & (y == label)).any()]
        for s in groups:
            mask = (source == s) & (y == label)
            w[mask] = 0.5 / len(groups) / mask.sum()
    return _fit_logistic(x, y, w * len(y), signals.PAIR)


def question_scores(model: Logistic, questions: list[Question]) -> np.ndarray:
    """Each question's probability of a disagreement: its most likely pair's."""
    return np.array([float(sigmoid(model.logits(q.features)).max()) if len(q.features) else 0.0 for q in questions])


def detected(model: Logistic, q: Question, threshold: float) -> bool:
    """A conflict case counts as found when its most likely pair clears the threshold and is
    the disagreement it expects."""
    if not len(q.features):
        return False
    p = sigmoid(model.logits(q.features))
    best = int(np.argmax(p))
    return bool(p[best] >= threshold and q.labels[best])


@dataclass
class ConflictFit:
    model: Logistic
    threshold: float
    oof: np.ndarray


def fit(questions: list[Question], out: TextIO) -> ConflictFit:
    groups = sorted({q.group for q in questions})
    oof = np.zeros(len(questions))
    found = np.zeros(len(questions), dtype=bool)
    for group in groups:
        held = [i for i, q in enumerate(questions) if q.group == group]
        model = _fit([q for q in questions if q.group != group])
        for i in held:
            q = questions[i]
            oof[i] = question_scores(model, [q])[0]
            found[i] = detected(model, q, 0.0)
    threshold = choose_threshold(questions, oof)
    print("disagreement model, out of fold, by threshold (false alarms per source; conflicts found):", file=out)
    table(questions, oof, found, threshold, out)
    return ConflictFit(_fit(questions), threshold, oof)


def choose_threshold(questions: list[Question], scores: np.ndarray) -> float:
    """The lowest probability at which no source's agreeing questions get a false alarm more
    often than :data:`FALSE_ALARMS`."""
    negatives = {s: np.array([not q.conflict and q.source == s for q in questions]) for s in _names(questions)}
    for threshold in np.unique(np.round(scores, 4)):
        if all(not m.any() or float(np.mean(scores[m] >= threshold)) <= FALSE_ALARMS for m in negatives.values()):
            return float(threshold)
    return 1.0


def _names(questions: list[Question]) -> list[str]:
    return list(dict.fromkeys(q.source for q in questions))


def table(questions: list[Question], scores: np.ndarray, found: np.ndarray, chosen: float, out: TextIO) -> None:
    names = _names(questions)
    print("  threshold  " + "  ".join(f"{n:>14}" for n in names) + "  conflicts-found", file=out)
    positives = np.array([q.conflict for q in questions])
    for threshold in sorted({0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, chosen}):
        alarms = []
        for name in names:
            m = np.array([not q.conflict and q.source == name for q in questions])
            alarms.append(f"{float(np.mean(scores[m] >= threshold)):14.3f}" if m.any() else f"{'n/a':>14}")
        hit = float(((scores >= threshold) & found)[positives].mean()) if positives.any() else 0.0
        mark = " <- chosen" if threshold == chosen else ""
        print(f"  {threshold:9.4f}  " + "  ".join(alarms) + f"  {hit:15.3f}{mark}", file=out)


def report_validation(settings: Settings, model: Model, out: TextIO) -> None:
    """The shipped disagreement model on the validation parts, which nothing above has seen."""
    assert model.conflict is not None
    print("disagreement model on the validation parts (never fitted on):", file=out)
    questions = collect(settings, model, sources("validation"), out)
    scores = question_scores(model.conflict, questions)
    found = np.array([detected(model.conflict, q, 0.0) for q in questions])
    table(questions, scores, found, model.conflict_threshold, out)
