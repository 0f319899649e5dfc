"""Finding and ranking the sentences that answer a question.

Candidates are the whole sentences of the retrieved chunks. Each is scored by how much of
the question's weighted content it covers (exact stems, then a small table of equivalents),
whether it holds the kind of thing asked for (a name for "who", a date for "when"), and its
WordLlama similarity to the question. Pronoun sentences borrow the names of the sentence
before them, so "he would not be attending" still counts as being about Zelensky.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .embedder import WordLlamaEmbeddingFunction
from .lexical import analyse
from .models import Chunk, Retrieved
from .question import QuestionInfo
from .sentences import Span, split_sentences
from .snapshot import Snapshot
from .textnorm import words

# Groups of stems that count as the same evidence (question wording vs news wording).
_EQUIVALENT_WORDS = [
    "job role position post title occupation work minister president secretary director aide "
    "envoy chancellor official diplomat senator",
    "before previously former formerly earlier past once",
    "lead leads led leading head heads headed charge chair",
    "attend attending go going participate join present come take part show",
    "meet met meeting encounter",
    "agree agreed agreement deal accord",
    "reject rejected refuse refused decline declined turn dismissed dismiss",
    "delegation team group negotiators",
    "defense defence",
    "host hosted hosting",
    "propose proposed proposal suggest suggested",
    "warn warned warning threaten",
    "kill killed died dead",
    "country countries nation state states",
    "demand demands want wants",
    "sanction sanctions",
    "ceasefire truce",
    # a capital or a demonym standing for its country, as news writing does
    "russia russian russians kremlin moscow",
    "ukraine ukrainian ukrainians kyiv",
    "turkey turkish ankara",
    "america american washington",
]
EQUIVALENTS: dict[str, frozenset[str]] = {}
for _group in _EQUIVALENT_WORDS:
    _stems = frozenset(analyse(_group)) | frozenset(_group.split())
    for _stem in _stems:
        EQUIVALENTS[_stem] = EQUIVALENTS.get(_stem, frozenset()) | _stems

_PRONOUN = re.compile(r"\b(he|she|him|his|her|they|them|their)\b", re.I)
_DATE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|"
    r"may|june|july|august|september|october|november|december|(?:19|20)\d\d|yesterday|today|tomorrow)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\b(\d[\d,.]*%?|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?)\b", re.I
)
_NAME = re.compile(r"\b[A-Z][a-zà-ÿğışçöüâ’'\-]+(?:\s+[A-Z][a-zà-ÿğışçöüâ’'\-]+)+")
_QUOTE = re.compile(r"[“\"‘].{8,}[”\"’]")
_CAPITALISED = re.compile(r"\b[A-Z][\w’'\-]+")
_PLACE = re.compile(r"\b(in|at|to|from|outside)\s+[A-Z]")


@dataclass
class Candidate:
    """One sentence that might answer, and why it scored as it did."""

    doc_id: str
    chunk: Chunk
    span: Span
    rank: int
    terms: set[str]
    context_terms: set[str] = field(default_factory=set)
    antecedent: Span | None = None
    coverage: float = 0.0
    names_covered: float = 1.0
    matched: set[str] = field(default_factory=set)
    type_match: float = 0.0
    names: set[str] = field(default_factory=set)
    dense: float = 0.0
    score: float = 0.0


@functools.lru_cache(maxsize=256)
def _sentences(snapshot_name: str, doc_id: str, text: str) -> tuple[Span, ...]:
    return tuple(split_sentences(text))


_IDF: dict[str, dict[str, float]] = {}


def _idf(snapshot: Snapshot) -> dict[str, float]:
    """Sentence-level inverse document frequency, computed once per snapshot."""
    if snapshot.name not in _IDF:
        df: Counter[str] = Counter()
        n = 0
        for doc_id, text in snapshot.texts.items():
            for span in _sentences(snapshot.name, doc_id, text):
                df.update(set(analyse(span.text)))
                n += 1
        _IDF.clear()  # one snapshot is current at a time
        _IDF[snapshot.name] = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        _IDF[snapshot.name]["__n__"] = float(n)
    return _IDF[snapshot.name]


def idf(snapshot: Snapshot, term: str) -> float:
    table = _idf(snapshot)
    return table.get(term, math.log(1 + (table["__n__"] + 0.5) / 0.5))


def candidates(snapshot: Snapshot, retrieved: list[Retrieved]) -> list[Candidate]:
    """The sentences of the retrieved chunks, each once, tagged with its best chunk rank."""
    seen: dict[tuple[str, int], Candidate] = {}
    titles = {d: e.metadata.get("title") for d, e in snapshot.docs.items()}
    for rank, hit in enumerate(retrieved):
        chunk = hit.chunk
        spans = _sentences(snapshot.name, chunk.doc_id, snapshot.texts[chunk.doc_id])
        for i, span in enumerate(spans):
            if span.end <= chunk.start or span.start >= chunk.end:
                continue
            key = (chunk.doc_id, span.start)
            if key in seen or not _is_statement(span.text, titles.get(chunk.doc_id)):
                continue
            cand = Candidate(chunk.doc_id, chunk, span, rank, set(analyse(span.text)))
            cand.names = set(analyse(" ".join(_CAPITALISED.findall(span.text))))
            if i > 0 and _PRONOUN.search(span.text[:80]) and not _NAME.search(span.text[:40]):
                prev = spans[i - 1]
                if span.start - prev.end < 3:  # same paragraph
                    cand.antecedent = prev
                    cand.context_terms = set(analyse(" ".join(_CAPITALISED.findall(prev.text))))
            seen[key] = cand
    return list(seen.values())


def _is_statement(text: str, title: str | None) -> bool:
    """Headings that ask a question ("Who's Attending?") and the title line are not answers."""
    return not text.rstrip().endswith("?") and text.strip() != (title or "").strip()


def _term_credit(term: str, terms: set[str]) -> float:
    """Full credit for the same stem, most for a related form ("Russia"/"Russian") or equivalent."""
    if term in terms:
        return 1.0
    if len(term) >= 5 and any(len(t) >= 5 and (t.startswith(term) or term.startswith(t)) for t in terms):
        return 0.9
    if EQUIVALENTS.get(term, frozenset()) & terms:
        return 0.8
    return 0.0


def score(
    snapshot: Snapshot, info: QuestionInfo, cands: list[Candidate], extra_terms: list[str] | None = None
) -> list[Candidate]:
    """Score every candidate in place and return them best first."""
    content = list(dict.fromkeys(info.content_terms))
    weights = {t: idf(snapshot, t) for t in content}
    for t in extra_terms or []:  # terms from the conversation: they help, they are not required
        weights.setdefault(t, 0.3 * idf(snapshot, t))
    total = sum(weights[t] for t in content) or 1.0
    name_terms = [set(analyse(n)) for n in info.names]
    if cands:
        vectors = _embed([info.text] + [c.span.text for c in cands])
        sims = vectors[1:] @ vectors[0]
    for cand, sim in zip(cands, sims if cands else [], strict=True):
        pool = cand.terms | cand.context_terms
        credits = {t: _term_credit(t, pool) for t in weights}
        cand.matched = {t for t, c in credits.items() if c > 0}
        cand.coverage = sum(weights[t] * credits[t] for t in content) / total
        bonus = sum(weights[t] * credits[t] for t in weights if t not in content) / total
        if name_terms:
            cand.names_covered = sum(1 for n in name_terms if n and all(_term_credit(t, pool) >= 0.9 for t in n)) / len(
                name_terms
            )
        cand.type_match = _type_match(info, cand, name_terms)
        cand.dense = float(sim)
        cand.score = (
            cand.coverage
            + 0.3 * min(bonus, 0.5)
            + 0.25 * cand.type_match
            + 0.3 * cand.dense
            + 0.05 / (1 + cand.rank)
            + 0.2 * cand.names_covered
        )
    return sorted(cands, key=lambda c: (-c.score, c.rank, c.doc_id, c.span.start))


def _type_match(info: QuestionInfo, cand: Candidate, name_terms: list[set[str]]) -> float:
    text = cand.span.text
    if info.kind == "when":
        return 1.0 if _DATE.search(text) else 0.0
    if info.kind == "howmany":
        return 1.0 if _NUMBER.search(text) else 0.0
    if info.kind == "where":
        return 1.0 if _PLACE.search(text) else 0.0
    if info.kind == "said":
        return 1.0 if _QUOTE.search(text) else 0.0
    if info.kind in ("who", "list"):
        asked = set().union(*name_terms) if name_terms else set()
        for name in _NAME.findall(text):
            if not set(analyse(name)) <= asked:
                return 1.0
        return 0.0
    return 0.0


def _embed(texts: list[str]) -> np.ndarray:
    return np.asarray(WordLlamaEmbeddingFunction()(texts), dtype=np.float32)


def polarity(text: str, predicate_terms: set[str]) -> int | None:
    """-1 when the first predicate word in ``text`` is negated, +1 when not, None if absent."""
    tokens = words(text)
    for i, token in enumerate(tokens):
        stem = analyse(token)
        if stem and stem[0] in predicate_terms:
            window = tokens[max(0, i - 5) : i]
            return -1 if any(w in _NEGATIONS for w in window) else 1
    return None


_NEGATIONS = {
    "not",
    "no",
    "never",
    "neither",
    "nor",
    "without",
    "refused",
    "declined",
    "cannot",
    "wont",
    "wouldnt",
    "didnt",
    "doesnt",
    "dont",
    "isnt",
    "arent",
    "wasnt",
    "werent",
    "cant",
    "couldnt",
    "hasnt",
    "havent",
}
