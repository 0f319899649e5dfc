"""Shared fixtures: a real on-disk index of the seed corpus, built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.indexing.ingest import ingest
from assistant.pipeline import Assistant
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DOC_A = "000_cc5f1bbda9c16bd9.txt"  # the news report
DOC_B = "003_e8c8d15bd2a8378c.txt"  # the "EXPLAINED" article

# Tiers: `make check` runs what needs none of these; `make test` runs everything. A test that
# uses one of these fixtures gets the mark by itself, so a slow test cannot land in the fast tier.
_MARK_BY_FIXTURE = {
    "llm_url": "llm",
    "page": "browser",
    "browser": "browser",
    "web": "server",
    "chroma_server": "server",
    "redis_url": "server",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, mark in _MARK_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(mark)


def assistant_over(root: Path, docs: dict[str, str], **settings: object) -> Assistant:
    """An assistant over a small corpus written for a test: ``docs`` maps file names to texts,
    ``settings`` overrides (e.g. ``top_k``); corpus and index go under ``root``."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")
    config = Settings(index_dir=root / "index", corpus_dir=corpus).with_overrides(**settings)
    ingest(config, progress=False)
    return Assistant(config)


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    index_dir = tmp_path_factory.mktemp("seed-index")
    settings = Settings(index_dir=index_dir, corpus_dir=SEEDS)
    ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def seed_assistant(seed_settings: Settings) -> Assistant:
    return Assistant(seed_settings)


@pytest.fixture(scope="session")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server with SmolLM2, shared by every LLM test."""
    from .llm_server import llama_server

    with llama_server(tmp_path_factory.mktemp("llama")) as (url, _):
        yield url


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the seeds for tests that change the corpus."""
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def fresh_settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", corpus_dir=corpus_copy)
