"""Splitting documents into retrieval chunks with exact offsets.

``langchain-text-splitters`` does the splitting, preferring paragraph, line and sentence
boundaries; we then locate every chunk in the original text so offsets are exact, and derive
chunk ids from content so that re-ingesting an unchanged document yields the same ids.
"""

from __future__ import annotations

import hashlib

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


def chunk_document(doc: Document, splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    """Chunks of ``doc`` in reading order, each an exact slice of ``doc.text``."""
    chunks: list[Chunk] = []
    cursor = 0
    for ordinal, piece in enumerate(splitter.split_text(doc.text)):
        start = doc.text.find(piece, cursor)
        if start < 0:  # overlap may move us back; search from the start of the last chunk
            start = doc.text.find(piece, chunks[-1].start if chunks else 0)
        if start < 0:
            raise ValueError(f"chunk {ordinal} of {doc.doc_id} is not a slice of the text")
        end = start + len(piece)
        digest = hashlib.sha1(f"{start}:{piece}".encode()).hexdigest()[:12]
        chunks.append(Chunk(chunk_id(doc.doc_id, ordinal, digest), doc.doc_id, ordinal, start, end, piece))
        cursor = start + 1
    return chunks
