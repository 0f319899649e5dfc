"""BM25 keyword search with ``bm25s``: stemmed, English stop words removed, accents folded.

Local Chroma has no hybrid search, so this index is built beside it from the same chunks
and saved in the same snapshot, which keeps the two consistent.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from .textnorm import words

logging.getLogger("bm25s").setLevel(logging.WARNING)


@functools.lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# Lucene's 33 English stop words (bm25s' list) miss question words and auxiliaries, which
# then match quotes like "from what we've seen" better than the passage that answers.
_EXTRA_STOPWORDS = [
    "what",
    "who",
    "whom",
    "whose",
    "which",
    "when",
    "where",
    "why",
    "how",
    "does",
    "do",
    "did",
    "doing",
    "done",
    "has",
    "have",
    "had",
    "having",
    "been",
    "being",
    "were",
    "am",
    "i",
    "me",
    "my",
    "we",
    "our",
    "ours",
    "you",
    "your",
    "he",
    "him",
    "his",
    "she",
    "her",
    "hers",
    "its",
    "them",
    "theirs",
    "from",
    "about",
    "after",
    "again",
    "all",
    "also",
    "any",
    "because",
    "between",
    "both",
    "can",
    "could",
    "during",
    "each",
    "here",
    "just",
    "over",
    "own",
    "same",
    "so",
    "some",
    "than",
    "too",
    "until",
    "up",
    "very",
    "while",
    "would",
    "should",
    "may",
    "might",
    "must",
    "shall",
    "yet",
    "nor",
    "off",
    "out",
    "its",
]


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | frozenset(_EXTRA_STOPWORDS)


@functools.lru_cache(maxsize=1)
def analyser_version() -> str:
    """Changes whenever tokenising would: a BM25 index built by another version is rebuilt."""
    import hashlib

    return hashlib.sha256(("snowball-english|" + " ".join(sorted(stopwords()))).encode()).hexdigest()[:12]


def analyse(text: str) -> list[str]:
    """The terms of ``text`` as the index sees them."""
    stop = stopwords()
    return _stemmer().stemWords([w for w in words(text) if w not in stop])


class LexicalIndex:
    """A BM25 index over chunk texts, addressed by position in the snapshot's chunk list."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self._size = size
        self._vocab = set(retriever.vocab_dict) if size else set()

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
