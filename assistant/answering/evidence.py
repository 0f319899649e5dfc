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

from ..indexing.snapshot import Snapshot
from ..models import Chunk, Retrieved
from ..text.analysis import analyse
from ..text.embedding import embedder
from ..text.names import capitalised, name_runs
from ..text.normalise import words, wordset
from ..text.sentences import Span, split_sentences
from .question import QuestionInfo

# Groups of stems that count as the same evidence (question wording vs news wording).
# One-way: a question about someone's job is answered by a title, not the other way round.
_BROADER_WORDS = {
    "job role position post title occupation work": "minister president secretary director aide envoy "
    "chancellor official diplomat senator head chief leader spokesman spokeswoman ambassador general",
}
_EQUIVALENT_WORDS = [
    "before previously former formerly earlier past once",
    "lead leads led leading head heads headed charge chair",
    "attend attending go going participate join present come",
    "meet met meeting encounter",
    "agree agreed agreement deal accord",
    "reject rejected refuse refused decline declined turn dismissed dismiss",
    "delegation team group negotiators",
    "compare compared like resemble resembles similar",
    "call called refer referred describe described label labelled branded",
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
for _broad, _narrow in _BROADER_WORDS.items():
    _narrow_stems = frozenset(analyse(_narrow)) | frozenset(_narrow.split())
    for _stem in frozenset(analyse(_broad)) | frozenset(_broad.split()):
        EQUIVALENTS[_stem] = EQUIVALENTS.get(_stem, frozenset()) | _narrow_stems

_PRONOUN = re.compile(r"\b(he|she|him|his|her|they|them|their)\b", re.I)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_QUOTED_BY_PRONOUN = re.compile(
    r"[”\"],?\s+(he|she|they)\s+(said|says|added|was quoted|stated|remarked|told|wrote)\b", re.I
)
_INITIAL_PRONOUN = re.compile(r"(it|its|he|she|they|his|her|their)\b", re.I)
_DEMONSTRATIVE = re.compile(
    r"^(those|these|this|that|such)\b|\b(that|those|these|the same)\s+"
    r"(meeting|talks|discussions|summit|call|visit|statement|remarks|negotiations)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|"
    r"may|june|july|august|september|october|november|december|(?:19|20)\d\d|yesterday|today|tomorrow)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\b(\d[\d,.]*%?|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?)\b", re.I
)
_QUOTE = re.compile(r"[“\"‘].{8,}[”\"’]")
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
    context_names: set[str] = field(default_factory=set)
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


# Words of the sentence before a "he"/"those talks" sentence count, but less than its own.
CONTEXT_CREDIT = 0.7
MAX_LOOKBACK = 3

_IDF: dict[str, dict[str, float]] = {}


def sentences_of(snapshot: Snapshot, doc_id: str) -> tuple[Span, ...]:
    """A document's sentences, split once per snapshot."""
    return _sentences(snapshot.name, doc_id, snapshot.texts[doc_id])


def _idf(snapshot: Snapshot) -> dict[str, float]:
    """Sentence-level inverse document frequency, computed once per snapshot."""
    if snapshot.name not in _IDF:
        df: Counter[str] = Counter()
        n = 0
        for doc_id in snapshot.texts:
            for span in sentences_of(snapshot, doc_id):
                df.update(set(analyse(span.text)))
                n += 1
        _IDF.clear()  # one snapshot is current at a time
        _IDF[snapshot.name] = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        _IDF[snapshot.name]["__n__"] = float(n)
    return _IDF[snapshot.name]


def in_corpus(snapshot: Snapshot, term: str) -> bool:
    """Whether any sentence of the corpus has this stem."""
    return term in _idf(snapshot)


def idf(snapshot: Snapshot, term: str) -> float:
    table = _idf(snapshot)
    return table.get(term, math.log(1 + (table["__n__"] + 0.5) / 0.5))


def candidates(snapshot: Snapshot, retrieved: list[Retrieved]) -> list[Candidate]:
    """The sentences of the retrieved chunks, each once, tagged with its best chunk rank."""
    seen: dict[tuple[str, int], Candidate] = {}
    titles = {d: e.metadata.get("title") for d, e in snapshot.docs.items()}
    for rank, hit in enumerate(retrieved):
        chunk = hit.chunk
        spans = sentences_of(snapshot, chunk.doc_id)
        inside = [i for i, span in enumerate(spans) if span.end > chunk.start and span.start < chunk.end]
        for i in _with_neighbours(spans, inside):
            span = spans[i]
            key = (chunk.doc_id, span.start)
            if key in seen or not _is_statement(span.text, titles.get(chunk.doc_id)):
                continue
            cand = Candidate(chunk.doc_id, chunk, span, rank, set(analyse(span.text)))
            cand.names = set(analyse(" ".join(capitalised(span.text))))
            _attach_context(cand, spans, i)
            seen[key] = cand
    return list(seen.values())


def _with_neighbours(spans: tuple[Span, ...], inside: list[int]) -> list[int]:
    """A chunk's sentences plus the one on each side in the same paragraph: a chunk boundary
    can separate a quotation from the sentence that says who is speaking."""
    if not inside:
        return []
    first, last = inside[0], inside[-1]
    out = list(inside)
    if first > 0 and spans[first].start - spans[first - 1].end < 3:
        out.insert(0, first - 1)
    if last + 1 < len(spans) and spans[last + 1].start - spans[last].end < 3:
        out.append(last + 1)
    return out


def _attach_context(cand: Candidate, spans: tuple[Span, ...], i: int) -> None:
    context = sentence_context(spans, i)
    cand.antecedent = context.antecedent
    cand.context_names = context.names
    cand.context_terms = context.terms


@dataclass
class Context:
    """What a sentence borrows from the sentences it leans on."""

    antecedent: Span | None = None
    names: set[str] = field(default_factory=set)
    terms: set[str] = field(default_factory=set)


def sentence_context(spans: tuple[Span, ...] | list[Span], i: int) -> Context:
    """The words of the sentences a "he"/"It"/"Those talks" sentence leans on, walking back
    through the paragraph while each one leans on the one before it too."""
    context = Context()
    j = i
    while j > 0 and i - j < MAX_LOOKBACK and _refers_back(spans[j].text):
        prev = spans[j - 1]
        if spans[j].start - prev.end >= 3:  # a paragraph break: stop
            break
        if context.antecedent is None:
            context.antecedent = prev
        names = set(analyse(" ".join(capitalised(prev.text))))
        context.names |= names
        context.terms |= set(analyse(prev.text)) - names
        j -= 1
    return context


def names_in(text: str) -> set[str]:
    """Stems of the capitalised words of a sentence, less a capitalised opener ("However")."""
    found = capitalised(text)
    if found and text.lstrip(" “\"'").startswith(found[0]) and found[0].lower() in _OPENERS:
        found = found[1:]
    return set(analyse(" ".join(found)))


_OPENERS = wordset(
    """
    however meanwhile earlier later according both several currently despite since although
    yes also but and so then there here this that these those it its he she they his her
    their the a an in on at for with after before while when if as no not nevertheless still
    """
)


def _refers_back(text: str) -> bool:
    """Whether the sentence leans on the one before it ("he said", "Those discussions")."""
    if _DEMONSTRATIVE.search(text[:80]) or _INITIAL_PRONOUN.match(text) or _QUOTED_BY_PRONOUN.search(text):
        return True
    unquoted = _QUOTED.sub(" ", text)  # "his" inside a quotation is the speaker's, not ours
    return bool(_PRONOUN.search(unquoted[:80])) and not name_runs(unquoted[:40], min_words=2)


def _is_statement(text: str, title: str | None) -> bool:
    """Headings that ask a question ("Who's Attending?") and the title line are not answers."""
    return not text.rstrip().endswith("?") and text.strip() != (title or "").strip()


def term_credit(term: str, terms: set[str]) -> float:
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
        pool = cand.terms | cand.context_names
        credits = {t: max(term_credit(t, pool), CONTEXT_CREDIT * term_credit(t, cand.context_terms)) for t in weights}
        cand.matched = {t for t, c in credits.items() if c > 0}
        cand.coverage = sum(weights[t] * credits[t] for t in content) / total
        bonus = sum(weights[t] * credits[t] for t in weights if t not in content) / total
        if name_terms:
            cand.names_covered = sum(1 for n in name_terms if n and all(term_credit(t, pool) >= 0.9 for t in n)) / len(
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
            + 0.15 * _order(info, cand)
        )
    return sorted(cands, key=lambda c: (-c.score, c.rank, c.doc_id, c.span.start))


def _order(info: QuestionInfo, cand: Candidate) -> float:
    """ "What did Putin call Zelensky?" is not answered by "Zelensky called Putin ...": names in
    the question's order score a little higher than names in reverse."""
    if len(info.names) < 2:
        return 0.0
    tokens = [analyse(w) for w in words(cand.span.text)]
    flat = [t[0] if t else "" for t in tokens]
    positions = []
    for name in info.names:
        stems = analyse(name)
        where = [i for i, t in enumerate(flat) if stems and t == stems[-1]]
        if not where:
            return 0.0
        positions.append(where[0])
    return 1.0 if positions == sorted(positions) else -1.0


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
        for _, name in name_runs(text, min_words=2):
            if not set(analyse(name)) <= asked:
                return 1.0
        return 0.0
    return 0.0


def _embed(texts: list[str]) -> np.ndarray:
    return embedder().embed(texts)
