"""The text analyser: the terms a text is reduced to, shared by BM25 search and answer scoring.

Snowball stemming, English stop words, accents folded. One analyser everywhere keeps what the
index finds and what the answerer scores in step; its version is recorded in every snapshot
so that an index built by another version is rebuilt.
"""

from __future__ import annotations

import functools

import Stemmer

from .normalise import words


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
