"""Documents managed while serving: what the corpus folder and the index hold, adding or
replacing files in the folder, removing one.

Every change goes through the corpus folder, so ``assistant ingest``, ``serve --watch`` and the
admin API all see one truth. An upload passes the checks an ingest applies (type, readable
text, size, file name) before anything is written; it is written under a hidden temporary
name, flushed, and renamed into place, so an ingest never reads half a file; a batch with one
bad file writes none.
"""

from __future__ import annotations

import contextlib
import os
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..errors import AssistantError, DocumentError
from . import corpus, snapshot
from .background import read_status

READ_BLOCK = 1 << 20


class Rejected(AssistantError):
    """An upload or removal that was refused; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problems = problems or [message]


@dataclass(frozen=True)
class Stored:
    """A file an upload put in the corpus folder."""

    doc_id: str
    bytes: int
    replaced: bool


def check_name(name: str) -> str:
    """The upload's file name as it will be stored, or :class:`Rejected` saying what is wrong.
    Only a plain name is accepted (no folders, no hidden files), so an upload can never land
    outside the corpus folder or replace something an ingest ignores."""
    name = unicodedata.normalize("NFC", name or "")
    if not name.strip():
        raise Rejected(400, "The file has no name.")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise Rejected(400, f"{name!r}: give a plain file name, without folders.")
    if name.startswith("."):
        raise Rejected(400, f"{name!r}: hidden files (starting with a dot) are not documents.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise Rejected(400, f"{name!r}: the file name contains control or invisible characters.")
    if len(name.encode("utf-8", "surrogatepass")) > corpus.MAX_NAME_BYTES:
        raise Rejected(400, f"{name[:40]}…: the file name is longer than {corpus.MAX_NAME_BYTES} bytes.")
    if name.endswith(corpus.SIDECAR_SUFFIX):
        raise Rejected(415, f"{name}: metadata sidecars are not documents; upload the document itself.")
    if Path(name).suffix.lower() not in corpus.SUPPORTED:
        kinds = ", ".join(corpus.SUPPORTED)
        raise Rejected(415, f"{name}: only {kinds} files are documents.")
    return name


def add(corpus_dir: Path, files: Sequence[tuple[str, IO[bytes]]], max_bytes: int) -> list[Stored]:
    """Put ``files`` (name, readable) into ``corpus_dir``, all or none."""
    if not files:
        raise Rejected(400, "No files were sent.")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    names = [check_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise Rejected(400, "The same file name was sent twice.")
    staged: list[tuple[Path, str, int]] = []
    try:
        problems = []
        for name, (_, stream) in zip(names, files, strict=True):
            temp = corpus_dir / f".upload-{uuid.uuid4().hex}{Path(name).suffix.lower()}"
            staged.append((temp, name, 0))  # removed on any failure, even one while copying
            size = _copy(stream, temp, max_bytes)
            staged[-1] = (temp, name, size)
            if size > max_bytes:
                raise Rejected(413, f"{name}: larger than the limit of {max_bytes} bytes.")
            try:
                corpus.read(corpus.Source(temp, name))  # the ingest's own readers and checks
            except DocumentError as err:
                problems.append(f"{name}: {err.reason}")
        problems += [f"{name}: a folder of that name is in the way" for name in names if (corpus_dir / name).is_dir()]
        if problems:
            raise Rejected(422, "; ".join(problems), problems)
        stored = []
        for temp, name, size in staged:
            target = corpus_dir / name
            replaced = target.exists()
            os.replace(temp, target)
            stored.append(Stored(name, size, replaced))
        snapshot.fsync_dir(corpus_dir)
        staged = []
        return stored
    finally:
        for temp, _, _ in staged:
            temp.unlink(missing_ok=True)


def remove(corpus_dir: Path, doc_id: str) -> Path:
    """Delete the document ``doc_id`` (a path inside the corpus folder) and its sidecar."""
    base = corpus_dir.resolve()
    parts = Path(doc_id).parts
    # the folder it sits in must be inside the corpus; the file itself may be a link (removed, not its target)
    target = (corpus_dir / doc_id).parent.resolve() / Path(doc_id).name if doc_id and "\x00" not in doc_id else None
    if target is None or ".." in parts or Path(doc_id).is_absolute() or base not in (target.parent, *target.parents):
        raise Rejected(400, f"{doc_id!r} is not a document id (a path inside the corpus folder).")
    try:
        is_document = target.is_file() and Path(doc_id).suffix.lower() in corpus.SUPPORTED
    except OSError:  # a name too long for the file system, a component that is a file
        is_document = False
    if not is_document:
        raise Rejected(404, f"{doc_id[:200]} is not a document in the corpus folder.")
    target.unlink()
    with contextlib.suppress(FileNotFoundError):
        target.with_name(target.name + corpus.SIDECAR_SUFFIX).unlink()
    snapshot.fsync_dir(target.parent)
    return target


def listing(corpus_dir: Path, index_dir: Path, follow_outside_links: bool = False) -> dict[str, Any]:
    """Each document with its state, and the background ingest's state.

    States: ``indexed`` (answers come from it), ``waiting`` (new or changed in the folder since
    the index was built), ``removing`` (indexed, gone from the folder), ``failed`` (the last
    ingest could not read it; ``reason`` says why)."""
    found = snapshot.manifest(index_dir) if snapshot.stored_format(index_dir) in snapshot.READS else None
    indexed = found.docs if found else {}
    built = _epoch(found.created) if found else None
    status = read_status(index_dir) or {}
    failed = {f["doc_id"]: f["reason"] for f in status.get("failed", []) if isinstance(f, dict)}
    docs: list[dict[str, Any]] = []
    in_folder: set[str] = set()
    if corpus_dir.is_dir():
        for item in corpus.discover([corpus_dir], follow_outside_links):
            if isinstance(item, DocumentError):
                docs.append({"id": item.doc_id, "state": "failed", "reason": item.reason})
                continue
            in_folder.add(item.doc_id)
            try:
                info = item.path.stat()
            except OSError as exc:
                docs.append({"id": item.doc_id, "state": "failed", "reason": f"cannot be read ({exc.strerror})"})
                continue
            row: dict[str, Any] = {"id": item.doc_id, "bytes": info.st_size, "modified": _iso(info.st_mtime)}
            entry = indexed.get(item.doc_id)
            if entry is not None:
                row.update(title=entry.metadata.get("title"), chunks=len(entry.chunk_ids))
            if item.doc_id in failed and (entry is None or built is None or info.st_mtime <= built):
                row.update(state="failed", reason=failed[item.doc_id])
            elif entry is None or built is None or info.st_mtime > built:
                row["state"] = "waiting"
            else:
                row["state"] = "indexed"
            docs.append(row)
    for doc_id, entry in indexed.items():
        if doc_id not in in_folder:
            docs.append({"id": doc_id, "state": "removing", "title": entry.metadata.get("title"),
                         "chunks": len(entry.chunk_ids)})  # fmt: skip
    docs.sort(key=lambda d: d["id"])
    return {
        "documents": docs,
        "snapshot": {"name": found.name, "created": found.created} if found else None,
        "ingest": status or None,
    }


def _copy(stream: IO[bytes], temp: Path, max_bytes: int) -> int:
    """Copy up to one byte past the limit (enough to know it is too large), flushed to disk."""
    size = 0
    with temp.open("xb") as out:
        while size <= max_bytes:
            block = stream.read(min(READ_BLOCK, max_bytes + 1 - size))
            if not block:
                break
            out.write(block)
            size += len(block)
        out.flush()
        os.fsync(out.fileno())
    return size


def _epoch(iso: str) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp() if iso else None
    except ValueError:
        return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
