"""Indexing: documents read, chunked, embedded into Chroma, kept in atomic snapshots, and searched."""
