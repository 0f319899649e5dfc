"""The text analyser: the terms a text is reduced to, shared by BM25 search and answer scoring.

Lemmas (simplemma), then Snowball stems, English stop words, accents folded. One analyser everywhere keeps what the
index finds and what the answerer scores in step; its version is recorded in every snapshot
so that an index built by another version is rebuilt.
"""

from __future__ import annotations

import functools
from pathlib import Path

import Stemmer

from .lemmas import lemma
from .normalise import words


@functools.lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# NLTK's English stop words (as bm25s ships them), plus the modal verbs it lacks: without
# these, "would" or "could" in a question counts as evidence.
_MODALS = ("would", "could", "may", "might", "must", "shall", "also", "yet")
ANALYSER = "lemmas-en+snowball-english/unicode-words/4"  # bump when tokenising changes


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w.replace("'", "") for w in _bm25s_stopwords()) | frozenset(_MODALS)


def _bm25s_stopwords() -> tuple[str, ...]:
    """bm25s's English list, read from its data module alone: importing ``bm25s.stopwords``
    runs the package's ``__init__``, which imports scipy (9 MB and 0.2 s) for one tuple."""
    import importlib.util

    package = importlib.util.find_spec("bm25s")  # a top-level spec: nothing is executed
    if package is None or not package.submodule_search_locations:
        raise ModuleNotFoundError("the 'bm25s' package is not installed")
    path = Path(next(iter(package.submodule_search_locations))) / "stopwords.py"
    spec = importlib.util.spec_from_file_location("_bm25s_stopwords", path)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.STOPWORDS_EN_PLUS)


@functools.lru_cache(maxsize=1)
def analyser_version() -> str:
    """Changes whenever tokenising would: a BM25 index built by another version is rebuilt."""
    import hashlib

    return hashlib.sha256((ANALYSER + "|" + " ".join(sorted(stopwords()))).encode()).hexdigest()[:12]


def analyse(text: str) -> list[str]:
    """The terms of ``text`` as the index sees them: each word lemmatised where the stemmer
    would miss it (:mod:`lemmas`: "led" meets "leads", "met" meets "meet"), then stemmed."""
    stop = stopwords()
    return _stemmer().stemWords([_lemma(w) for w in words(text) if w not in stop])


def _lemma(word: str) -> str:
    return lemma(word)


@functools.lru_cache(maxsize=50_000)  # ~10 MB when full: a long-running server stays bounded
def stem(word: str) -> str:
    """The analysed form of one word ("" for a stop word or punctuation); cached, as text repeats."""
    terms = analyse(word)
    return terms[0] if terms else ""
