"""Candidate answers: the whole sentences of the retrieved chunks, each with what it leans on.

A sentence that opens with "he", "it" or "those talks" borrows the names and terms of the
sentences before it in its paragraph, so "He would not be attending" still counts as being
about the person named just before. These are general rules of English text; nothing here
knows any corpus.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..indexing.corpus import plain_heading
from ..indexing.snapshot import Snapshot
from ..models import Chunk, Retrieved
from ..text.analysis import analyse
from ..text.names import capitalised, name_runs, opens
from ..text.sentences import Sentences, Span

MAX_LOOKBACK = 3  # sentences a pronoun sentence may lean back through
_PRONOUN = re.compile(r"\b(he|she|him|his|her|they|them|their|it|its)\b", re.I)
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_QUOTED_BY_PRONOUN = re.compile(r"[”\"],?\s+(he|she|they|it)\s+\w+", re.I)
_INITIAL_PRONOUN = re.compile(r"[\"“‘']?(it|its|he|she|they|his|her|their|this|these|those|that|such)\b", re.I)
_DEMONSTRATIVE = re.compile(r"\b(that|those|these|this|the same|such)\s+[a-z]+", re.I)


@dataclass
class Context:
    """What a sentence borrows from the sentences it leans on."""

    antecedent: Span | None = None
    names: set[str] = field(default_factory=set)
    terms: set[str] = field(default_factory=set)


@dataclass
class Candidate:
    """One sentence that might answer, where it came from, and how the ranker scored it."""

    doc_id: str
    chunk: Chunk
    span: Span
    rank: int  # rank of the chunk it came from in retrieval, 0 first
    terms: list[str]  # analysed stems, in order
    names: set[str]  # stems of its capitalised words, sentence opener excluded
    context: Context = field(default_factory=Context)
    index: int = 0  # its position among the document's sentences
    dense_rank: int | None = None  # its chunk's rank in the dense and BM25 rankings
    lexical_rank: int | None = None
    score: float = 0.0  # the ranker's probability that it answers

    def neighbour(self, snapshot: Snapshot, step: int) -> Span | None:
        """The sentence ``step`` places away in the same paragraph, if any."""
        spans = sentences_of(snapshot, self.doc_id)
        j = self.index + step
        if not 0 <= j < len(spans):
            return None
        a, b = (spans[j], self.span) if step < 0 else (self.span, spans[j])
        return spans[j] if b.start - a.end < 3 else None

    def before(self, snapshot: Snapshot, most: int) -> list[Span]:
        """Up to ``most`` sentences before this one in its paragraph, nearest first."""
        return lead_in(sentences_of(snapshot, self.doc_id), self.index, most)


def lead_in(spans: Sequence[Span], index: int, most: int) -> list[Span]:
    """Up to ``most`` sentences before ``spans[index]`` in its paragraph, nearest first."""
    out: list[Span] = []
    later = spans[index]
    for j in range(index - 1, max(-1, index - 1 - most), -1):
        if later.start - spans[j].end >= 3:  # a blank line between: another paragraph
            break
        out.append(spans[j])
        later = spans[j]
    return out


@functools.lru_cache(maxsize=64)  # a question reads a few documents; offsets take 16 bytes a sentence
def _split(snapshot_name: str, doc_id: str, text: str) -> Sentences:
    return Sentences(text)


def sentences_of(snapshot: Snapshot, doc_id: str) -> Sentences:
    """A document's sentences, split once per snapshot and document."""
    return _split(snapshot.name, doc_id, snapshot.texts[doc_id])


def names_in(text: str) -> set[str]:
    """Stems of the capitalised words of a sentence, less a capitalised opener ("However")."""
    found = capitalised(text)
    if found and opens(text, found[0]):
        found = found[1:]
    return set(analyse(" ".join(found)))


def candidates(snapshot: Snapshot, retrieved: list[Retrieved]) -> list[Candidate]:
    """The sentences of the retrieved chunks, each once, tagged with its best chunk's rank."""
    seen: dict[tuple[str, int], Candidate] = {}
    titles = {d: (e.metadata.get("title") or "").strip() for d, e in snapshot.docs.items()}
    for rank, hit in enumerate(retrieved):
        chunk = hit.chunk
        spans = sentences_of(snapshot, chunk.doc_id)
        inside = list(spans.overlapping(chunk.start, chunk.end))
        for i in _with_neighbours(spans, inside):
            span = spans[i]
            key = (chunk.doc_id, span.start)
            if key in seen or not _is_statement(span.text, titles.get(chunk.doc_id, "")):
                continue
            seen[key] = Candidate(
                chunk.doc_id, chunk, span, rank, analyse(span.text), names_in(span.text), sentence_context(spans, i), i,
                hit.dense_rank, hit.lexical_rank,
            )  # fmt: skip
    return list(seen.values())


def _with_neighbours(spans: Sequence[Span], inside: list[int]) -> list[int]:
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


def sentence_context(spans: Sequence[Span], i: int) -> Context:
    """The words of the sentences a "he"/"It"/"Those talks" sentence leans on, walking back
    through the paragraph while each one leans on the one before it too."""
    context = Context()
    j = i
    while j > 0 and i - j < MAX_LOOKBACK and refers_back(spans[j].text):
        prev = spans[j - 1]
        if spans[j].start - prev.end >= 3:  # a paragraph break: stop
            break
        if context.antecedent is None:
            context.antecedent = prev
        names = names_in(prev.text)
        context.names |= names
        context.terms |= set(analyse(prev.text)) - names
        j -= 1
    return context


def refers_back(text: str) -> bool:
    """Whether the sentence leans on the one before it ("He said", "Those discussions")."""
    if _INITIAL_PRONOUN.match(text) or _DEMONSTRATIVE.search(text[:60]) or _QUOTED_BY_PRONOUN.search(text):
        return True
    unquoted = _QUOTED.sub(" ", text)  # "his" inside a quotation is the speaker's, not ours
    return bool(_PRONOUN.search(unquoted[:80])) and not name_runs(unquoted[:40], min_words=2)


def _is_statement(text: str, title: str) -> bool:
    """Headings that ask a question ("Who's Attending?") and the title line are not answers."""
    return not text.rstrip().endswith("?") and plain_heading(text) != title
