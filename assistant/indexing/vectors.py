"""The Chroma side of the index: embedded ``PersistentClient`` or a ``chroma run`` server.

One setting (``ASSISTANT_CHROMA_URL``) picks the server; everything else is identical, so
the same retrieval tests run against both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, Embeddable, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from ..errors import AssistantError, IndexMissing
from ..models import Chunk
from ..settings import Settings


def connect(settings: Settings) -> ClientAPI:
    """A Chroma client with telemetry off; the embedded one stores under ``index/chroma``."""
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
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class VectorStore:
    """A collection of chunk vectors; ids are chunk ids."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    @classmethod
    def open(cls, client: ClientAPI, name: str, ef: EmbeddingFunction[Documents], *, create: bool) -> VectorStore:
        if create:
            collection = client.get_or_create_collection(
                name,
                embedding_function=cast("EmbeddingFunction[Embeddable]", ef),
                configuration={"hnsw": {"space": "cosine"}},
            )
        else:
            try:
                collection = client.get_collection(name, embedding_function=cast("EmbeddingFunction[Embeddable]", ef))
            except Exception as exc:
                raise IndexMissing(
                    f"The Chroma collection {name!r} is missing ({exc}). "
                    "Rebuild the index with `assistant ingest --rebuild`."
                ) from exc
        return cls(collection)

    def upsert(self, chunks: Sequence[Chunk], batch: int = 256) -> Iterable[int]:
        """Embed and store ``chunks``; yields how many were stored after each batch."""
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            self._collection.upsert(
                ids=[c.chunk_id for c in part],
                documents=[c.text for c in part],
                metadatas=[{"doc_id": c.doc_id, "start": c.start, "end": c.end} for c in part],
            )
            yield len(part)

    def delete(self, ids: Sequence[str], batch: int = 1000) -> None:
        for i in range(0, len(ids), batch):
            self._collection.delete(ids=list(ids[i : i + batch]))

    def count(self) -> int:
        return self._collection.count()

    def query(self, text: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine distance) of the ``n`` nearest chunks."""
        n = min(n, self.count())
        if n <= 0:
            return []
        result = self._collection.query(query_texts=[text], n_results=n, include=["distances"])
        distances = (result.get("distances") or [[]])[0]
        return list(zip(result["ids"][0], distances, strict=True))
