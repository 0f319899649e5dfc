"""Text rules on made-up strings: words of any script, names, numbers, negation, lemmas, acronyms."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.question import analyse_question, answer_type
from assistant.text.analysis import analyse
from assistant.text.lemmas import build, table
from assistant.text.names import acronyms, name_runs
from assistant.text.negation import is_negated, polarity
from assistant.text.normalise import words
from assistant.text.quantities import has_date, numbers_in
from assistant.text.scripts import scripts


def test_words_keep_every_script_and_fold_accents() -> None:
    assert words("Gdańsk, Malmö and Толстой's «War»") == ["gdansk", "malmo", "and", "толстои", "war"]


def test_apostrophes_in_words() -> None:
    assert words("The minister’s aide didn't quote O'Neil: 'plan'") == [
        "the", "minister", "aide", "didnt", "quote", "oneil", "plan"
    ]  # fmt: skip
    assert words("No apostrophe here, 2025") == ["no", "apostrophe", "here", "2025"]


def test_irregular_forms_meet_their_lemma() -> None:
    assert analyse("The team was led by her") == ["team", "lead"]
    assert analyse("She leads the team") == ["lead", "team"]
    assert analyse("they met twice") == analyse("they meet twice")
    assert analyse("the mice") == analyse("a mouse")


def test_the_shipped_lemma_table_is_what_simplemma_gives() -> None:
    pytest.importorskip("simplemma")
    assert table() == build()


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("Charles de Gaulle met Ludwig van Beethoven.", ["Charles de Gaulle", "Ludwig van Beethoven"]),
        ("Лев Толстой wrote it in the U.S. capital.", ["Лев Толстой", "U.S."]),
    ],
)
def test_name_runs(text: str, runs: list[str]) -> None:
    assert [r for _, r in name_runs(text)] == runs


def test_numbers_in_words_and_digits_have_one_value() -> None:
    assert numbers_in("a 30-day truce") == numbers_in("thirty days") == [30.0]
    assert numbers_in("1,200 people and 4.5%") == [1200.0, 4.5]
    assert has_date("in April 2022") and has_date("the 10th century") and not has_date("three people")


def test_negation_and_polarity() -> None:
    assert is_negated("She didn't sign it") and not is_negated("She signed it")
    assert polarity("The minister would not attend the summit", {"attend"}) == -1
    assert polarity("The minister is attending", {"attend"}) == 1
    assert polarity("No word about it", {"attend"}) is None


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who chairs the board?", "person"),
        ("In what year was the bridge finished?", "time"),
        ("The museum is in which city?", "place"),
        ("How many members does the club have?", "quantity"),
        ("Why did the plant close?", "reason"),
        ("Did the council approve it?", "yesno"),
        ("What did the report recommend?", "thing"),
    ],
)
def test_answer_types(question: str, kind: str) -> None:
    assert answer_type(question) == kind


def test_question_analysis_keeps_names_and_settings_apart() -> None:
    info = analyse_question("Did Jane Smith attend the meeting in Geneva?")
    assert info.names == ["jane", "smith", "geneva"] and info.setting == ["geneva"]
    assert not info.negated and analyse_question("Who did not attend?").negated


def test_acronyms_match_their_expansion_either_way() -> None:
    assert "eu" in acronyms("The European Union adopted it.")
    assert "un" in acronyms("a United Nations mission")


def test_scripts() -> None:
    assert scripts("Кто это?") == {"CYRILLIC"} and scripts("Who?") == {"LATIN"}
    assert scripts("123 ?!") == set()


def test_word_vectors_stay_right_when_the_cache_fills(monkeypatch) -> None:
    """The word-vector cache is emptied when full; a call that fills it mid-way still gets a
    vector for every word (it once lost the words cached before the emptying: a KeyError)."""
    from assistant.text import embedding

    monkeypatch.setattr(embedding, "MAX_CACHED_WORDS", 3)
    model = embedding.StaticEmbedder()
    first = model.words(["treaty", "signed", "river", "valley"])
    both = model.words(["treaty", "harbour", "signed", "mountain", "river"])
    assert both.shape == (5, model.dim)
    fresh = embedding.StaticEmbedder().words(["treaty", "harbour", "signed", "mountain", "river"])
    assert np.allclose(both, fresh) and np.allclose(first[:3], both[[0, 2, 4]])


@pytest.mark.parametrize(
    "question",
    [
        "این سند چه می\u200cگوید؟",
        "क्\u200dष क्या है?",
        "Who sent 👨\u200d👩\u200d👧 to the talks?",
        "Who ran 🏃🏽\u200d♀️ here?",
    ],
)
def test_joiners_are_accepted_where_a_script_uses_them(question: str) -> None:
    from assistant.inputs import validate_question

    assert validate_question(question, 1000) == question


@pytest.mark.parametrize(
    "question",
    ["Who le\u200cads the team?", "\u200dWho leads?", "Who leads?\u200c", "Who \u200d leads?", "Who\u200b leads?"],
)
def test_joiners_that_only_hide_text_are_refused(question: str) -> None:
    from assistant.errors import InvalidQuestion
    from assistant.inputs import validate_question

    with pytest.raises(InvalidQuestion, match="invisible character"):
        validate_question(question, 1000)


def test_full_width_and_ligature_questions_are_folded() -> None:
    from assistant.inputs import validate_question

    assert validate_question("Ｗｈｏ ｌｅａｄｓ the ﬁrst team？", 1000) == "Who leads the first team?"
