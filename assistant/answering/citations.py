"""Citations: numbering, metadata, and the offset guarantee ``text[start:end] == quote``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..indexing.snapshot import Snapshot
from ..models import Chunk, Citation

# The one citation-marker pattern: "[3]". Everything that reads or writes markers uses these.
MARKER = re.compile(r"\[(\d+)\]")
_SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)
_LEADING_MARKERS = re.compile(r"^((?:" + MARKER.pattern + r"\s*)+)")


def strip_markers(text: str) -> str:
    """The text without its ``[n]`` markers (a space left in their place), for matching."""
    return _SPACED_MARKER.sub(" ", text)


@dataclass
class AnswerSentence:
    """A sentence of a model's answer: its text without markers, the markers it carries, and,
    when markers sit inside it ("A says X [1], while B says Y [2]."), each side with its own."""

    text: str
    numbers: list[int]
    sides: list[tuple[str, list[int]]] = field(default_factory=list)


def answer_sentences(text: str) -> list[AnswerSentence]:
    """The sentences of an answer; markers opening a sentence belong to the one before."""
    from ..text.sentences import split_sentences

    out: list[AnswerSentence] = []
    for span in split_sentences(text):
        sentence = span.text
        leading = _LEADING_MARKERS.match(sentence)
        if leading and out:
            out[-1].numbers.extend(int(n) for n in MARKER.findall(leading.group(1)))
            sentence = sentence[leading.end() :]
        numbers = [int(n) for n in MARKER.findall(sentence)]
        clean = _SPACED_MARKER.sub("", sentence).strip()
        if clean:
            out.append(AnswerSentence(clean, numbers, _sides(sentence)))
    return out


def _sides(sentence: str) -> list[tuple[str, list[int]]]:
    """The parts of a sentence that each end in a group of markers, when there are two or more."""
    sides, begin = [], 0
    for group in re.finditer(rf"(?:\s*{MARKER.pattern})+", sentence):
        part = sentence[begin : group.start()].strip(" ,;:")
        if re.search(r"\w", part):
            sides.append((part, [int(n) for n in MARKER.findall(group.group(0))]))
        begin = group.end()
    return sides if len(sides) >= 2 else []


def split_answer(text: str) -> list[tuple[str, list[int]]]:
    """(sentence without markers, its marker numbers); markers belong to the sentence before."""
    return [(s.text, s.numbers) for s in answer_sentences(text)]


class CitationList:
    """Numbers citations in order of first use; the same span cited twice keeps its number."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._by_span: dict[tuple[str, int, int], Citation] = {}

    def cite(self, chunk: Chunk, start: int, end: int) -> Citation:
        key = (chunk.doc_id, start, end)
        if key not in self._by_span:
            text = self.snapshot.texts[chunk.doc_id]
            meta = dict(self.snapshot.docs[chunk.doc_id].metadata)
            citation = Citation(
                n=len(self._by_span) + 1,
                doc_id=chunk.doc_id,
                chunk_id=_best_chunk(self.snapshot, chunk, start, end),
                quote=text[start:end],
                start=start,
                end=end,
                title=meta.pop("title", None),
                metadata=meta,
            )
            if not is_valid(citation, text):  # a bug, never a user error: fail loudly in tests
                raise AssertionError(f"citation {citation.n} does not match {chunk.doc_id}[{start}:{end}]")
            self._by_span[key] = citation
        return self._by_span[key]

    @property
    def all(self) -> list[Citation]:
        return sorted(self._by_span.values(), key=lambda c: c.n)


def is_valid(citation: Citation, document_text: str) -> bool:
    """The offset guarantee every citation must meet."""
    return (
        0 <= citation.start < citation.end <= len(document_text)
        and document_text[citation.start : citation.end] == citation.quote
    )


def _best_chunk(snapshot: Snapshot, hint: Chunk, start: int, end: int) -> str:
    """A chunk that contains the whole quote, preferring the retrieved one."""
    if hint.start <= start and end <= hint.end:
        return hint.chunk_id
    for cid in snapshot.docs[hint.doc_id].chunk_ids:
        chunk = snapshot.chunk(cid)
        if chunk and chunk.start <= start and end <= chunk.end:
            return cid
    return hint.chunk_id
