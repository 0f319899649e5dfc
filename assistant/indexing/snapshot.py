"""The index's manifest, chunks, document texts and BM25 index, swapped in atomically.

Every ingest writes a complete new snapshot folder and then replaces the one-line
``CURRENT`` file with ``os.replace``. A reader always sees one whole snapshot, so an ingest
that fails or is killed half-way leaves the previous index answering as before.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import IndexDamaged, IndexMismatch, IndexMissing
from ..models import Chunk, Document
from ..text.analysis import analyser_version
from .lexical import LexicalIndex

FORMAT = 1
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"


@dataclass
class DocEntry:
    """What the manifest remembers of one document."""

    sha256: str
    metadata: dict[str, str]
    chunk_ids: list[str]
    chunking: str
    path: str = ""


@dataclass
class Snapshot:
    """One consistent view of the index."""

    name: str
    collection: str
    embedder: dict[str, Any]
    docs: dict[str, DocEntry]
    chunks: list[Chunk]
    texts: dict[str, str]
    lexical: LexicalIndex
    created: str = ""
    lexical_version: str = ""
    position: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = {c.chunk_id: i for i, c in enumerate(self.chunks)}

    def document(self, doc_id: str) -> Document:
        entry = self.docs[doc_id]
        return Document(doc_id, self.texts[doc_id], entry.sha256, entry.metadata)

    def chunk(self, chunk_id: str) -> Chunk | None:
        i = self.position.get(chunk_id)
        return None if i is None else self.chunks[i]


def current_name(index_dir: Path) -> str | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def load(index_dir: Path) -> Snapshot:
    """The snapshot ``CURRENT`` names; a clear error when there is none yet."""
    name = current_name(index_dir)
    if name is None:
        raise IndexMissing(
            f"No index found in {index_dir}/. Build it first with `assistant ingest` (it reads seeds/ by default)."
        )
    folder = index_dir / SNAPSHOTS / name
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMissing(
            f"The index in {index_dir}/ is damaged ({exc}). Rebuild it with `assistant ingest --rebuild`."
        ) from exc
    if manifest.get("format") != FORMAT:
        raise IndexMismatch(
            f"The index in {index_dir}/ has format {manifest.get('format')}, this version reads "
            f"{FORMAT}. Rebuild it with `assistant ingest --rebuild`."
        )
    try:
        chunks = [Chunk(**row) for row in _read_jsonl(folder / "chunks.jsonl")]
        texts = {row["doc_id"]: row["text"] for row in _read_jsonl(folder / "documents.jsonl")}
        docs = {k: DocEntry(**v) for k, v in manifest["docs"].items()}
        expected = sum(len(d.chunk_ids) for d in docs.values())
        if len(chunks) != expected or set(texts) != set(docs):
            raise ValueError(
                f"{len(chunks)} chunks and {len(texts)} texts for {expected} chunks of {len(docs)} documents"
            )
        version = manifest.get("lexical", "")
        if version == analyser_version():
            lexical = LexicalIndex.load(folder / "bm25", len(chunks))
        else:  # built by an older analyser: rebuild in memory (cheap); the next ingest persists it
            lexical = LexicalIndex.build([c.text for c in chunks])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamaged(
            f"The index in {index_dir}/ is damaged ({type(exc).__name__}: {exc}). "
            "Rebuild it with `assistant ingest --rebuild`."
        ) from exc
    return Snapshot(
        name=name,
        collection=manifest["collection"],
        embedder=manifest["embedder"],
        docs=docs,
        chunks=chunks,
        texts=texts,
        lexical=lexical,
        created=manifest.get("created", ""),
        lexical_version=version,
    )


def write(
    index_dir: Path,
    *,
    collection: str,
    embedder: dict[str, Any],
    docs: dict[str, DocEntry],
    chunks: list[Chunk],
    texts: dict[str, str],
) -> str:
    """Write a complete snapshot, then make it current in one atomic rename; returns its name."""
    root = index_dir / SNAPSHOTS
    root.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    name = f"{created:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    staging = root / f".staging-{name}"
    staging.mkdir()
    manifest = {
        "format": FORMAT,
        "created": created.isoformat(),
        "collection": collection,
        "embedder": embedder,
        "lexical": analyser_version(),
        "docs": {k: asdict(v) for k, v in sorted(docs.items())},
    }
    _write_json(staging / "manifest.json", manifest)
    _write_jsonl(staging / "chunks.jsonl", (asdict(c) for c in chunks))
    _write_jsonl(staging / "documents.jsonl", ({"doc_id": k, "text": v} for k, v in sorted(texts.items())))
    LexicalIndex.build([c.text for c in chunks]).save(staging / "bm25")
    _fsync_tree(staging)
    os.replace(staging, root / name)
    _replace_text(index_dir / CURRENT, name + "\n")
    return name


def prune(index_dir: Path) -> None:
    """Remove every snapshot but the current one, and leftovers of killed runs."""
    keep = current_name(index_dir)
    root = index_dir / SNAPSHOTS
    if not root.exists():
        return
    for folder in root.iterdir():
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_jsonl(path: Path, rows: Any) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
