"""Indexes for the eval corpora, built on demand under ``evals/.cache/indexes/``.

Each corpus folder gets its own embedded index, named after the folder; ingest is incremental,
so a second run over an unchanged corpus costs a few milliseconds.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..indexing.ingest import ingest
from ..settings import Settings

CACHE = Path("evals/.cache/indexes")


def index_settings(base: Settings, corpus: Path | list[Path], cache: Path = CACHE) -> Settings:
    """Settings that point at an up-to-date index of the ``corpus`` folder(s), built or updated now."""
    folders = corpus if isinstance(corpus, list) else [corpus]
    name = "+".join(f.resolve().as_posix() for f in folders)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[-80:] + "-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    settings = base.with_overrides(index_dir=cache / slug, corpus_dir=folders[0]).model_copy(
        update={"chroma_url": None}
    )
    ingest(settings, folders, progress=False)
    return settings
