"""The claim check on drafts written here, about documents written here: what a user of an
LLM backend sees for each kind of sentence a model writes. (The real server's drafts are in
test_llm.py; the held-out figures per kind are the claims-* eval suites.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering import check
from assistant.answering.composed import UNCONFIRMED_LABEL, Composed
from assistant.answering.generative import parse_verdicts
from assistant.answering.verify import render_sentences, verify
from assistant.models import Chunk
from assistant.pipeline import Assistant

from .conftest import assistant_over

LIBRARY = (
    "The Hartwell Public Library reopened on 14 March 2023 after an eighteen-month renovation.\n\n"
    "The work cost 4.2 million euros and was paid for by the regional council. "
    "Head librarian Maria Okafor said the new reading room seats 120 people. "
    "The library did not add parking spaces, citing the town's plan to reduce car traffic.\n"
)
BUDGET = (
    "The council's 2024 budget sets aside 900,000 euros for the swimming pool in Dunmore. "
    "Deputy Finance Director Paul Renshaw presented the plan to the council on Tuesday.\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assistant, list[Chunk]]:
    assistant = assistant_over(tmp_path_factory.mktemp("check"), {"library.txt": LIBRARY, "budget.txt": BUDGET})
    snap = assistant.retriever.snapshot
    chunks = sorted(snap.chunks, key=lambda c: (c.doc_id != "library.txt", c.start))
    return assistant, chunks


def _statuses(corpus: tuple[Assistant, list[Chunk]], draft: str, max_sentences: int = 3):
    assistant, chunks = corpus
    checked = verify(assistant.retriever.snapshot, draft, chunks, max_sentences)
    return checked, {k.text: k.status for k in checked.kept}, {d["sentence"]: d["reason"] for d in checked.dropped}


def _n(corpus: tuple[Assistant, list[Chunk]], doc: str, words: str) -> int:
    return next(i for i, c in enumerate(corpus[1], 1) if c.doc_id == doc and words in c.text)


def test_a_copied_sentence_is_confirmed_and_cited_exactly(corpus) -> None:
    n = _n(corpus, "library.txt", "reading room")
    checked, kept, _ = _statuses(
        corpus, f"Head librarian Maria Okafor said the new reading room seats 120 people [{n}]."
    )
    assert list(kept.values()) == ["confirmed"]
    _, citations, sentences = render_sentences(corpus[0].retriever.snapshot, checked, corpus[1])
    assert citations[0].quote == "Head librarian Maria Okafor said the new reading room seats 120 people."
    assert sentences[0]["status"] == "confirmed" and sentences[0]["citations"] == [1]


def test_a_loose_paraphrase_is_shown_but_marked_not_confirmed(corpus) -> None:
    """Nothing in it is wrong, but the passage words it too differently to confirm: shown, marked,
    and cited to the closest sentence of the passage."""
    n = _n(corpus, "library.txt", "reading room")
    draft = f"Maria Okafor, who runs the library, said its new reading room has space for 120 people [{n}]."
    checked, kept, dropped = _statuses(corpus, draft)
    assert not dropped, dropped
    assert list(kept.values()) == ["unconfirmed"]
    assert checked.kept[0].reason  # says why
    _, citations, sentences = render_sentences(corpus[0].retriever.snapshot, checked, corpus[1])
    assert "reading room seats 120" in citations[0].quote and sentences[0]["status"] == "unconfirmed"


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        ("The renovation cost 6.5 million euros.", "the passage states another number than '6.5'"),
        ("The library reopened in March 2021 after its renovation.", "the passage states another date than '2021'"),
        ("Head librarian Joan Whitaker said the reading room seats 120 people.", "Joan Whitaker"),
        ("The library added parking spaces as part of the work.", "negation"),
        ("The library reopened in Dunmore after the renovation.", "Dunmore"),
    ],
)
def test_a_wrong_value_or_polarity_is_dropped(corpus, claim: str, reason: str) -> None:
    n = _n(corpus, "library.txt", "reading room")
    _, kept, dropped = _statuses(corpus, f"{claim[:-1]} [{n}].")
    assert not kept
    assert reason in next(iter(dropped.values()))


def test_a_title_given_to_the_wrong_person_is_dropped(corpus) -> None:
    n = _n(corpus, "budget.txt", "Renshaw")
    _, kept, dropped = _statuses(corpus, f"Deputy Planning Director Paul Renshaw presented the plan [{n}].")
    assert not kept and "another title" in next(iter(dropped.values()))


def test_a_citation_to_a_passage_about_something_else_is_dropped(corpus) -> None:
    n = _n(corpus, "budget.txt", "swimming pool")
    _, kept, dropped = _statuses(corpus, f"The new reading room of the library seats many people [{n}].")
    assert not kept and dropped


def test_questions_repeats_and_sentences_past_the_cap_are_not_answer_sentences(corpus) -> None:
    n = _n(corpus, "library.txt", "reading room")
    draft = (
        f"What did Maria Okafor say? Head librarian Maria Okafor said the new reading room seats 120 people [{n}]. "
        f"Head librarian Maria Okafor said the new reading room seats 120 people [{n}]. "
        f"The work cost 4.2 million euros [{n}]. The regional council paid for the work [{n}]. "
        f"The library did not add parking spaces [{n}]."
    )
    checked, _, dropped = _statuses(corpus, draft, max_sentences=3)
    assert len(checked.kept) == 3
    assert dropped["What did Maria Okafor say?"] == "a question, not an answer"
    assert "repeats an earlier sentence" in dropped.values()
    assert dropped["The library did not add parking spaces."] == "past the answer's sentence cap"


def test_the_second_readers_reply_is_read_leniently() -> None:
    assert parse_verdicts('{"1": "supported", "2": "contradicted", "3": "not stated"}', 3) == [
        "supported",
        "contradicted",
        "not stated",
    ]
    assert parse_verdicts('Sure! {"2": "Supported"}', 2) == [None, "supported"]
    assert parse_verdicts("Statement 1 is true.", 1) == [None]  # not JSON: nothing changes
    assert parse_verdicts('{"1": "maybe", "7": "supported"}', 2) == [None, None]


def test_the_check_reads_its_thresholds_from_the_fitted_file() -> None:
    limits = check.thresholds()
    assert 0 < limits.related < limits.confirm <= 1
    assert limits.meta["command"] == "assistant fit --claims"
    assert check.Reading(limits.confirm, None).status(limits) == check.CONFIRMED
    assert check.Reading(limits.confirm, None, "a doubt").status(limits) == check.UNCONFIRMED
    assert check.Reading((limits.confirm + limits.related) / 2, None).status(limits) == check.UNCONFIRMED
    assert check.Reading(limits.related / 2, None).status(limits) is None
    assert check.Reading(1.0, "another number").status(limits) is None


def test_an_unconfirmed_sentence_is_marked_in_the_page_and_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import _print_answer
    from assistant.models import Answer
    from assistant.web.render import answer_html

    sentences = [
        {"text": "The library reopened in 2023. [1]", "status": "confirmed", "reason": None, "citations": [1]},
        {"text": "It is the town's busiest building. [2]", "status": "unconfirmed", "reason": "x", "citations": [2]},
    ]
    text = " ".join(s["text"] for s in sentences)
    html = answer_html({"answer": text, "refused": False, "conflict": False, "sentences": sentences}, 0)
    assert (
        f'busiest building. <a class="cite" href="#src-0-2">[2]</a><span class="status"> ({UNCONFIRMED_LABEL})' in html
    )
    assert html.count('class="unconfirmed"') == 1 and "reopened in 2023" not in html.split('class="unconfirmed"')[1]
    answer = Answer("q", text, False, [], False, [], "openai", {}, sentences=sentences)
    _print_answer(answer)
    assert f"busiest building. [2] ({UNCONFIRMED_LABEL})" in capsys.readouterr().out


def test_an_extractive_answer_is_confirmed_sentence_by_sentence() -> None:
    composed = Composed("The library reopened in 2023. [1] It cost 4.2 million euros. [1][2]", [], False, False)
    assert [(s["text"], s["status"], s["citations"]) for s in composed.statuses()] == [
        ("The library reopened in 2023. [1]", "confirmed", [1]),
        ("It cost 4.2 million euros. [1][2]", "confirmed", [1, 2]),
    ]
    assert Composed("The documents don't say.", [], True, False).statuses() == []


def test_fitting_is_reproducible_from_the_fitting_half(tmp_path: Path) -> None:
    """``assistant fit --claims`` writes the shipped thresholds again, from the fitting half only."""
    import json

    from assistant.evals.claim_fit import fit
    from assistant.settings import Settings

    out = tmp_path / "claim_check.json"
    limits = fit(Settings(), out=open(tmp_path / "log.txt", "w"), write=out)  # noqa: SIM115
    shipped = check.thresholds()
    assert (round(limits.confirm, 4), round(limits.related, 4)) == (shipped.confirm, shipped.related)
    assert json.loads(out.read_text())["meta"]["data"].startswith("fitting halves")
