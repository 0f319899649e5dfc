"""WordNet's antonyms: read from the database format, shipped as a table, used by the gate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.text.analysis import analyse
from assistant.text.antonyms import TABLE, _table, build, licence, opposed, opposites, write

# A WordNet database in miniature: the licence block, then one synset per line
# (offset, lexicographer file, part of speech, word count in hex, words, pointers | gloss).
_LICENCE = "  1 This software and database is provided.  \n  2   \n  3 WordNet Copyright.  \n"
_FILES = {
    "adj": "00000001 00 a 01 early 0 001 ! 00000002 a 0101 | being near the start\n"
    "00000002 00 a 01 late 0 001 ! 00000001 a 0101 | being near the end\n"
    "00000003 00 s 02 earlyish 0 first(a) 0 001 & 00000001 a 0000 | somewhat early\n",
    "verb": "00000010 30 v 02 rise 0 go_up 0 002 ! 00000011 v 0101 ! 00000011 v 0202 | move upward\n"
    "00000011 30 v 02 fall 0 go_down 0 001 ! 00000010 v 0101 | move downward\n",
    "noun": "",
    "adv": "",
}


def _database(tmp_path: Path) -> Path:
    for pos, body in _FILES.items():
        (tmp_path / f"data.{pos}").write_text(_LICENCE + body, encoding="utf-8")
    return tmp_path


def test_pairs_are_read_from_the_database_format(tmp_path: Path) -> None:
    root = _database(tmp_path)
    # one pair per opposition, whichever way WordNet lists it; multi-word lemmas ("go up") left out
    assert build(root) == [("early", "late"), ("fall", "rise")]
    assert licence(root) == ["This software and database is provided.", "", "WordNet Copyright."]


def test_a_written_table_is_plain_json_with_its_licence(tmp_path: Path) -> None:
    import json

    path, count = write(_database(tmp_path), tmp_path / TABLE)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert count == 2 and data["pairs"] == [["early", "late"], ["fall", "rise"]]
    assert data["licence"][-1] == "WordNet Copyright."


def test_opposites_meet_inflected_forms() -> None:
    (earliest,) = analyse("earliest")
    assert analyse("late")[0] in opposites(earliest)
    (accepted,) = analyse("accepted")
    assert analyse("rejected")[0] in opposites(accepted)
    assert opposites(analyse("engine")[0]) == frozenset()


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("When was the earliest engine built?", "The latest engine was built in 1900.", True),
        ("Which offer did the board accept?", "The board rejected the first offer.", True),
        # the word itself is there too: the sentence may say both
        ("When was the earliest engine built?", "The earliest engine, and the latest, were built here.", False),
        # the question asks about both ends
        ("Was the early or the late model faster?", "The late model was faster.", False),
        ("Who built the engine?", "Watt built the engine.", False),
    ],
)
def test_a_sentence_that_states_the_opposite(question: str, text: str, expected: bool) -> None:
    assert opposed(analyse(question), analyse(text)) is expected


def test_the_shipped_table_keeps_the_licence() -> None:
    data = _table()
    assert any("Princeton University" in line for line in data["licence"])  # type: ignore[union-attr]
    assert len(data["pairs"]) > 3000  # type: ignore[arg-type]


WORDNET = Path(os.environ.get("ASSISTANT_WORDNET_DIR", Path(__file__).resolve().parent.parent / ".venv" / "wordnet"))


@pytest.mark.skipif(not (WORDNET / "data.noun").exists(), reason="no WordNet database (`make setup-test` fetches it)")
def test_the_shipped_table_is_what_wordnet_gives(tmp_path: Path) -> None:
    import json

    path, _ = write(WORDNET, tmp_path / TABLE)
    assert json.loads(path.read_text(encoding="utf-8")) == _table()


def test_the_gate_doubts_a_sentence_that_states_the_opposite(tmp_path: Path) -> None:
    """Asked about "the latest engine" of a text that only tells of the earliest, the answerer is
    less sure the documents answer than when the asked word is merely missing ("the cheapest")."""
    from assistant.answering.question import analyse_question
    from assistant.answering.ranking import rank

    from .conftest import assistant_over

    assistant = assistant_over(
        tmp_path,
        {
            "mill.txt": "The mill on the river is the oldest building in the valley.\n\n"
            "The earliest engine in the mill was installed in 1840 by a local smith. "
            "Flour from the mill was sold in three towns.\n"
        },
    )

    def answerable(word: str) -> float:
        question = f"When was the {word} engine installed in the mill?"
        hits = assistant.retriever.search(question, assistant.settings.top_k)
        return rank(assistant.retriever.snapshot, analyse_question(question), hits, assistant.model).margin

    opposite = answerable("latest")
    assert opposite < min(answerable(word) for word in ("cheapest", "heaviest", "noisiest")) < answerable("earliest")
