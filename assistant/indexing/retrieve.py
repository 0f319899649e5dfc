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
        position = self.snapshot.position
        chunks = self.snapshot.chunks
        dense = [cid for cid, _ in self.vectors.query(query, depth) if cid in position]
        lexical = [chunks[i].chunk_id for i, _ in self.snapshot.lexical.search(query, depth)]
        if exclude:
            dense = [cid for cid in dense if chunks[position[cid]].doc_id not in exclude]
            lexical = [cid for cid in lexical if chunks[position[cid]].doc_id not in exclude]
        fused = fuse(self.snapshot, dense, lexical)
        return keep_leaders(fused, [dense[:LEADERS], lexical[:LEADERS]], k)


def fuse(snapshot: Snapshot, dense: list[str], lexical: list[str]) -> list[Retrieved]:
    """Reciprocal-rank fusion (Cormack et al. 2009): robust without calibrating the two scores."""
    scores: dict[str, float] = {}
    for ranking in (dense, lexical):
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
    dense_rank = {cid: r for r, cid in enumerate(dense)}
    lexical_rank = {cid: r for r, cid in enumerate(lexical)}
    ordered = sorted(scores, key=lambda cid: (-scores[cid], cid))
    return [
        Retrieved(snapshot.chunks[snapshot.position[cid]], scores[cid], dense_rank.get(cid), lexical_rank.get(cid))
        for cid in ordered
    ]


def keep_leaders(fused: list[Retrieved], leaders: list[list[str]], k: int) -> list[Retrieved]:
    """The top ``k`` of ``fused``, with each ranking's leaders (first places first) swapped in
    for the weakest fused results that are not leaders themselves."""
    chosen = fused[:k]
    by_id = {r.chunk.chunk_id: r for r in fused}
    depth = max((len(r) for r in leaders), default=0)
    order = [ranking[i] for i in range(depth) for ranking in leaders if i < len(ranking)]
    protected: set[str] = set()
    for cid in order:
        if cid in protected or cid not in by_id:
            continue
        if cid not in {r.chunk.chunk_id for r in chosen}:
            victims = [i for i, r in enumerate(chosen) if r.chunk.chunk_id not in protected]
            if len(chosen) < k:
                chosen.append(by_id[cid])
            elif victims:
                chosen[victims[-1]] = by_id[cid]
            else:
                break
        protected.add(cid)
    return sorted(chosen, key=lambda r: (-r.score, r.chunk.chunk_id))
