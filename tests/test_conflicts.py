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


def test_no_disagreement_is_reported_when_the_gate_doubts_every_side(tmp_path: Path) -> None:
    """A disagreement is two answers to the question: each side must pass the answer gates on
    its own. With gates that accept nothing, the two documents' different places are no
    disagreement and the question is refused; with the fitted gates, the places are shown."""
    import dataclasses

    docs = {
        "report-a.txt": BASE.format(place="Lisbon", day="Monday", length="30-day"),
        "report-b.txt": BASE.format(place="Porto", day="Monday", length="30-day"),
    }
    answer = _ask(tmp_path, docs, WHERE)  # builds the index
    assert "Lisbon" in answer.answer or "Porto" in answer.answer
    assistant = Assistant(Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus"))
    assistant.model = dataclasses.replace(assistant.model, answer_threshold=1.01)
    answer = assistant.ask(WHERE)
    assert answer.refused and not answer.conflict and not answer.citations


# A new user's own documents: a policy and a meeting note that state the allowance in other words,
# and an unrelated manual beside them.
LEAVE_POLICY = (
    "Brightwell Ltd - Annual Leave Policy\n\n"
    "Full-time employees are entitled to 25 days of paid annual leave per calendar year, in addition "
    "to public holidays. Part-time employees receive a pro-rata allowance based on their contracted hours.\n\n"
    "Requests must be made through the HR portal at least two weeks in advance.\n"
)
MEETING_NOTE = (
    "Team meeting, 14 March\n\n"
    "Attendees: Sara Kim, Tom Reyes, Priya Nair\n\n"
    "1. Priya confirmed that from this year everyone on a full-time contract gets 28 days of holiday.\n"
    "2. The office closes early on the Friday before the bank holiday.\n"
    "3. Tom will send round the new cleaning rota.\n"
)
KETTLE = (
    "Kettle K40 - quick start\n\n"
    "Fill the kettle to at least the minimum mark before switching it on. "
    "The kettle switches itself off when the water boils. Descale it every four weeks in hard-water areas.\n"
)


@pytest.mark.xfail(
    strict=True,
    reason="issue 19, open: the fitted disagreement model rates this pair 0.91, under the threshold "
    "(0.993) that keeps false disagreements at or under 1% on every fitting source; both values are shown",
)
def test_two_documents_stating_different_allowances_in_other_words_disagree(tmp_path: Path) -> None:
    docs = {"leave-policy.txt": LEAVE_POLICY, "meeting-note.txt": MEETING_NOTE, "kettle.txt": KETTLE}
    answer = _ask(tmp_path, docs, "How many days of holiday do full-time staff get each year?")
    assert answer.conflict and answer.answer.startswith("The sources disagree:")
    assert "25 days" in answer.answer and "28 days" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"leave-policy.txt", "meeting-note.txt"}


FINALS = {
    "final-2023.txt": (
        "Kestrel Town lift the Harbour Cup\n\n"
        "Kestrel Town won the 2023 Harbour Cup final on Saturday, beating Millbrook Rovers 2-1 at Stennard Park. "
        "Captain Joel Amari scored the winner ten minutes from time in front of 14,000 fans.\n"
    ),
    "final-2022.txt": (
        "Millbrook make it two\n\n"
        "Millbrook Rovers retained the Harbour Cup in 2022 with a 3-0 win over Ashby United. "
        "Their manager, Rosa Lind, called it the best performance of her time at the club.\n"
    ),
}


def test_another_years_final_is_no_disagreement(tmp_path: Path) -> None:
    """Two reports of the same kind of event in different years state different winners: the
    question's year picks one, and nothing disagrees."""
    answer = _ask(tmp_path, FINALS, "Which team won the Harbour Cup in 2023?")
    assert not answer.conflict
    assert "final-2022.txt" not in {c.doc_id for c in answer.citations}


COMMITTEE = {
    "minutes.txt": (
        "Minutes of the safety committee, 2 May\n\n"
        "Ana Lopes was elected chair of the safety committee. Rui Costa was elected as its deputy chair. "
        "The committee will meet every second month.\n"
    ),
    "newsletter.txt": (
        "News from the works council\n\n"
        "Congratulations to Ana Lopes, who now chairs our safety committee after twelve years in the warehouse.\n"
    ),
}


def test_the_deputy_and_the_chair_are_not_two_answers_to_one_question(tmp_path: Path) -> None:
    answer = _ask(tmp_path, COMMITTEE, "Who is the deputy chair of the safety committee?")
    assert not answer.conflict and not answer.refused
    assert "Rui Costa" in answer.answer
