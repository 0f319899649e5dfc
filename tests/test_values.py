"""Values a sentence states and the qualifiers a question sets: what the answer-type check, the
extra-sentence test and the disagreement check read."""

from __future__ import annotations

import pytest

from assistant.answering.question import REQUIRED_KIND, answer_type
from assistant.answering.values import clashes, holds, qualifiers, same_value, values
from assistant.text.names import names


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the population of Tarvel?", "number"),
        ("How old was the mayor when she was elected?", "number"),
        ("What was the price of the ticket?", "number"),
        ("When was the bridge opened?", "time"),
        ("In what year did the museum close?", "time"),
        ("Who designed the bridge?", "name"),
        ("Where was the treaty signed?", "name"),
        ("Why did the bridge close?", None),
    ],
)
def test_a_question_names_the_kind_of_value_its_answer_must_state(question: str, kind: str | None) -> None:
    assert REQUIRED_KIND.get(answer_type(question)) == kind


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("The bridge opened in 1931 after four years of work.", "time", True),
        ("The office opens at 9 am on weekdays.", "time", True),
        ("Two weeks later the ferry service resumed.", "time", True),
        ("The bridge was opened by the mayor.", "time", False),
        ("It carries thirty thousand cars a day.", "number", True),
        ("It carries many cars a day.", "number", False),
        ("However, the bridge was closed for repairs.", "name", False),  # a capitalised opener is no name
        ("The bridge was designed by Ana Ferreira.", "name", True),
    ],
)
def test_a_sentence_holds_a_value_of_a_kind_or_not(text: str, kind: str, expected: bool) -> None:
    assert holds(text, kind) is expected


def test_a_name_the_question_already_has_is_no_answer_to_it() -> None:
    asked = frozenset({"ferreira", "ana"})
    assert not holds("Ana Ferreira was there.", "name", asked)
    assert holds("Ana Ferreira met Rui Costa.", "name", asked)


def test_names_less_a_capitalised_opener() -> None:
    assert [run for _, run in names("Meanwhile, Porto voted.")] == ["Porto"]
    assert [run for _, run in names("Italy voted.")] == ["Italy"]  # a name that opens a sentence stays one


@pytest.mark.parametrize(
    ("question", "text", "clash"),
    [
        ("Who won the final in 2021?", "In 2019, Ferrant won the final.", True),
        ("Who won the final in 2021?", "Ferrant won the 2021 final, as in 2019.", False),  # states the asked year too
        ("Who won the final in 2021?", "Ferrant won the final.", False),  # states no year: no clash
        ("Who came second in the race?", "Costa finished third.", True),
        ("Who came second in the race?", "Costa finished second, ahead of Reis.", False),
        ("Who finished the race?", "Costa finished third in 2019.", False),  # the question sets nothing
    ],
)
def test_a_sentence_about_another_year_or_place_clashes_with_the_question(
    question: str, text: str, clash: bool
) -> None:
    assert clashes(qualifiers(question), text) is clash


def test_one_value_in_other_writings_is_the_same_value() -> None:
    (_, thirty), *_ = values("a thirty-day truce", "number")
    (_, digits), *_ = values("a 30-day truce", "number")
    assert same_value(thirty, digits)
    (_, short), *_ = values("held in Porto", "name")
    (_, long), *_ = values("held in Porto, Portugal", "name")
    assert same_value(short, long)
