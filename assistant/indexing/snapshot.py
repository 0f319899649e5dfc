"""The index's documents, chunks and BM25 postings, in immutable segments named by a manifest.

``index/segments/<id>/`` holds what one ingest added: chunk offsets, the documents' texts and
their BM25 postings; it is never changed after it is written. ``index/snapshots/<name>/``
holds a manifest: every document with its hash, chunks and the segment holding its current
version, and the segments in use. An ingest writes a segment for the documents that changed
(nothing is rewritten for the rest), then a new manifest, then replaces the one-line
``CURRENT`` file with ``os.replace``. A reader always sees one whole snapshot, so an ingest that
fails or is killed at any point leaves the previous index answering as before; segments no
manifest names any more are pruned. A document that changed is dead in its old segment; when
old segments hold mostly dead chunks, or small segments pile up, ingest compacts them.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import uuid
import zipfile
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..columns import Rows
from ..errors import IndexDamaged, IndexMismatch, IndexMissing
from ..files import RandomReader
from ..models import Chunk, Document, chunk_address, chunk_id
from ..text.analysis import analyser_version
from .lexical import LexicalIndex, Postings

FORMAT = 3  # 3: a document's chunk ids stored as one string of digests (2: as a list of ids)
READS = (2, 3)
CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"
SEGMENTS = "segments"


@dataclass
class DocEntry:
    """What the manifest remembers of one document."""

    sha256: str
    metadata: dict[str, str]
    chunk_ids: Sequence[str]  # a list, or ChunkIds once read from a manifest
    chunking: str
    path: str = ""
    segment: str = ""  # the segment holding this version of the document
    scripts: list[str] = field(default_factory=list)  # writing systems of its letters (text.scripts)


class ChunkIds(Rows[str]):
    """A document's chunk ids held as one string of their digests, each id rebuilt on access:
    at 100,000 chunks, 12 MB less in every server than a list of the ids."""

    __slots__ = ("digests", "doc_id", "width")

    def __init__(self, doc_id: str, digests: str, width: int) -> None:
        self.doc_id, self.digests, self.width = doc_id, digests, width

    @classmethod
    def of(cls, doc_id: str, ids: list[str]) -> Sequence[str]:
        """``ids`` held compactly when they are the ids chunking makes, else ``ids`` as given."""
        width = len(ids[0]) - len(chunk_id(doc_id, 0, "")) if ids else 0
        if width <= 0 or any(cid != chunk_id(doc_id, i, cid[-width:]) for i, cid in enumerate(ids)):
            return ids
        return cls(doc_id, "".join(cid[-width:] for cid in ids), width)

    def __len__(self) -> int:
        return len(self.digests) // self.width

    def _at(self, i: int) -> str:
        return chunk_id(self.doc_id, i, self.digests[i * self.width : (i + 1) * self.width])


@dataclass
class SegmentInfo:
    """What the manifest remembers of a segment."""

    chunks: int  # chunks written to it (live or not)
    lexical: str  # the analyser version its postings were built with


@dataclass
class Manifest:
    """A snapshot without its contents: enough to plan an ingest."""

    name: str
    collection: str
    embedder: dict[str, Any]
    docs: dict[str, DocEntry]
    segments: dict[str, SegmentInfo]
    created: str = ""


class DocumentTexts(Mapping[str, str]):
    """Document texts read on demand from the segments' ``documents.bin`` files (the page cache
    holds them, shared by every worker) instead of Python strings in each process; the most
    recently used are kept decoded."""

    CACHE = 64

    def __init__(self) -> None:
        self._where: dict[str, tuple[RandomReader, int, int]] = {}
        # Thread-safe; over the table, not a bound method: a cache holding ``self`` would make a
        # cycle, and a swapped-out snapshot's files would stay open until the cycle collector ran.
        self._decoded = functools.lru_cache(maxsize=self.CACHE)(functools.partial(_decode, self._where))

    def add_segment(self, folder: Path, live: set[str]) -> list[str]:
        """Open the live documents of a segment; returns all its document ids, in file order."""
        index = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        path = folder / "documents.bin"
        size = path.stat().st_size
        blob = RandomReader(path)
        for doc_id, start, end in index:
            if end > size:
                raise ValueError(f"{path} is shorter than its index says")
            if doc_id in live:
                self._where[doc_id] = (blob, start, end)
        return [doc_id for doc_id, _, _ in index]

    def __getitem__(self, doc_id: str) -> str:
        return self._decoded(doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._where


def _decode(where: dict[str, tuple[RandomReader, int, int]], doc_id: str) -> str:
    blob, start, end = where[doc_id]
    return blob.read(start, end).decode("utf-8")


class ChunkTable(Rows[Chunk]):
    """The chunks of a snapshot as compact columns (id, document, ordinal, offsets); a
    :class:`Chunk` with its text is made on access. At 100,000 chunks this saves the memory of
    a second copy of every text and of the objects holding them."""

    def __init__(self, texts: Mapping[str, str], docs: Mapping[str, DocEntry]) -> None:
        self.texts = texts
        self.docs = docs  # the manifest's entries: their chunk ids
        self.doc_names: list[str] = []
        self._doc_index: dict[str, int] = {}
        self._first: list[int] = []  # per document: the row of its chunk 0
        self._rows: dict[str, int] | None = None  # by id, only if some document's chunks are out of order
        self._columns: list[array[int]] = [array("q") for _ in range(4)]  # doc, ordinal, start, end

    def extend(self, doc_ids: list[str], columns: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        """Add chunks in bulk: their document ids and (ordinal, start, end) columns."""
        base = len(self)
        docs = np.array([self._doc(d) for d in doc_ids], dtype=np.int64)
        for column, values in zip(self._columns, (docs, *columns), strict=True):
            column.frombytes(np.ascontiguousarray(values, dtype=np.int64).tobytes())
        if len(docs):
            new, at = np.unique(docs, return_index=True)
            first = dict(zip(new.tolist(), (base + at).tolist(), strict=True))
            self._first.extend(first.get(d, -1) for d in range(len(self._first), len(self.doc_names)))
            if not np.array_equal(columns[0], base + np.arange(len(docs)) - np.asarray(self._first)[docs]):
                self._rows = {self.id(i): i for i in range(len(self))}

    def id(self, row: int) -> str:
        """The id of the chunk in ``row``."""
        return self.docs[self.doc_of(row)].chunk_ids[self._columns[1][row]]

    def ids(self) -> Iterator[str]:
        """Every chunk's id, in row order."""
        return (self.id(i) for i in range(len(self)))

    def row(self, cid: str) -> int | None:
        """The row of the chunk with id ``cid`` (None: not in this table). A document's chunks
        sit in ordinal order from its first row, so the id's address finds it."""
        if self._rows is not None:
            return self._rows.get(cid)
        address = chunk_address(cid)
        doc = None if address is None else self._doc_index.get(address[0])
        if address is None or doc is None:
            return None
        i = self._first[doc] + address[1]
        return i if i < len(self) and self.id(i) == cid else None

    def doc_of(self, row: int) -> str:
        """The document id of the chunk in ``row``."""
        return self.doc_names[self._columns[0][row]]

    def _doc(self, doc_id: str) -> int:
        doc = self._doc_index.setdefault(doc_id, len(self.doc_names))
        if doc == len(self.doc_names):
            self.doc_names.append(doc_id)
        return doc

    def __len__(self) -> int:
        return len(self._columns[0])

    def _at(self, i: int) -> Chunk:
        doc, ordinal, start, end = (column[i] for column in self._columns)
        doc_id = self.doc_names[doc]
        return Chunk(self.docs[doc_id].chunk_ids[ordinal], doc_id, ordinal, start, end, self.texts[doc_id][start:end])


@dataclass
class Snapshot:
    """One consistent view of the index. ``chunks`` keeps offsets only and cuts each chunk's
    text from its document when asked."""

    name: str
    collection: str
    embedder: dict[str, Any]
    docs: dict[str, DocEntry]
    chunks: ChunkTable
    texts: Mapping[str, str]
    lexical: LexicalIndex
    created: str = ""

    def document(self, doc_id: str) -> Document:
        entry = self.docs[doc_id]
        return Document(doc_id, self.texts[doc_id], entry.sha256, entry.metadata)

    def chunk(self, chunk_id: str) -> Chunk | None:
        i = self.chunks.row(chunk_id)
        return None if i is None else self.chunks[i]


def current_name(index_dir: Path) -> str | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def stored_format(index_dir: Path) -> int | None:
    """The format of the current snapshot (None: no index, or unreadable); an ingest rebuilds an
    index of an older format from the documents instead of refusing it."""
    name = current_name(index_dir)
    try:
        data = json.loads((index_dir / SNAPSHOTS / str(name) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("format") if isinstance(data, dict) else None


def manifest(index_dir: Path) -> Manifest | None:
    """The current snapshot's manifest alone (what an ingest needs): no texts, no postings."""
    name = current_name(index_dir)
    if name is None:
        return None
    try:
        data = json.loads((index_dir / SNAPSHOTS / name / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMissing(
            f"The index in {index_dir}/ is damaged ({exc}). Rebuild it with `assistant ingest --rebuild`."
        ) from exc
    if data.get("format") not in READS:
        raise IndexMismatch(
            f"The index in {index_dir}/ has format {data.get('format')}, this version reads "
            f"{' and '.join(map(str, READS))}. Rebuild it with `assistant ingest --rebuild`."
        )
    try:
        docs = {k: _entry(k, v) for k, v in data["docs"].items()}
        segments = {k: SegmentInfo(**v) for k, v in data["segments"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexDamaged(
            f"The index in {index_dir}/ is damaged ({type(exc).__name__}: {exc}). "
            "Rebuild it with `assistant ingest --rebuild`."
        ) from exc
    return Manifest(name, data["collection"], data["embedder"], docs, segments, data.get("created", ""))


def _entry(doc_id: str, stored: dict[str, Any]) -> DocEntry:
    """A manifest's document entry; its chunk ids as digests (format 3) or a list (format 2)."""
    if "chunk_digests" not in stored:
        return DocEntry(**{**stored, "chunk_ids": ChunkIds.of(doc_id, stored["chunk_ids"])})
    fields = dict(stored)
    digests, width = fields.pop("chunk_digests"), fields.pop("digest_width")
    if not isinstance(digests, str) or not isinstance(width, int) or width <= 0 or len(digests) % width:
        raise ValueError(f"the chunk digests of {doc_id} do not fit their width")
    return DocEntry(**fields, chunk_ids=ChunkIds(doc_id, digests, width))


def _stored(doc_id: str, entry: DocEntry) -> dict[str, Any]:
    """What the manifest keeps of a document: its chunk ids as one string of digests when they
    are chunking's ids, which a reader decodes with fewer objects (a 10 MB manifest at 100,000
    chunks read into 113,000 strings cost a server 20 MB it never gave back)."""
    out = {f.name: getattr(entry, f.name) for f in fields(entry) if f.name != "chunk_ids"}  # asdict would copy the ids
    ids = entry.chunk_ids if isinstance(entry.chunk_ids, ChunkIds) else ChunkIds.of(doc_id, list(entry.chunk_ids))
    if isinstance(ids, ChunkIds):
        return {**out, "chunk_digests": ids.digests, "digest_width": ids.width}
    return {**out, "chunk_ids": list(ids)}


def load(index_dir: Path) -> Snapshot:
    """The snapshot ``CURRENT`` names, its segments read whole; a clear error when there is none."""
    found = manifest(index_dir)
    if found is None:
        raise IndexMissing(
            f"No index found in {index_dir}/. Build it first with `assistant ingest` (it reads seeds/ by default)."
        )
    texts = DocumentTexts()
    chunks = ChunkTable(texts, found.docs)
    parts: list[tuple[Postings, np.ndarray]] = []
    try:
        for seg, info in sorted(found.segments.items()):
            folder = index_dir / SEGMENTS / seg
            live = {d for d, e in found.docs.items() if e.segment == seg}
            names = texts.add_segment(folder, live)
            doc, ordinal, start, end = _read_chunks(folder, len(names))
            alive = np.array([n in live for n in names], dtype=bool)[doc] if len(doc) else np.zeros(0, dtype=bool)
            to_global = np.full(len(doc), -1, dtype=np.int64)
            to_global[alive] = len(chunks) + np.arange(int(alive.sum()))
            chunks.extend([names[d] for d in doc[alive]], (ordinal[alive], start[alive], end[alive]))
            if info.lexical == analyser_version():
                legacy = folder / "postings.npz"  # segments written before postings were mapped
                postings = Postings.load_npz(legacy) if legacy.exists() else Postings.load(folder / "postings")
            else:  # an older analyser built it: re-analyse in memory; the next ingest rewrites it
                postings = Postings.build(
                    [texts[names[d]][a:b] if names[d] in texts else "" for d, a, b in zip(doc, start, end, strict=True)]
                )
            if len(postings.lengths) != len(doc):
                raise ValueError(f"segment {seg} has {len(doc)} chunks but postings for {len(postings.lengths)}")
            parts.append((postings, to_global))
        expected = sum(len(d.chunk_ids) for d in found.docs.values())
        if len(chunks) != expected or set(texts) != set(found.docs):
            raise ValueError(
                f"{len(chunks)} chunks and {len(texts)} texts for {expected} chunks of {len(found.docs)} documents"
            )
    except (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile, EOFError) as exc:
        raise IndexDamaged(
            f"The index in {index_dir}/ is damaged ({type(exc).__name__}: {exc}). "
            "Rebuild it with `assistant ingest --rebuild`."
        ) from exc
    return Snapshot(
        name=found.name,
        collection=found.collection,
        embedder=found.embedder,
        docs=found.docs,
        chunks=chunks,
        texts=texts,
        lexical=LexicalIndex(parts, len(chunks)),
        created=found.created,
    )


def write_segment(index_dir: Path, chunks: Sequence[Chunk], texts: dict[str, str]) -> tuple[str, SegmentInfo]:
    """Write an immutable segment (chunk offsets, document texts, BM25 postings); it takes
    effect only when a manifest naming it is made current. ``chunks`` is read twice, a chunk at
    a time (an ingest makes them on access from ``texts``)."""
    root = index_dir / SEGMENTS
    root.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    staging = root / f".staging-{name}"
    staging.mkdir()
    order = {doc_id: i for i, doc_id in enumerate(sorted(texts))}  # documents.json's order
    columns: dict[str, array[int]] = {"doc": array("i"), "ordinal": array("q"), "start": array("q"), "end": array("q")}
    for c in chunks:
        columns["doc"].append(order[c.doc_id])
        columns["ordinal"].append(c.ordinal)
        columns["start"].append(c.start)
        columns["end"].append(c.end)
    with (staging / "chunks.npz").open("wb") as f:
        np.savez(
            f,
            doc=np.frombuffer(columns["doc"], dtype=np.int32),
            ordinal=np.frombuffer(columns["ordinal"], dtype=np.int64),
            start=np.frombuffer(columns["start"], dtype=np.int64),
            end=np.frombuffer(columns["end"], dtype=np.int64),
        )
    del columns
    index = []
    with (staging / "documents.bin").open("wb") as blob:
        for doc_id, text in sorted(texts.items()):
            begin = blob.tell()
            for at in range(0, len(text), _PIECE):  # a piece at a time: a 50 MB text's bytes at once cost 50 MB
                blob.write(text[at : at + _PIECE].encode("utf-8"))
            index.append([doc_id, begin, blob.tell()])
    _write_json(staging / "documents.json", index)
    Postings.write(staging / "postings", (c.text for c in chunks))
    _fsync_tree(staging)
    os.replace(staging, root / name)
    fsync_dir(root)
    return name, SegmentInfo(len(chunks), analyser_version())


_PIECE = 1 << 20  # characters of a document text encoded at a time


def read_segment(index_dir: Path, segment: str, docs: dict[str, DocEntry]) -> tuple[list[Chunk], dict[str, str]]:
    """The chunks and texts of some documents of a segment (compaction rewrites them)."""
    folder = index_dir / SEGMENTS / segment
    stored = DocumentTexts()
    names = stored.add_segment(folder, set(docs))
    texts = {doc_id: stored[doc_id] for doc_id in stored}
    doc, ordinal, start, end = _read_chunks(folder, len(names))
    chunks = []
    for d, o, a, b in zip(doc.tolist(), ordinal.tolist(), start.tolist(), end.tolist(), strict=True):
        doc_id = names[d]
        if doc_id in docs:
            chunks.append(Chunk(docs[doc_id].chunk_ids[o], doc_id, o, a, b, texts[doc_id][a:b]))
    return chunks, texts


def write(
    index_dir: Path,
    *,
    collection: str,
    embedder: dict[str, Any],
    docs: dict[str, DocEntry],
    segments: dict[str, SegmentInfo],
) -> str:
    """Write a manifest naming the live segments and documents, then make it current in one
    atomic rename; returns the snapshot's name."""
    root = index_dir / SNAPSHOTS
    root.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    name = f"{created:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    staging = root / f".staging-{name}"
    staging.mkdir()
    used = {e.segment for e in docs.values()}
    data = {
        "format": FORMAT,
        "created": created.isoformat(),
        "collection": collection,
        "embedder": embedder,
        "segments": {k: asdict(v) for k, v in sorted(segments.items()) if k in used},
        "docs": {k: _stored(k, v) for k, v in sorted(docs.items())},
    }
    _write_json(staging / "manifest.json", data)
    _fsync_tree(staging)
    os.replace(staging, root / name)
    replace_text(index_dir / CURRENT, name + "\n")
    return name


def prune(index_dir: Path, previous: str | None = None) -> None:
    """Keep the current snapshot, the ``previous`` one (a server may still be opening it) and
    the segments they name; remove older snapshots, unused segments and killed runs' staging."""
    root = index_dir / SNAPSHOTS
    if not root.exists():
        return
    keep = {current_name(index_dir), previous} - {None}
    used: set[str] = set()
    for folder in root.iterdir():
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            used |= set(json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("segments", {}))
        except (OSError, ValueError):
            continue
    segments = index_dir / SEGMENTS
    if segments.exists():
        for folder in segments.iterdir():
            if folder.name not in used:
                shutil.rmtree(folder, ignore_errors=True)


def _read_chunks(folder: Path, documents: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A segment's chunk columns: document (index into documents.json), ordinal, start, end."""
    with np.load(folder / "chunks.npz", allow_pickle=False) as data:
        doc, ordinal, start, end = (data[k] for k in ("doc", "ordinal", "start", "end"))
    if not len(doc) == len(ordinal) == len(start) == len(end) or (len(doc) and int(doc.max()) >= documents):
        raise ValueError(f"{folder / 'chunks.npz'} does not match its documents")
    return doc.astype(np.int64), ordinal, start, end


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def replace_text(path: Path, text: str) -> None:
    """Writes ``text`` to ``path`` atomically and durably: readers see the old or the new file whole."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())
        elif path.is_dir():
            fsync_dir(path)
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (a rename into it, a new file) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
