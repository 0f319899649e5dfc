"""Sources that disagree on a value, on made-up documents: each side with its citation; the
same value in other words, or another value in passing, is no disagreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.pipeline import Assistant
from assistant.settings import Settings

from .conftest import assistant_over


def _ask(tmp_path: Path, docs: dict[str, str], question: str, top_k: int = 6):
    return assistant_over(tmp_path, docs, top_k=top_k).ask(question)


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


def test_three_documents_with_three_values_are_all_shown(tmp_path: Path) -> None:
    docs = {
        f"report-{n}.txt": BASE.format(place=place, day="Monday", length="30-day")
        for n, place in (("a", "Lisbon"), ("b", "Porto"), ("c", "Coimbra"))
    }
    answer = _ask(tmp_path, docs, WHERE)
    assert answer.conflict and all(p in answer.answer for p in ("Lisbon", "Porto", "Coimbra"))
    assert {c.doc_id for c in answer.citations} == set(docs)


def test_the_disagreeing_sentence_is_found_though_it_is_not_its_documents_best(tmp_path: Path) -> None:
    """One document states the place in a long report whose best sentence for the question is
    another one; the other document is a short note. The note's sentence finds its counterpart."""
    long_report = (
        "Where the water summit was held mattered less than what it held back: the water summit held talks.\n\n"
        "The water summit was held to settle where the water summit would be held next year.\n\n"
        "Engineers from nine countries came to plan repairs of old canals. "
        "The water summit was held in Lisbon on Monday, the organisers said.\n\n"
        "Farmers asked the water summit for cheaper water and a summit every year.\n"
    )
    note = "The water summit was held in Porto on Monday, the organisers said.\n"
    answer = _ask(tmp_path, {"report.txt": long_report, "note.txt": note}, WHERE)
    assert answer.conflict and "Lisbon" in answer.answer and "Porto" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"report.txt", "note.txt"}


def test_a_list_item_and_a_sentence_naming_the_same_people_do_not_disagree(tmp_path: Path) -> None:
    """A capitalised word in one ("– Head of") that the other states in lower case is no value."""
    docs = {
        "roster.txt": "The delegation:\nAna Lopes – Head of the national water agency\nRui Costa – Deputy minister\n",
        "report.txt": "Joining Rui Costa in Lisbon are Deputy Minister Paulo Reis and Ana Lopes, "
        "the head of the national water agency.\n",
    }
    answer = _ask(tmp_path, docs, "Who runs the national water agency?")
    assert not answer.conflict and not answer.refused and "Ana Lopes" in answer.answer


def test_the_other_side_is_found_when_the_search_returned_one_passage(tmp_path: Path) -> None:
    """With one passage retrieved, only a second search with the best sentence itself finds the
    other document's version of it."""
    docs = {
        "report-a.txt": BASE.format(place="Lisbon", day="Monday", length="30-day"),
        "report-b.txt": BASE.format(place="Porto", day="Monday", length="30-day"),
    }
    answer = _ask(tmp_path, docs, WHERE, top_k=1)
    assert len(answer.retrieved) == 1
    assert answer.conflict and "Lisbon" in answer.answer and "Porto" in answer.answer


def test_a_value_disagreement_is_reported_even_when_the_gate_doubts_the_answer(tmp_path: Path) -> None:
    """Two documents stating different values in the same sentence answer the question, each
    its own way; the gate decides only what is left. With a gate that refuses everything, the
    value disagreement is still shown and a plain question is still refused."""
    import dataclasses

    docs = {
        "report-a.txt": BASE.format(place="Lisbon", day="Monday", length="30-day"),
        "report-b.txt": BASE.format(place="Porto", day="Monday", length="30-day"),
    }
    _ask(tmp_path, docs, WHERE)  # builds the index
    assistant = Assistant(Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus"))
    assistant.model = dataclasses.replace(assistant.model, answer_threshold=1.01)
    answer = assistant.ask(WHERE)
    assert answer.conflict and "Lisbon" in answer.answer and "Porto" in answer.answer
    assert assistant.ask("When is the second meeting planned?").refused
