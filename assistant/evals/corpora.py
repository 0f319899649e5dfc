"""Indexes for the eval corpora, built on demand under ``evals/.cache/indexes/``.

Each corpus folder gets its own embedded index, named after the folder; ingest is incremental,
so a second run over an unchanged corpus costs a few milliseconds.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..indexing.ingest import ingest
from ..settings import Settings

CACHE = Path("evals/.cache/indexes")


def index_settings(base: Settings, corpus: Path, cache: Path = CACHE) -> Settings:
    """Settings that point at an up-to-date index of ``corpus`` (built or updated now)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", corpus.resolve().as_posix()).strip("-")[-80:]
    settings = base.with_overrides(index_dir=cache / slug, corpus_dir=corpus).model_copy(update={"chroma_url": None})
    ingest(settings, [corpus], progress=False)
    return settings
