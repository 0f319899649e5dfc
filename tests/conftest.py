"""Shared fixtures: a real on-disk index of the seed corpus, built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.ingest import ingest
from assistant.pipeline import Assistant
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DOC_A = "000_cc5f1bbda9c16bd9.txt"  # the news report
DOC_B = "003_e8c8d15bd2a8378c.txt"  # the "EXPLAINED" article


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    index_dir = tmp_path_factory.mktemp("seed-index")
    settings = Settings(index_dir=index_dir, corpus_dir=SEEDS)
    ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def seed_assistant(seed_settings: Settings) -> Assistant:
    return Assistant(seed_settings)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the seeds for tests that change the corpus."""
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def fresh_settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", corpus_dir=corpus_copy)
