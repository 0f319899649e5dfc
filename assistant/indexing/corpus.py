"""Reading documents from disk: .txt, .md, .html and .pdf, plus optional metadata sidecars.

A document's id is its path relative to the corpus folder, so ids are stable across
machines. The text returned is what every citation offset points into.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import DocumentError
from ..models import Document

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
SIDECAR_SUFFIX = ".meta.json"
MAX_NAME_BYTES = 255 - len(SIDECAR_SUFFIX)  # a longer name leaves no room for its sidecar's
METADATA_KEYS = ("title", "outlet", "date", "url")


@dataclass(frozen=True)
class Source:
    """A file to read and the id it will have."""

    path: Path
    doc_id: str


def discover(paths: list[Path], follow_outside_links: bool = False) -> Iterator[Source | DocumentError]:
    """Every supported file under ``paths`` in a stable order (ids relative to each root), and a
    :class:`DocumentError` for each thing skipped on the way: a folder that cannot be read, a
    symbolic-link loop, a link leaving the corpus folder (unless ``follow_outside_links``), a
    file name that is not valid UTF-8."""
    for root in paths:
        if root.is_file():
            yield _source(root, root.name, root.parent, follow_outside_links)
            continue
        if not root.exists():
            raise DocumentError(str(root), "no such file or folder")
        yield from _walk(root, follow_outside_links)


def _walk(root: Path, follow_outside_links: bool) -> Iterator[Source | DocumentError]:
    base = root.resolve()
    problems: list[DocumentError] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else str(root)
        problems.append(DocumentError(_printable(where) + "/", f"folder cannot be read ({exc.strerror or exc})"))

    found: list[Source | DocumentError] = []
    seen_folders = {base}
    for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=True):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            sub = here / name
            if name.startswith("."):
                continue
            target = sub.resolve()
            rel = _printable(sub.relative_to(root).as_posix())
            if target in seen_folders or target in sub.parents or target == base:
                problems.append(DocumentError(rel + "/", "is a symbolic link loop; not followed"))
            elif not _inside(target, base) and not follow_outside_links:
                problems.append(DocumentError(rel + "/", "links outside the corpus folder; not followed"))
            else:
                seen_folders.add(target)
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = here / name
            if name.endswith(SIDECAR_SUFFIX) or name.startswith(".") or path.suffix.lower() not in SUPPORTED:
                continue
            found.append(_source(path, path.relative_to(root).as_posix(), base, follow_outside_links))
    yield from problems
    yield from sorted(found, key=lambda s: s.doc_id)


def _source(path: Path, doc_id: str, base: Path, follow_outside_links: bool) -> Source | DocumentError:
    try:
        doc_id.encode("utf-8")
    except UnicodeEncodeError:
        return DocumentError(_printable(doc_id), "its file name is not valid UTF-8; rename it to index it")
    if len(path.name.encode("utf-8")) > MAX_NAME_BYTES:
        return DocumentError(
            doc_id[:60] + "…",
            f"its file name is {len(path.name.encode('utf-8'))} bytes long; names up to {MAX_NAME_BYTES} bytes "
            f"are indexed (its {SIDECAR_SUFFIX} sidecar's name must fit the 255-byte limit); rename it",
        )
    if path.is_symlink() and not follow_outside_links and not _inside(path.resolve(), base):
        return DocumentError(doc_id, "is a link to a file outside the corpus folder; skipped")
    return Source(path, doc_id)


def _inside(path: Path, base: Path) -> bool:
    return path == base or base in path.parents


def _printable(name: str) -> str:
    """A file name with its undecodable bytes shown as escapes, fit for a message."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read(source: Source) -> Document:
    """Read one file; any failure becomes a :class:`DocumentError` naming the file and reason."""
    suffix = source.path.suffix.lower()
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        raise DocumentError(source.doc_id, f"cannot be read ({exc.strerror or exc})") from exc
    if suffix == ".pdf":
        text, meta = _read_pdf(source, raw)
    elif suffix in (".html", ".htm"):
        text, meta = _read_html(source, raw)
    else:
        text, meta = _decode(source, raw), {}
    if not text.strip():
        raise DocumentError(source.doc_id, "contains no text")
    meta = {**meta, **_read_sidecar(source)}
    if "title" not in meta:
        headline = _headline(text)
        if headline:
            meta["title"] = headline
    return Document(
        doc_id=source.doc_id,
        text=text,
        sha256=_digest(raw, meta),
        metadata=meta,
    )


def _digest(raw: bytes, meta: dict[str, str]) -> str:
    """The document's version: its bytes and its metadata (fed in turn, not joined: joining
    copied a 50 MB file once more)."""
    digest = hashlib.sha256(raw)
    digest.update(json.dumps(meta, sort_keys=True).encode())
    return digest.hexdigest()


def _decode(source: Source, raw: bytes) -> str:
    if b"\x00" in raw:
        raise DocumentError(source.doc_id, "looks like a binary file, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(source.doc_id, f"is not valid UTF-8 text (bad byte at position {exc.start})") from exc


def _read_html(source: Source, raw: bytes) -> tuple[str, dict[str, str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(source, raw), "html.parser")
    meta: dict[str, str] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(strip=True)
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line), meta


def _read_pdf(source: Source, raw: bytes) -> tuple[str, dict[str, str]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(source.doc_id, f"is not a readable PDF ({exc})") from exc
    meta: dict[str, str] = {}
    if info is not None and info.title:
        meta["title"] = str(info.title)
    return "\n\n".join(p.strip() for p in pages if p.strip()), meta


def _read_sidecar(source: Source) -> dict[str, str]:
    """Metadata from ``<file>.meta.json`` beside the document, when there is one."""
    sidecar = source.path.with_name(source.path.name + SIDECAR_SUFFIX)
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise DocumentError(source.doc_id, f"has an unreadable metadata file {sidecar.name} ({exc})") from exc
    if not isinstance(data, dict):
        raise DocumentError(source.doc_id, f"metadata file {sidecar.name} must hold a JSON object")
    return {k: str(v) for k, v in data.items() if k in METADATA_KEYS and v not in (None, "")}


def plain_heading(line: str) -> str:
    """A line without the marks of a Markdown heading or emphasis: "# **Kettle K40**" → "Kettle K40"."""
    return re.sub(r"^#{1,6}\s+|\s+#+$", "", line.strip()).strip().strip("*_").strip()


def _headline(text: str) -> str | None:
    """The first line, when it reads as a headline: short, several words, no closing period;
    without the marks of a Markdown heading ("# Kettle K40" is titled "Kettle K40")."""
    first = plain_heading(text.lstrip().split("\n", 1)[0])
    if not first or len(first) > 160 or first.endswith((".", ",", ";", "”", '"')):
        return None
    if len(re.findall(r"\w+", first)) < 3:
        return None
    return first
