"""The signals the ranker weighs for each (question, sentence) pair.

Every signal is general: how much of the question the sentence covers (exact stems, then word
similarity through WordLlama's token vectors, so "purchased" meets "bought" without a synonym
table), whether the sentence holds the kind of thing the question asks for (a name for "who",
a date for "when", a number for "how many") and how close it stands to the question's words,
the sentence's similarity to the question as a whole, and where retrieval ranked its chunk.
The weights come from :mod:`model`, fitted on data (``assistant fit``); nothing is set by hand.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import regex

from ..indexing.snapshot import Snapshot
from ..text.analysis import analyse, stopwords
from ..text.analysis import stem as stem_word
from ..text.antonyms import opposed
from ..text.embedding import embedder
from ..text.names import acronyms, initials, name_runs
from ..text.negation import is_negated
from ..text.normalise import words
from ..text.quantities import DATE_WORD, YEAR, numbers_in
from .candidates import Candidate
from .question import ANSWER_TYPES, QuestionInfo
from .values import clashes, qualifiers

NEAR = 6  # tokens: "close to the question's words"
_TOKEN = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’%.,\-]*[\p{L}\p{N}%]|[\p{L}\p{N}]")
_PLACE_CUE = regex.compile(r"\b(?:in|at|from|to|near|outside|inside|into|across|on|of)\s+(?:the\s+)?(\p{Lu}[\p{L}\-]+)")
_REASON_CUE = re.compile(
    r"\b(because|since|due to|as a result|so that|in order to|owing to|thanks to|led to|caused|cause|reason|"
    r"therefore|thus|result)\b",
    re.I,
)
_QUOTE = re.compile(r"[“\"‘].{6,}[”\"’]")

BASE = (
    "coverage",  # idf-weighted share of the question's content the sentence covers (soft)
    "coverage_exact",  # the same, counting only the same stem
    "coverage_context",  # soft coverage counting what the sentence borrows from its antecedent
    "worst_term",  # the least-covered question term: one missing word can mean "not this"
    "unmatched_idf",  # idf mass of question terms with no exact match, over the total
    "names_covered",  # share of the question's names present (or borrowed)
    "bigrams",  # share of the question's neighbouring term pairs that are near in the sentence
    "dense",  # cosine of the sentence and question vectors
    "dense_window",  # cosine of the question and the sentence with its neighbours
    "previous_coverage",  # soft coverage of the sentence before it in the paragraph
    "next_coverage",  # and of the one after
    "window_coverage",  # soft coverage of the three together
    "chunk_rank",  # 1 / (1 + rank of its chunk in retrieval)
    "dense_rank",  # 1 / (1 + rank of its chunk in the dense ranking), 0 when absent
    "lexical_rank",  # the same in the BM25 ranking
    "novel",  # share of the sentence's content stems that the question does not have
    "length",  # log of the sentence's token count
    "numbers_match",  # every number in the question is stated (1), some are not (-1), none (0)
    "negation_mismatch",  # the question is negated and the sentence not, or the other way
    "new_name",  # a capitalised word the question does not have
    "new_number",
    "date",
    "place_cue",
    "quote",
    "reason_cue",
    "predicate_coverage",  # soft coverage of the question's content less its names: what is asked about them
    "predicate_worst",  # the least-covered of those terms ("born" in "When was X born?")
    "type_near_predicate",  # a value of the kind asked for stands near one of those terms
    "qualifier_clash",  # states another year, number or ordinal than the question sets, and none of its own
)
TYPED = tuple(f"{kind}_{what}" for kind in ANSWER_TYPES for what in ("is", "has", "near"))
# Compared with the other candidates of the same question: a pointwise model cannot see that a
# sentence is the best of its question unless it is told.
RELATIVE_OF = (
    "coverage",
    "predicate_coverage",
    "coverage_exact",
    "coverage_context",
    "window_coverage",
    "dense",
    "dense_window",
    "bigrams",
    "worst_term",
    "names_covered",
)
RELATIVE = tuple(f"{name}_{what}" for name in RELATIVE_OF for what in ("gap", "best"))
NAMES = BASE + TYPED + RELATIVE
_COL = {name: i for i, name in enumerate(NAMES)}

# What each answer type looks for in a sentence.
_WANTS = {
    "person": ("new_name",),
    "place": ("place_cue", "new_name"),
    "time": ("date",),
    "quantity": ("new_number",),
    "reason": ("reason_cue",),
    "manner": ("reason_cue", "new_name"),
    "yesno": (),
    "thing": ("new_name", "new_number", "quote"),
}


@dataclass
class _Token:
    stem: str
    kinds: set[str]


def _tokens(text: str, question_stems: set[str], question_numbers: set[float]) -> list[_Token]:
    out = []
    for i, m in enumerate(_TOKEN.finditer(text)):
        word = m.group(0)
        stem = stem_word(word)
        kinds = set()
        if word[0].isupper() and i > 0 and stem and stem not in question_stems:
            kinds.add("new_name")
        values = numbers_in(word)
        if values and not set(values) <= question_numbers:
            kinds.add("new_number")
        if YEAR.fullmatch(word) or DATE_WORD.fullmatch(word):
            kinds.add("date")
        out.append(_Token(stem, kinds))
    return out


# English derivational endings that turn a place into its people or adjective ("America" →
# "American", "Japan" → "Japanese"), which the stemmer leaves apart.
_DEMONYM_ENDINGS = ("n", "an", "ian", "ean", "ese", "ish", "i", "ic", "ern")


def _related(a: str, b: str) -> bool:
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and long.startswith(short) and long[len(short) :] in _DEMONYM_ENDINGS


def term_credit(term: str, stems: set[str]) -> float:
    """1 for the same stem, 0.9 for a demonym of it; other relations are the word vectors' job
    ("capital" and "capitulation" share a prefix and nothing else)."""
    if term in stems:
        return 1.0
    return 0.9 if any(_related(term, s) for s in stems) else 0.0


class _Coverage:
    """Per-question cache of how well each sentence covers the question's terms."""

    def __init__(self, snapshot: Snapshot, info: QuestionInfo) -> None:
        self.terms = info.content_terms
        self.weights = np.array([snapshot.lexical.idf(t) for t in self.terms])
        self.total = float(self.weights.sum()) or 1.0
        self.stop = stopwords()
        self.model = embedder()
        word_of = _term_words(info)
        self.vectors = self.model.words([word_of[t] for t in self.terms]) if self.terms else None
        self.runs = [(set(analyse(run)), initials(run)) for _, run in name_runs(info.text, min_words=2)]
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def credits(self, text: str, stems: set[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(exact credit, soft credit) per question term: 1 for the same stem or an acronym of
        it ("EU" for "European Union", either way round); soft adds the best word-vector
        similarity with any word of the text."""
        if text in self._cache:
            return self._cache[text]
        stems = (stems if stems is not None else set(analyse(text))) | acronyms(text)
        exact = np.array([term_credit(t, stems) for t in self.terms])
        for run_terms, run_initials in self.runs:
            if run_initials in stems:
                exact[[i for i, t in enumerate(self.terms) if t in run_terms]] = 1.0
        soft = exact
        if self.vectors is not None:
            content = [w for w in dict.fromkeys(words(text)) if w not in self.stop]
            if content:
                sims = np.clip((self.vectors @ self.model.words(content).T).max(axis=1), 0.0, 1.0)
                soft = np.maximum(exact, sims)
        self._cache[text] = (exact, soft)
        return exact, soft

    def share(self, credit: np.ndarray) -> float:
        return float(self.weights @ credit) / self.total if self.terms else 0.0


def compute(snapshot: Snapshot, info: QuestionInfo, cands: list[Candidate]) -> np.ndarray:
    """One row of :data:`NAMES` per candidate."""
    return relative(raw(snapshot, info, cands))


def relative(out: np.ndarray) -> np.ndarray:
    """Fills in the :data:`RELATIVE` columns: each candidate against the best of the rows given."""
    if not len(out):
        return out
    col = _COL
    for name in RELATIVE_OF:
        values = out[:, col[name]]
        out[:, col[f"{name}_gap"]] = values - values.max()
        out[:, col[f"{name}_best"]] = values >= values.max()
    return out


def raw(snapshot: Snapshot, info: QuestionInfo, cands: list[Candidate]) -> np.ndarray:
    """The signals of each candidate on its own (the :data:`RELATIVE` columns left at zero)."""
    out = np.zeros((len(cands), len(NAMES)), dtype=np.float64)
    if not cands:
        return out
    col = _COL
    cover = _Coverage(snapshot, info)
    terms = cover.terms
    q_stems = set(info.terms)
    q_numbers = set(info.numbers)
    q_pairs = list(pairwise(terms))
    q_qualifiers = qualifiers(info.text)
    name_stems = set(info.names)
    predicate_terms = {t for t in terms if t not in name_stems}
    predicate = np.array([t in predicate_terms for t in terms], dtype=bool)
    predicate_weights = cover.weights * predicate if terms else cover.weights
    windows = []
    for cand in cands:
        before, after = cand.neighbour(snapshot, -1), cand.neighbour(snapshot, +1)
        windows.append((before, after))
    texts = [info.text] + [c.span.text for c in cands]
    texts += [
        " ".join(s.text for s in (b, c.span, a) if s is not None) for c, (b, a) in zip(cands, windows, strict=True)
    ]
    vectors = cover.model.embed(texts)
    dense = vectors[1 : 1 + len(cands)] @ vectors[0]
    dense_window = vectors[1 + len(cands) :] @ vectors[0]

    for row, (cand, (before, after)) in enumerate(zip(cands, windows, strict=True)):
        text = cand.span.text
        stems = set(cand.terms)
        f = out[row]
        exact, soft = cover.credits(text, stems)
        if terms:
            borrowed = np.array([0.8 * term_credit(t, cand.context.terms | cand.context.names) for t in terms])
            with_context = np.maximum(soft, borrowed)
            f[col["coverage"]] = cover.share(soft)
            f[col["coverage_exact"]] = cover.share(exact)
            f[col["coverage_context"]] = cover.share(with_context)
            f[col["worst_term"]] = float(with_context.min())
            f[col["unmatched_idf"]] = cover.share((exact < 0.9).astype(float))
            window = soft
            for side, name in ((before, "previous_coverage"), (after, "next_coverage")):
                if side is not None:
                    side_soft = cover.credits(side.text)[1]
                    f[col[name]] = cover.share(side_soft)
                    window = np.maximum(window, side_soft)
            f[col["window_coverage"]] = cover.share(window)
        if predicate.any():
            f[col["predicate_coverage"]] = float(predicate_weights @ with_context) / (
                float(predicate_weights.sum()) or 1.0
            )
            f[col["predicate_worst"]] = float(with_context[predicate].min())
        else:
            f[col["predicate_coverage"]] = f[col["predicate_worst"]] = 1.0
        f[col["qualifier_clash"]] = float(clashes(q_qualifiers, text))
        names = [n for n in info.names if n in terms]
        if names:
            have = stems | cand.context.names
            f[col["names_covered"]] = sum(term_credit(n, have) >= 0.9 for n in names) / len(names)
        else:
            f[col["names_covered"]] = 1.0
        tokens = _tokens(text, q_stems, q_numbers)
        positions: dict[str, list[int]] = {}
        for i, tok in enumerate(tokens):
            positions.setdefault(tok.stem, []).append(i)
        if q_pairs:
            f[col["bigrams"]] = sum(_near(positions, a, b) for a, b in q_pairs) / len(q_pairs)
        f[col["dense"]] = float(dense[row])
        f[col["dense_window"]] = float(dense_window[row])
        f[col["chunk_rank"]] = 1.0 / (1 + cand.rank)
        f[col["dense_rank"]] = 0.0 if cand.dense_rank is None else 1.0 / (1 + cand.dense_rank)
        f[col["lexical_rank"]] = 0.0 if cand.lexical_rank is None else 1.0 / (1 + cand.lexical_rank)
        f[col["novel"]] = sum(s not in q_stems for s in cand.terms) / max(1, len(cand.terms))
        f[col["length"]] = math.log(1 + len(tokens))
        if q_numbers:
            f[col["numbers_match"]] = 1.0 if q_numbers <= set(numbers_in(text)) else -1.0
        f[col["negation_mismatch"]] = float(info.negated != is_negated(text))
        kinds_present = set().union(*(t.kinds for t in tokens)) if tokens else set()
        for kind_name in ("new_name", "new_number", "date"):
            f[col[kind_name]] = float(kind_name in kinds_present)
        f[col["place_cue"]] = float(any(stem_word(m.group(1)) not in q_stems for m in _PLACE_CUE.finditer(text)))
        f[col["quote"]] = float(bool(_QUOTE.search(text)))
        f[col["reason_cue"]] = float(bool(_REASON_CUE.search(text)))
        kind = info.answer_type
        f[col[f"{kind}_is"]] = 1.0
        wants = _WANTS[kind]
        if wants:
            f[col[f"{kind}_has"]] = max(f[col[w]] for w in wants)
            anchors = [i for i, tok in enumerate(tokens) if tok.stem in terms]
            typed = [i for i, tok in enumerate(tokens) if tok.kinds & set(wants)]
            f[col[f"{kind}_near"]] = float(any(abs(i - j) <= NEAR for i in anchors for j in typed))
            if predicate_terms:
                anchors = [i for i, tok in enumerate(tokens) if tok.stem in predicate_terms]
            f[col["type_near_predicate"]] = float(any(abs(i - j) <= NEAR for i in anchors for j in typed))
    return out


def _near(positions: dict[str, list[int]], a: str, b: str) -> bool:
    return any(abs(i - j) <= 3 for i in positions.get(a, ()) for j in positions.get(b, ()))


def _term_words(info: QuestionInfo) -> dict[str, str]:
    """A written word for each content stem of the question (its first occurrence)."""
    out: dict[str, str] = {}
    for word in info.words:
        stems = analyse(word)
        if stems and stems[0] not in out:
            out[stems[0]] = word
    for term in info.content_terms:
        out.setdefault(term, term)
    return out


GATE = (
    "top",  # the ranker's log-odds for the best sentence
    "second",  # and for the runner-up
    "top3_mean",
    "margin",  # top minus second
    "top_coverage",
    "top_coverage_exact",
    "top_worst_term",
    "top_unmatched_idf",
    "top_names_covered",
    "top_window_coverage",
    "top_dense",
    "top_numbers_match",
    "top_type_has",  # the best sentence holds the kind of thing asked for
    "top_type_near",
    "max_coverage_exact",  # the best of each over all candidates
    "max_worst_term",
    "max_names_covered",
    "max_dense",
    "question_negated",
    "negation_mismatch_top3",  # the least mismatch among the three best
    "content_terms",  # how many content terms the question has
    "unknown_terms",  # idf share of question terms that occur nowhere in the corpus
    "missing_in_retrieved",  # idf share of question terms in none of the candidate sentences
    "names_missing_in_retrieved",  # share of the question's names in none of them
    "max_window_coverage",
    "top_predicate_coverage",
    "top_predicate_worst",
    "top_type_near_predicate",
    "top_qualifier_clash",
    "max_predicate_coverage",
    "max_predicate_worst",
    "top_opposite",  # the best sentence states the opposite of a question word (WordNet antonyms)
    "opposite_top3_min",  # all three best do
    "opposite_top3_mean",
)
_GATE_COL = {name: i for i, name in enumerate(GATE)}

# The signals of a pair of sentences from different documents that may disagree on the point
# asked (computed by :mod:`conflicts`, weighed by the fitted conflict model).
PAIR = (
    "ranker_min",  # the lower ranker log-odds of the two: both must rank as answers
    "ranker_max",
    "gate_min",  # the lower margin of the answer gates, each sentence taken as the answer
    "gate_max",
    "names_min",  # the lower share of the question's names present (or borrowed)
    "coverage_min",  # the lower coverage of the question's content
    "values_differ",  # each states a value of the asked kind the other does not
    "slot_near",  # the differing values stand near the question's words, in both
    "shared_rest",  # share of their other content stems the two share
    "pair_dense",  # cosine of the two sentences' vectors
    "negation_differs",  # one is negated, the other not
    "type_has_min",  # both hold the kind of thing asked for
    "yesno",  # a yes/no question: only polarity can differ
    "second_look",  # one side was found by searching with the best sentence
    "doc_rank_max",  # 0 when both are their documents' best sentences, 1 when one is the second best
    "best_gap",  # log-odds between the best answer of all and the weaker of the two
)


# A further sentence of an answer, beyond the best one: whether it too answers the question
# (weighed by the fitted "more" model: every sentence shown must pass the same kind of test).
MORE = (
    "logit",  # the ranker's log-odds that it answers
    "gap",  # how far below the best sentence's
    "margin",  # the answer gates' margin, were it the best sentence
    "names_covered",
    "qualifier_clash",
    "type_has",  # it holds the kind of thing asked for
    "predicate_coverage",
    "type_near_predicate",
)


def more_signals(features: np.ndarray, logits: np.ndarray, i: int, margin: float, answer_type: str) -> np.ndarray:
    f = features[i]
    return np.array(
        [logits[i], float(logits.max() - logits[i]), margin, f[_COL["names_covered"]], f[_COL["qualifier_clash"]],
         f[_COL[f"{answer_type}_has"]], f[_COL["predicate_coverage"]], f[_COL["type_near_predicate"]]]
    )  # fmt: skip


@dataclass(frozen=True)
class GateContext:
    """What the gate reads besides the candidates' signal rows and scores: question-level
    signals, and whether each candidate states the opposite of a question word. Computed once
    per question, so refitting (``assistant fit``) needs neither the snapshot nor the text."""

    static: dict[str, float]
    opposed: np.ndarray  # per candidate
    answer_type: str


def gate_context(snapshot: Snapshot, info: QuestionInfo, cands: list[Candidate]) -> GateContext:
    terms = info.content_terms
    static = {
        "content_terms": float(len(terms)),
        "question_negated": float(info.negated),
        "unknown_terms": 1.0,
        "missing_in_retrieved": 1.0,
        "names_missing_in_retrieved": 1.0 if info.names else 0.0,
    }
    if terms:
        weights = np.array([snapshot.lexical.idf(t) for t in terms])
        unknown = np.array([snapshot.lexical.document_frequency(t) == 0 for t in terms], dtype=float)
        static["unknown_terms"] = float(weights @ unknown) / float(weights.sum())
        if cands:
            seen = set().union(*(set(c.terms) | c.context.names for c in cands))
            missing = np.array([term_credit(t, seen) < 0.9 for t in terms], dtype=float)
            static["missing_in_retrieved"] = float(weights @ missing) / float(weights.sum())
            names = [n for n in info.names if n in terms]
            if names:
                static["names_missing_in_retrieved"] = sum(term_credit(n, seen) < 0.9 for n in names) / len(names)
    opposed_flags = np.array([float(opposed(info.terms, c.terms)) for c in cands])
    return GateContext(static, opposed_flags, info.answer_type)


def gate_signals(context: GateContext, signals: np.ndarray, logits: np.ndarray, first: int | None = None) -> np.ndarray:
    """The question-level signals for the answer-or-refuse decision, from the ranked candidates;
    with ``first``, as if that candidate were the best one (the same test for every sentence an
    answer would show)."""
    out = np.zeros(len(GATE), dtype=np.float64)
    col, g = _COL, _GATE_COL
    for name, value in context.static.items():
        out[g[name]] = value
    if not len(logits):
        out[g["top"]] = out[g["second"]] = out[g["top3_mean"]] = -10.0
        return out
    order = np.argsort(-logits, kind="stable")
    if first is not None:
        order = np.concatenate([[first], order[order != first]])
    ranked = logits[order]
    top = signals[order[0]]
    best3 = signals[order[:3]]
    out[g["top"]] = ranked[0]
    out[g["second"]] = ranked[1] if len(ranked) > 1 else ranked[0]
    out[g["top3_mean"]] = float(ranked[:3].mean())
    out[g["margin"]] = ranked[0] - out[g["second"]]
    for name in ("coverage", "coverage_exact", "worst_term", "unmatched_idf", "names_covered", "window_coverage",
                 "dense", "numbers_match"):  # fmt: skip
        out[g[f"top_{name}"]] = top[col[name]]
    out[g["top_type_has"]] = top[col[f"{context.answer_type}_has"]]
    out[g["top_type_near"]] = top[col[f"{context.answer_type}_near"]]
    for name in ("coverage_exact", "worst_term", "names_covered", "dense"):
        out[g[f"max_{name}"]] = signals[:, col[name]].max()
    out[g["negation_mismatch_top3"]] = best3[:, col["negation_mismatch"]].min()
    out[g["max_window_coverage"]] = signals[:, col["window_coverage"]].max()
    for name in ("predicate_coverage", "predicate_worst", "type_near_predicate", "qualifier_clash"):
        out[g[f"top_{name}"]] = top[col[name]]
    for name in ("predicate_coverage", "predicate_worst"):
        out[g[f"max_{name}"]] = signals[:, col[name]].max()
    opposite = context.opposed[order[:3]]
    out[g["top_opposite"]] = opposite[0]
    out[g["opposite_top3_min"]] = opposite.min()
    out[g["opposite_top3_mean"]] = opposite.mean()
    return out
