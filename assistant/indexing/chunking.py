"""Splitting documents into retrieval chunks with exact offsets.

``langchain-text-splitters`` does the splitting, preferring paragraph, line and sentence
boundaries; we then locate every chunk in the original text so offsets are exact, and derive
chunk ids from content so that re-ingesting an unchanged document yields the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ..models import Chunk, Document, chunk_id

# Paragraphs, lines, then sentence ends (a closing quote may follow the stop), then clauses.
_SEPARATORS = [
    r"\n\n",
    r"\n",
    r"(?<=[.!?])\s+",
    r"(?<=[.!?][\"'”’)])\s+",
    r";\s+",
    r",\s+",
    r"\s+",
    r"",
]


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


BLOCK_CHARS = 1_000_000  # a longer document is split block by block, at paragraph breaks


def chunk_document(doc: Document, splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    """Chunks of ``doc`` in reading order, each an exact slice of ``doc.text``."""
    return list(iter_chunks(doc, splitter))


def iter_chunks(doc: Document, splitter: RecursiveCharacterTextSplitter) -> Iterator[Chunk]:
    """:func:`chunk_document` one chunk at a time, so an ingest keeps only what it needs of each.

    A document longer than :data:`BLOCK_CHARS` is handed to the splitter a block at a time, each
    block ending at a paragraph break: the splitter's intermediate pieces of a 50 MB file took
    hundreds of megabytes at once. Chunks never cross a block's end; a document under the size
    is chunked exactly as before."""
    ordinal = 0
    for base, block in _blocks(doc.text):
        cursor = 0
        last: int | None = None  # where the block's previous chunk starts
        for piece in splitter.split_text(block):
            start = block.find(piece, cursor)
            if start < 0:  # overlap may move us back; search from the start of the last chunk
                start = block.find(piece, last or 0)
            if start < 0:
                raise ValueError(f"chunk {ordinal} of {doc.doc_id} is not a slice of the text")
            cursor = start + 1
            last = start
            at = start + base
            digest = hashlib.sha1(f"{at}:{piece}".encode()).hexdigest()[:12]
            yield Chunk(chunk_id(doc.doc_id, ordinal, digest), doc.doc_id, ordinal, at, at + len(piece), piece)
            ordinal += 1


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """(offset, block) pieces of ``text`` of about :data:`BLOCK_CHARS`, cut at paragraph breaks
    (at line breaks, or anywhere, when a block has none)."""
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= BLOCK_CHARS else start + BLOCK_CHARS
        if end < len(text):
            for mark in ("\n\n", "\n", " "):
                cut = text.rfind(mark, start + BLOCK_CHARS // 2, end)
                if cut > 0:
                    end = cut + len(mark)
                    break
        yield start, text[start:end]
        start = end
