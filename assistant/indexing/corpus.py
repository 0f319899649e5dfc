"""Reading documents from disk: .txt, .md, .html and .pdf, plus optional metadata sidecars.

A document's id is its path relative to the corpus folder, so ids are stable across
machines. The text returned is what every citation offset points into.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import DocumentError
from ..models import Document

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
SIDECAR_SUFFIX = ".meta.json"
METADATA_KEYS = ("title", "outlet", "date", "url")


@dataclass(frozen=True)
class Source:
    """A file to read and the id it will have."""

    path: Path
    doc_id: str


def discover(paths: list[Path]) -> Iterator[Source]:
    """Every supported file under ``paths``, in a stable order; ids are relative to each root."""
    for root in paths:
        if root.is_file():
            yield Source(root, root.name)
            continue
        if not root.exists():
            raise DocumentError(str(root), "no such file or folder")
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if path.name.endswith(SIDECAR_SUFFIX) or path.name.startswith("."):
                continue
            if path.suffix.lower() in SUPPORTED:
                yield Source(path, path.relative_to(root).as_posix())


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
        sha256=hashlib.sha256(raw + json.dumps(meta, sort_keys=True).encode()).hexdigest(),
        metadata=meta,
    )


def _decode(source: Source, raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
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
    if not sidecar.exists():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DocumentError(source.doc_id, f"has an unreadable metadata file {sidecar.name} ({exc})") from exc
    if not isinstance(data, dict):
        raise DocumentError(source.doc_id, f"metadata file {sidecar.name} must hold a JSON object")
    return {k: str(v) for k, v in data.items() if k in METADATA_KEYS and v not in (None, "")}


def _headline(text: str) -> str | None:
    """The first line, when it reads as a headline: short, several words, no closing period."""
    first = text.lstrip().split("\n", 1)[0].strip()
    if not first or len(first) > 160 or first.endswith((".", ",", ";", "”", '"')):
        return None
    if len(re.findall(r"\w+", first)) < 3:
        return None
    return first
