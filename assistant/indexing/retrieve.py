"""Hybrid retrieval: Chroma's dense neighbours fused with BM25 by reciprocal-rank fusion.

Dense results are filtered to the current snapshot's chunks, so vectors an in-flight ingest
has stored but not yet made current are never seen.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Retrieved
from .snapshot import Snapshot
from .vectors import VectorStore

RRF_K = 60
# Each ranking's best few always reach the answerer: RRF alone drops a passage that one
# retriever ranks first when the other does not rank it at all.
LEADERS = 2


@dataclass
class Retriever:
    """Searches one snapshot; cheap to build, so build one per snapshot."""

    snapshot: Snapshot
    vectors: VectorStore

    def search(self, query: str, k: int, exclude: frozenset[str] = frozenset()) -> list[Retrieved]:
        """The best ``k`` chunks for ``query``; chunks of the documents in ``exclude`` are left
        out (the evals use it to ask questions of a corpus without their own article)."""
        depth = max(k * 4, 20) + (8 * k if exclude else 0)
        chunks = self.snapshot.chunks
        rows: dict[str, int] = {}
        for cid, _ in self.vectors.query(query, depth):
            row = chunks.row(cid)  # None: a vector of an ingest not yet made current
            if row is not None:
                rows[cid] = row
        dense = list(rows)
        lexical = []
        for i, _ in self.snapshot.lexical.search(query, depth):
            lexical.append(chunks.id(i))
            rows[lexical[-1]] = i
        if exclude:
            dense = [cid for cid in dense if chunks.doc_of(rows[cid]) not in exclude]
            lexical = [cid for cid in lexical if chunks.doc_of(rows[cid]) not in exclude]
        scores = fuse(dense, lexical)
        ordered = sorted(scores, key=lambda cid: (-scores[cid], cid))
        chosen = set(keep_leaders(ordered, [dense[:LEADERS], lexical[:LEADERS]], k))
        dense_rank = {cid: r for r, cid in enumerate(dense)}
        lexical_rank = {cid: r for r, cid in enumerate(lexical)}
        return [  # a chunk and its text are made only for the few chosen
            Retrieved(chunks[rows[cid]], scores[cid], dense_rank.get(cid), lexical_rank.get(cid))
            for cid in ordered
            if cid in chosen
        ]


def fuse(*rankings: list[str]) -> dict[str, float]:
    """Reciprocal-rank fusion (Cormack et al. 2009): robust without calibrating the two scores."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return scores


def keep_leaders(fused: list[str], leaders: list[list[str]], k: int) -> list[str]:
    """The top ``k`` of ``fused`` (ids, best first), with each ranking's leaders (first places
    first) swapped in for the weakest fused results that are not leaders themselves."""
    chosen = fused[:k]
    known = set(fused)
    depth = max((len(r) for r in leaders), default=0)
    order = [ranking[i] for i in range(depth) for ranking in leaders if i < len(ranking)]
    protected: set[str] = set()
    for cid in order:
        if cid in protected or cid not in known:
            continue
        if cid not in chosen:
            victims = [i for i, c in enumerate(chosen) if c not in protected]
            if len(chosen) < k:
                chosen.append(cid)
            elif victims:
                chosen[victims[-1]] = cid
            else:
                break
        protected.add(cid)
    return chosen
