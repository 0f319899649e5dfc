"""BM25 keyword search with ``bm25s`` over the chunks, with the shared text analyser.

Local Chroma has no hybrid search, so this index is built beside it from the same chunks
and saved in the same snapshot, which keeps the two consistent.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import bm25s
import numpy as np

from ..text.analysis import analyse

logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """A BM25 index over chunk texts, addressed by position in the snapshot's chunk list."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self._size = size
        self._vocab: dict[str, int] = dict(retriever.vocab_dict) if size else {}
        self._indptr = np.asarray(retriever.scores["indptr"]) if size else np.zeros(1, dtype=np.int64)

    @property
    def size(self) -> int:
        return self._size

    def document_frequency(self, term: str) -> int:
        """In how many chunks ``term`` (an analysed stem) occurs: read off the index, so corpus
        statistics cost nothing at question time whatever the corpus size."""
        i = self._vocab.get(term)
        return 0 if i is None else int(self._indptr[i + 1] - self._indptr[i])

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a stem over chunks; unseen stems get the most."""
        df = self.document_frequency(term)
        return math.log(1 + (self._size - df + 0.5) / (df + 0.5))

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        if texts:
            retriever.index([analyse(t) or [""] for t in texts], show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._size:
            self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        if not size:
            return cls(bm25s.BM25(), 0)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), size)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(position, score) of the best ``k`` chunks with a positive score."""
        terms = [t for t in analyse(query) if t in self._vocab]
        if not terms or not self._size:
            return []
        ids, scores = self._retriever.retrieve([terms], k=min(k, self._size), show_progress=False)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0 and np.isfinite(s)]
