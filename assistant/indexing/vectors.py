"""The Chroma side of the index: embedded ``PersistentClient`` or a ``chroma run`` server.

One setting (``ASSISTANT_CHROMA_URL``) picks the server; everything else is identical, so
the same retrieval tests run against both.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import cast
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, Embeddable, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings

from ..errors import AssistantError, IndexMissing
from ..models import Chunk
from ..settings import Settings

_SEEN: dict[str, int] = {}  # snapshot -> the in-memory Chroma view known to hold its vectors


def _view(client: ClientAPI) -> int:
    return id(getattr(client, "_server", client))  # the view (system) a client reads through


def holds(snapshot: str, client: ClientAPI) -> None:
    """Record that ``client``'s view holds ``snapshot``'s vectors: it stored them (an ingest in
    this process), or it was opened after they were stored."""
    _SEEN[snapshot] = _view(client)


def sees(settings: Settings, snapshot: str, client: ClientAPI) -> bool:
    """Whether ``client`` sees ``snapshot``'s vectors. A Chroma server is one truth for every
    client; embedded Chroma keeps each collection's vectors in the memory of the process (and
    view) that opened it and never notices what another process (an ``assistant ingest`` in a
    shell, another worker) stored since."""
    return bool(settings.chroma_url) or _SEEN.get(snapshot) == _view(client)


def connect(settings: Settings, *, fresh: bool = False) -> ClientAPI:
    """A Chroma client with telemetry off; the embedded one stores under ``index/chroma``.
    ``fresh``: embedded Chroma shares one in-memory view per folder and process; drop it, so the
    client reads what other processes stored (the old view stays with whoever still holds it;
    its memory is not all given back, ~45 MB per reopen at 60,000 vectors, measured)."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # the client pings the server on creation
            raise AssistantError(
                f"Cannot reach the Chroma server at {settings.chroma_url} ({exc}). "
                "Start it with `chroma run --path DIR` or unset ASSISTANT_CHROMA_URL."
            ) from exc
    path = Path(settings.index_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    if fresh:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


BATCH = 1024  # chunks per Chroma write
AHEAD = 2  # embedded batches that may wait for their write
# How many neighbours the HNSW search explores (Chroma's default is 100). Retrieval asks for 32
# and more. Measured with WordLlama vectors: on a 658-chunk corpus the default returned the exact
# nearest 32 for 93% of 300 questions, and a different list from one process start to the next
# for 11% (Chroma rebuilds the graph of a small collection at each start, in a random order); 400
# gave the exact list every time. On 113,801 chunks, the share of the exact nearest 32 found:
# 0.39 at 100, 0.66 at 400, 0.82 at 1,000; 400 costs ~0.7 ms more per query there.
EF_SEARCH = 400


class VectorStore:
    """A collection of chunk vectors; ids are chunk ids."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection
        self._size: int | None = None

    @classmethod
    def open(cls, client: ClientAPI, name: str, ef: EmbeddingFunction[Documents], *, create: bool) -> VectorStore:
        if create:
            collection = client.get_or_create_collection(
                name,
                embedding_function=cast("EmbeddingFunction[Embeddable]", ef),
                configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
            )
            hnsw = collection.configuration_json.get("hnsw") or {}
            if hnsw.get("ef_search") != EF_SEARCH:  # a collection made by an earlier version
                collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
        else:
            try:
                collection = client.get_collection(name, embedding_function=cast("EmbeddingFunction[Embeddable]", ef))
            except Exception as exc:
                raise IndexMissing(
                    f"The Chroma collection {name!r} is missing ({exc}). "
                    "Rebuild the index with `assistant ingest --rebuild`."
                ) from exc
        return cls(collection)

    def upsert(
        self, chunks: Sequence[Chunk], embed: Callable[[Documents], Embeddings], batch: int = BATCH
    ) -> Iterable[int]:
        """Embed and store ``chunks``; yields how many were stored after each batch.

        A bounded producer/consumer pipeline: a worker thread embeds the next batches (at most
        :data:`AHEAD` waiting) while this thread stores the current one, so the two run side by
        side instead of one after the other (both spend most of their time outside the GIL).
        Chroma holds ids and vectors only: the snapshot holds each chunk's text and place (the id
        names its document), and retrieval reads ids. Per-chunk metadata cost the first ingest a
        sixth of its time and a metadata segment nobody read."""
        parts = (chunks[i : i + batch] for i in range(0, len(chunks), batch))  # made as they are needed
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as pool:
            waiting: deque[tuple[Sequence[Chunk], Future[Embeddings]]] = deque()
            for part in parts:
                waiting.append((part, pool.submit(embed, [c.text for c in part])))
                if len(waiting) > AHEAD:
                    yield self._store(*waiting.popleft())
            while waiting:
                yield self._store(*waiting.popleft())

    def _store(self, part: Sequence[Chunk], vectors: Future[Embeddings]) -> int:
        self._collection.upsert(ids=[c.chunk_id for c in part], embeddings=vectors.result())
        return len(part)

    def delete(self, ids: Sequence[str], batch: int = 1000) -> None:
        for i in range(0, len(ids), batch):
            self._collection.delete(ids=list(ids[i : i + batch]))

    def count(self) -> int:
        return self._collection.count()

    def query(self, text: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine distance) of the ``n`` nearest chunks. The collection's size is read
        once per store (a snapshot's store is built after its vectors are in): counting costs
        more than the search itself at 100,000 vectors."""
        if self._size is None:
            self._size = self.count()
        n = min(n, self._size)
        if n <= 0:
            return []
        result = self._collection.query(query_texts=[text], n_results=n, include=["distances"])
        distances = (result.get("distances") or [[]])[0]
        return list(zip(result["ids"][0], distances, strict=True))
