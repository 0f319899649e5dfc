"""Indexing: documents read, chunked, embedded into Chroma, kept in atomic snapshots, and searched."""

from ._chroma_start import skip_override_checks

skip_override_checks()  # before anything here imports chromadb
