"""New and changed documents on their way into the index: chunked, not yet stored."""

from __future__ import annotations

import json
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..columns import Rows
from ..files import RandomReader
from ..models import Chunk, Document
from . import snapshot


class Batch(Rows[Chunk]):
    """New and changed documents waiting to be stored and written as one segment.

    Their chunks are held as offsets into the documents' texts and made on access, a batch of
    1,024 at a time by whoever reads them: a 50 MB file's 145,000 chunks as objects with their
    own copies of the text took ~150 MB on top of the text itself."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.texts: dict[str, str] = {}
        self.entries: dict[str, snapshot.DocEntry] = {}
        self._docs: list[tuple[str, array[int], array[int]]] = []  # (document, starts, ends)
        self._bytes: dict[str, tuple[array[int], array[int]]] = {}  # a long document's chunks in UTF-8 bytes
        self._stored: dict[str, tuple[RandomReader, int]] = {}  # a spilled document: its segment file, offset
        self._first: list[int] = []  # the batch position of each document's first chunk
        self._size = 0

    def add(self, doc: Document, chunks: Iterable[Chunk], entry: Callable[[list[str]], snapshot.DocEntry]) -> None:
        """Add ``doc``'s chunks (read once, as they are made); ``entry`` makes its manifest entry
        from the chunk ids."""
        ids: list[str] = []
        starts, ends = array("q"), array("q")
        for chunk in chunks:
            ids.append(chunk.chunk_id)
            starts.append(chunk.start)
            ends.append(chunk.end)
        self.texts[doc.doc_id] = doc.text
        self.entries[doc.doc_id] = entry(ids)
        self._docs.append((doc.doc_id, starts, ends))
        if len(doc.text) >= SPILL_CHARS:
            self._bytes[doc.doc_id] = _byte_offsets(doc.text, starts, ends)
        self._first.append(self._size)
        self._size += len(ids)

    @property
    def has_long_documents(self) -> bool:
        """Whether a document is long enough to be read back from the segment (:meth:`spill`)."""
        return bool(self._bytes)

    def spill(self, segment: Path) -> None:
        """Let go of the long documents' texts once ``segment`` holds them: their chunks are
        read back from its file as they are embedded. A 50 MB text is then not held while
        embedded Chroma's graph grows in this process."""
        if not self._bytes:
            return
        index = json.loads((segment / "documents.json").read_text(encoding="utf-8"))
        blob = RandomReader(segment / "documents.bin")
        for doc_id, start, _ in index:
            if doc_id in self._bytes:
                self._stored[doc_id] = (blob, start)
                del self.texts[doc_id]

    def ids(self) -> Iterator[str]:
        for doc_id, _, _ in self._docs:
            yield from self.entries[doc_id].chunk_ids

    def __len__(self) -> int:
        return self._size

    def _chunk(self, d: int, i: int) -> Chunk:
        doc_id, starts, ends = self._docs[d]
        start, end = starts[i], ends[i]
        if doc_id in self._stored:
            blob, base = self._stored[doc_id]
            first, last = self._bytes[doc_id]
            text = blob.read(base + first[i], base + last[i]).decode("utf-8")
        else:
            text = self.texts[doc_id][start:end]
        return Chunk(self.entries[doc_id].chunk_ids[i], doc_id, i, start, end, text)

    def _at(self, i: int) -> Chunk:
        d = bisect_right(self._first, i) - 1
        return self._chunk(d, i - self._first[d])

    def __iter__(self) -> Iterator[Chunk]:
        for d, (_, starts, _) in enumerate(self._docs):
            for i in range(len(starts)):
                yield self._chunk(d, i)


SPILL_CHARS = 1_000_000  # a document this long is read back from its segment while embedded


def _byte_offsets(text: str, starts: array[int], ends: array[int]) -> tuple[array[int], array[int]]:
    """The chunks' offsets in ``text``'s UTF-8 bytes (chunk starts only grow)."""
    if text.isascii():
        return starts, ends
    out_starts, out_ends = array("q"), array("q")
    at = done = 0  # characters and bytes before ``at``
    for start, end in zip(starts, ends, strict=True):
        done += len(text[at:start].encode("utf-8"))
        at = start
        out_starts.append(done)
        out_ends.append(done + len(text[start:end].encode("utf-8")))
    return out_starts, out_ends
