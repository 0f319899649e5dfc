"""BM25 keyword search over the chunks, with the shared text analyser, kept per segment.

Local Chroma has no hybrid search, so this index is built beside it from the same chunks. It is
stored with each immutable segment of the snapshot (:mod:`snapshot`) as term-major postings
(term → chunks and term frequencies), and searched across all live segments at once with
global statistics (live chunk count, average length, document frequency over live chunks), so a
score does not depend on how the corpus happens to be split into segments. That is what lets an
ingest of one changed document write one small segment instead of re-indexing every chunk;
``bm25s``, which we used before, builds one index over all chunks at once and cannot do that.
Scoring is BM25 as Lucene computes it (k1 = 1.5, b = 0.75; Robertson et al. 1994).
"""

from __future__ import annotations

import math
import mmap
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import map_array, map_file
from ..text.analysis import analyse

K1 = 1.5
B = 0.75


class Terms:
    """A sorted vocabulary kept as one UTF-8 blob and offsets: a few bytes a term, searched by
    bisection, instead of a fixed-width string array (as wide as the longest term) or a dict."""

    def __init__(self, blob: bytes | mmap.mmap, offsets: array[int] | memoryview) -> None:
        self.blob = blob  # slicing gives bytes, from memory or a mapped file
        self.offsets = offsets  # indexed as plain ints, fast from Python

    @classmethod
    def of(cls, terms: list[str]) -> Terms:
        encoded = [t.encode() for t in terms]
        offsets = array("q", [0])
        for e in encoded:
            offsets.append(offsets[-1] + len(e))
        return cls(b"".join(encoded), offsets)

    def find(self, term: str) -> int | None:
        """The index of ``term``, by bisection over the blob (a query looks up a few terms in
        each segment, so this loop, not numpy, is what runs)."""
        key, blob, at = term.encode(), self.blob, self.offsets
        lo, hi = 0, len(at) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[at[mid] : at[mid + 1]] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(at) - 1 and blob[at[lo] : at[lo + 1]] == key else None


@dataclass
class Postings:
    """One segment's postings: ``terms[i]`` occurs in ``chunk[ptr[i]:ptr[i+1]]`` with ``tf``."""

    terms: Terms  # sorted by their UTF-8 bytes (the same order as by code points)
    ptr: np.ndarray  # int64, len(terms) + 1
    chunk: np.ndarray  # int32, local chunk index
    tf: np.ndarray  # int32
    lengths: np.ndarray  # int32 per local chunk: analysed tokens

    @classmethod
    def build(cls, texts: Iterable[str]) -> Postings:
        """Analyse ``texts`` (one per chunk, in order) and invert them, in memory."""
        rows, lengths = _invert(texts)
        terms, ptr = _layout(rows)
        chunk = np.empty(int(ptr[-1]), dtype=np.int32)
        tf = np.empty(int(ptr[-1]), dtype=np.int32)
        for t, a, b in zip(terms, ptr[:-1].tolist(), ptr[1:].tolist(), strict=True):
            pairs = np.frombuffer(rows.pop(t), dtype=np.int32)  # each term's pairs freed once copied
            chunk[a:b], tf[a:b] = pairs[0::2], pairs[1::2]
        return cls(Terms.of(terms), ptr, chunk, tf, lengths)

    @staticmethod
    def write(folder: Path, texts: Iterable[str]) -> None:
        """Analyse and invert ``texts`` straight into the files :meth:`load` maps, each term's
        postings written and let go in turn: the whole arrays never exist in memory (a 50 MB
        document's took 70 MB beside the 70 MB of postings they were copied from)."""
        rows, lengths = _invert(texts)
        terms, ptr = _layout(rows)
        folder.mkdir()
        vocabulary = Terms.of(terms)
        (folder / "terms.bin").write_bytes(vocabulary.blob)
        np.save(folder / "offsets.npy", np.frombuffer(vocabulary.offsets, dtype=np.int64))
        np.save(folder / "ptr.npy", ptr)
        np.save(folder / "lengths.npy", lengths)
        header = {"descr": np.dtype(np.int32).str, "fortran_order": False, "shape": (int(ptr[-1]),)}
        with (folder / "chunk.npy").open("wb") as chunk, (folder / "tf.npy").open("wb") as tf:
            for f in (chunk, tf):
                np.lib.format.write_array_header_1_0(f, header)
            for t in terms:
                pairs = np.frombuffer(rows.pop(t), dtype=np.int32)
                chunk.write(pairs[0::2].tobytes())
                tf.write(pairs[1::2].tobytes())

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """The postings in ``folder``, memory-mapped: a query touches the pages of its few terms,
        and workers on one host share them through the page cache."""
        arrays = {
            name: map_array(np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)) for name in _ARRAYS
        }
        size = (folder / "terms.bin").stat().st_size
        blob = map_file(folder / "terms.bin")
        offsets, ptr = arrays["offsets"], arrays["ptr"]
        chunk, tf = arrays["chunk"], arrays["tf"]
        if (
            offsets.dtype != np.int64
            or not len(offsets) == len(ptr) > 0
            or int(offsets[-1]) != size
            or not int(ptr[-1]) == len(chunk) == len(tf)
        ):
            raise ValueError(f"the postings in {folder} do not fit together")
        return cls(Terms(blob, offsets.data), ptr, chunk, tf, arrays["lengths"])

    @classmethod
    def load_npz(cls, path: Path) -> Postings:
        """Postings as segments written before 2026-11 kept them: one archive, read whole."""
        with np.load(path, allow_pickle=False) as data:
            terms = Terms(data["blob"].tobytes(), array("q", data["offsets"].astype(np.int64).tobytes()))
            return cls(terms, data["ptr"], data["chunk"], data["tf"], data["lengths"])


_ARRAYS = ("offsets", "ptr", "chunk", "tf", "lengths")


def _invert(texts: Iterable[str]) -> tuple[dict[str, array[int]], np.ndarray]:
    """Each term's postings as a packed array of (chunk, count) pairs, 8 bytes each (as Python
    tuples they took ~70, and a 50 MB document's 8.7 million postings needed 600 MB), and each
    chunk's analysed length."""
    rows: dict[str, array[int]] = {}
    lengths = array("i")
    for i, text in enumerate(texts):
        tokens = analyse(text)
        lengths.append(len(tokens))
        for term, count in Counter(tokens).items():
            row = rows.get(term)
            if row is None:
                row = rows[term] = array("i")
            row.append(i)
            row.append(count)
    return rows, np.frombuffer(lengths, dtype=np.int32).copy()


def _layout(rows: dict[str, array[int]]) -> tuple[list[str], np.ndarray]:
    """The terms in their stored order (by UTF-8 bytes) and where each one's postings start."""
    terms = sorted(rows, key=str.encode)
    ptr = np.zeros(len(terms) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(rows[t]) // 2 for t in terms])
    return terms, ptr


class _Part:
    """A segment's postings as the searcher uses them: local chunk → global position (-1: dead)."""

    def __init__(self, postings: Postings, to_global: np.ndarray) -> None:
        self.postings = postings
        self.to_global = to_global
        self.all_live = bool(len(to_global)) and bool((to_global >= 0).all())

    def slice(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(global positions, tf) of the live chunks ``term`` occurs in."""
        i = self.postings.terms.find(term)
        if i is None:
            return _EMPTY, _EMPTY
        p = self.postings
        a, b = p.ptr[i], p.ptr[i + 1]
        where = self.to_global[p.chunk[a:b]]
        if self.all_live:
            return where, p.tf[a:b]
        live = where >= 0
        return where[live], p.tf[a:b][live]


_EMPTY = np.zeros(0, dtype=np.int64)


class LexicalIndex:
    """BM25 over the live chunks of several segments, addressed by position in the snapshot."""

    def __init__(self, parts: list[tuple[Postings, np.ndarray]], size: int) -> None:
        self._parts = [_Part(p, g) for p, g in parts]
        self._size = size
        self._lengths = np.zeros(size, dtype=np.float64)
        for postings, to_global in parts:
            live = to_global >= 0
            self._lengths[to_global[live]] = postings.lengths[live]
        self._average = float(self._lengths.mean()) if size else 1.0
        self._norm = K1 * (1 - B + B * self._lengths / self._average)  # BM25's length term, per chunk
        self._df: dict[str, int] = {}

    @property
    def size(self) -> int:
        return self._size

    def document_frequency(self, term: str, slices: list[tuple[np.ndarray, np.ndarray]] | None = None) -> int:
        """In how many live chunks ``term`` (an analysed stem) occurs; cached per snapshot.
        ``slices``: the term's postings per part, when the caller has them already."""
        df = self._df.get(term)
        if df is None:
            df = sum(len(where) for where, _ in (slices if slices is not None else self._slices(term)))
            if len(self._df) > 100_000:  # ~10 MB: bounded in a long-running server
                self._df.clear()
            self._df[term] = df
        return df

    def _slices(self, term: str) -> list[tuple[np.ndarray, np.ndarray]]:
        return [part.slice(term) for part in self._parts]

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a stem over chunks; unseen stems get the most."""
        return _idf(self._size, self.document_frequency(term))

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(position, score) of the best ``k`` chunks with a positive score."""
        if not self._size:
            return []
        scores = np.zeros(self._size, dtype=np.float64)
        for term in dict.fromkeys(analyse(query)):
            slices = self._slices(term)
            idf = _idf(self._size, self.document_frequency(term, slices))
            for where, tf in slices:
                if len(where):
                    scores[where] += idf * tf / (tf + self._norm[where])  # a chunk occurs once in a term's postings
        hits = np.flatnonzero(scores > 0)
        if not len(hits):
            return []
        if len(hits) > k:  # the k best without sorting every hit
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        top = hits[np.lexsort((hits, -scores[hits]))]  # best first, ties by position
        return [(int(i), float(scores[i])) for i in top]


def _idf(size: int, df: int) -> float:
    return math.log(1 + (size - df + 0.5) / (df + 0.5))
