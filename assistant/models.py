"""The data that flows corpus → chunks → index → retrieve → answer → cite.

Plain dataclasses, so every stage can be tested alone and serialised without surprises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A document as read from the corpus; ``text`` is what every offset points into."""

    doc_id: str
    text: str
    sha256: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str | None:
        return self.metadata.get("title")


def chunk_id(doc_id: str, ordinal: int, digest: str) -> str:
    """A chunk's id, "<document id>#<ordinal>-<content digest>": stable while its text is."""
    return f"{doc_id}#{ordinal:04d}-{digest}"


def chunk_address(cid: str) -> tuple[str, int] | None:
    """The (document id, ordinal) a :func:`chunk_id` names (None when it is not one): lets a
    snapshot find a chunk by arithmetic instead of holding a dictionary of every id."""
    doc_id, sep, tail = cid.rpartition("#")
    ordinal = tail.partition("-")[0]
    return (doc_id, int(ordinal)) if sep and ordinal.isascii() and ordinal.isdigit() else None


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: ``document.text[start:end] == text``."""

    chunk_id: str
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Retrieved:
    """A chunk found for a query, with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    dense_rank: int | None
    lexical_rank: int | None


@dataclass(frozen=True)
class Citation:
    """An exact span of a document that supports one sentence of an answer."""

    n: int
    doc_id: str
    chunk_id: str
    quote: str
    start: int
    end: int
    title: str | None
    metadata: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("metadata")
        for key, value in extra.items():
            data.setdefault(key, value)
        return data


@dataclass
class Answer:
    """What ``assistant ask --json`` prints; the shape is a public contract (see README)."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    conflict: bool
    retrieved: list[Retrieved]
    backend: str
    timings_ms: dict[str, float]
    standalone_question: str | None = None
    notices: list[str] = field(default_factory=list)
    model: str | None = None
    verification: dict[str, Any] | None = None
    # Each sentence of ``answer`` with its status: "confirmed" (its cited passage states it) or
    # "unconfirmed" (nothing contradicts it, but the passage covers too little of it to confirm).
    sentences: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "sentences": self.sentences,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "conflict": self.conflict,
            "retrieved": [
                {"doc_id": r.chunk.doc_id, "chunk_id": r.chunk.chunk_id, "score": round(r.score, 6)}
                for r in self.retrieved
            ],
            "backend": self.backend,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "standalone_question": self.standalone_question,
            "notices": self.notices,
            "model": self.model,
            "verification": self.verification,
        }
