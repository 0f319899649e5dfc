"""Sources that disagree on a value, on made-up documents: each side with its citation; the
same value in other words, or another value in passing, is no disagreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.indexing.ingest import ingest
from assistant.pipeline import Assistant
from assistant.settings import Settings


def _ask(tmp_path: Path, docs: dict[str, str], question: str):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=corpus)
    ingest(settings, progress=False)
    return Assistant(settings).ask(question)


BASE = (
    "Engineers from nine countries came to plan repairs of old canals. "
    "The water summit was held in {place} on {day}, the organisers said.\n\n"
    "The repair plan runs for a {length} period.\n\n"
    "A second meeting is planned for next year.\n"
)


def test_two_places_for_the_same_event_are_shown_with_both_citations(tmp_path: Path) -> None:
    docs = {
        "report-a.txt": BASE.format(place="Lisbon", day="Monday", length="30-day"),
        "report-b.txt": BASE.format(place="Porto", day="Monday", length="30-day"),
    }
    answer = _ask(tmp_path, docs, "Where was the water summit held?")
    assert answer.conflict and answer.answer.startswith("The sources disagree:")
    assert "Lisbon" in answer.answer and "Porto" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"report-a.txt", "report-b.txt"}


WHERE = "Where was the water summit held?"


@pytest.mark.parametrize(
    ("a", "b", "question"),
    [
        ({"place": "Paris"}, {"place": "Paris, France"}, WHERE),  # one name inside the other
        ({"place": "Malmö"}, {"place": "Malmo"}, WHERE),  # accents
        ({"length": "30-day"}, {"length": "thirty-day"}, "How long does the repair plan run?"),  # digits, words
        ({}, {"place": "Lisbon, not in Porto as first planned,"}, WHERE),  # another value in passing
    ],
)
def test_the_same_value_in_other_words_is_no_disagreement(tmp_path: Path, a: dict, b: dict, question: str) -> None:
    base = {"place": "Lisbon", "day": "Monday", "length": "30-day"}
    docs = {"report-a.txt": BASE.format(**{**base, **a}), "report-b.txt": BASE.format(**{**base, **b})}
    answer = _ask(tmp_path, docs, question)
    assert not answer.conflict and not answer.refused
