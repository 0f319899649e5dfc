"""An ingest does not read a file whose stat is as the last ingest saw it
(`assistant/indexing/seen.py`), and still notices every change a user can make."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.indexing import corpus, seen
from assistant.indexing.ingest import ingest
from assistant.settings import Settings

from .conftest import DOC_A, DOC_B


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the documents each ingest reads from disk."""
    done: list[str] = []
    real = corpus.read

    def counted(source: corpus.Source) -> object:
        done.append(source.doc_id)
        return real(source)

    monkeypatch.setattr(corpus, "read", counted)
    return done


def test_unchanged_files_are_not_read_again(
    fresh_settings: Settings, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seen, "SETTLED", 0.0)  # the copies were just written
    ingest(fresh_settings, progress=False)
    assert sorted(reads) == [DOC_A, DOC_B]
    reads.clear()
    again = ingest(fresh_settings, progress=False)
    assert reads == [] and sorted(again.unchanged) == [DOC_A, DOC_B] and not again.changed


def test_a_file_written_just_before_its_read_is_read_again(fresh_settings: Settings, reads: list[str]) -> None:
    """Written in the same clock tick as a read, a file could change again without its stat
    changing: its stat is trusted only once it is older than the read by `SETTLED` seconds."""
    ingest(fresh_settings, progress=False)  # the copies are fresh: nothing is settled
    reads.clear()
    ingest(fresh_settings, progress=False)
    assert sorted(reads) == [DOC_A, DOC_B]


def test_a_rewrite_that_keeps_size_and_modification_time_is_noticed(
    fresh_settings: Settings, corpus_copy: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cp -p`, `rsync -t` and archive tools set the modification time back; the change time
    cannot be set back, so the file is read again."""
    monkeypatch.setattr(seen, "SETTLED", 0.0)
    ingest(fresh_settings, progress=False)
    path = corpus_copy / DOC_A
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    swapped = text.replace("a", "e", 1)
    assert swapped != text and len(swapped.encode()) == len(text.encode())
    path.write_text(swapped, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    reads.clear()
    report = ingest(fresh_settings, progress=False)
    assert DOC_A in reads and report.updated == [DOC_A] and report.unchanged == [DOC_B]


def test_a_new_or_changed_sidecar_is_noticed(
    fresh_settings: Settings, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seen, "SETTLED", 0.0)
    ingest(fresh_settings, progress=False)
    sidecar = corpus_copy / (DOC_B + corpus.SIDECAR_SUFFIX)
    sidecar.write_text(json.dumps({"title": "A title given later"}), encoding="utf-8")
    assert ingest(fresh_settings, progress=False).updated == [DOC_B]
    sidecar.write_text(json.dumps({"title": "A title given later, then changed"}), encoding="utf-8")
    assert ingest(fresh_settings, progress=False).updated == [DOC_B]
    sidecar.unlink()
    assert ingest(fresh_settings, progress=False).updated == [DOC_B]


def test_a_lost_or_damaged_record_only_means_reading_everything(
    fresh_settings: Settings, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seen, "SETTLED", 0.0)
    ingest(fresh_settings, progress=False)
    record = Path(fresh_settings.index_dir) / seen.FILE
    for damage in ('{"version": 1, "files": {"x": 3}}', "not json", None):
        if damage is None:
            record.unlink()
        else:
            record.write_text(damage, encoding="utf-8")
        reads.clear()
        report = ingest(fresh_settings, progress=False)
        assert sorted(reads) == [DOC_A, DOC_B] and not report.changed
