"""The offline answerer: a short answer made of the document sentences that answer the question.

No model writes anything, so nothing can be invented: every sentence shown is a verbatim span
of a document, followed by its citation marker. Whether to answer at all, and which sentences
to show, are decided by the fitted ranker and gate (:mod:`ranking`); this module only puts the
chosen sentences together, reports a disagreement between documents, and cites.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..indexing.snapshot import Snapshot
from .candidates import Candidate
from .citations import CitationList
from .composed import CONFLICT_LEAD, Composed, refusal
from .conflicts import find_conflict
from .model import Model
from .ranking import Ranked

_CONNECTIVE = re.compile(
    r"^(however|nevertheless|nonetheless|meanwhile|moreover|furthermore|but|and|so|still)\b,?\s+", re.I
)
_PRONOUN_OPENER = re.compile(r"^[\"“‘']?(he|she|they|it|his|her|their|its)\b", re.I)


def compose(
    snapshot: Snapshot, ranked: Ranked, model: Model, max_sentences: int, second_look: Sequence[Candidate] = ()
) -> Composed:
    """The sides of a disagreement when documents state different values (or, for a question
    the gate lets through, opposite polarity); else a refusal when the gate says the documents
    do not answer; else the answer. ``second_look``: sentences of passages found by searching
    with the best sentence itself, near-copies that may state another value."""
    if ranked.best is None:
        return refusal()
    citations = CitationList(snapshot)
    # Two documents stating different values in one sentence answer the question, each its own
    # way, even when the gate doubts either does; a polarity difference is weaker evidence and
    # is reported only for a question the gate lets through.
    answerable = ranked.answerable >= model.answer_threshold
    conflict = find_conflict(
        snapshot, ranked.info, ranked.candidates, model.conflict_score, second_look, polarity=answerable
    )
    if conflict:
        return Composed(f"{CONFLICT_LEAD} " + _join(citations, conflict), citations.all, False, True)
    if not answerable:
        return refusal()
    chosen = choose(ranked, model, max_sentences)
    return Composed(_join(citations, chosen), citations.all, False, False)


def choose(ranked: Ranked, model: Model, max_sentences: int) -> list[Candidate]:
    """The best sentence, then further ones the ranker rates likely enough to hold the answer."""
    chosen: list[Candidate] = []
    for cand in ranked.candidates:
        if len(chosen) >= max_sentences or (chosen and cand.score < model.extra_sentence):
            break
        if not any(_overlaps(cand, c) for c in chosen):
            chosen.append(cand)
    return chosen


def _join(citations: CitationList, chosen: Sequence[Candidate]) -> str:
    """The chosen sentences as shown, a sentence shown as the antecedent of a "he" sentence not
    shown again, and the other way round."""
    shown: set[tuple[str, int]] = set()
    return " ".join(part for cand in chosen if (part := _sentence(citations, cand, shown)))


def _sentence(citations: CitationList, cand: Candidate, shown: set[tuple[str, int]]) -> str:
    """The candidate as shown: its antecedent first when it opens with a bare pronoun, and the
    items that follow when it introduces a list ("The team includes:"). ``shown``: the
    (document, start) of sentences already in the answer; updated."""
    out = []
    opener = _CONNECTIVE.sub("", cand.span.text, count=1)  # "However, he said": the pronoun opens it
    before = cand.context.antecedent
    if before is not None and _PRONOUN_OPENER.match(opener) and (cand.doc_id, before.start) not in shown:
        shown.add((cand.doc_id, before.start))
        out.append(_quote(citations, cand, before.start, before.end))
    if (cand.doc_id, cand.span.start) in shown:
        return " ".join(out)
    shown.add((cand.doc_id, cand.span.start))
    end = cand.span.end
    if cand.span.text.endswith(":"):
        end = _list_end(citations.snapshot.texts[cand.doc_id], cand.span.end)
    out.append(_quote(citations, cand, cand.span.start, end))
    return " ".join(out)


def _list_end(text: str, after: int, max_items: int = 12) -> int:
    """Where the list introduced at ``after`` ends: short lines without a closing period."""
    end = after
    pos = after
    for _ in range(max_items):
        m = re.match(r"\s*\n+([^\n]+)", text[pos:])
        if not m:
            break
        line = m.group(1).strip()
        if len(line) > 160 or line.endswith((".", "?", "!", ":")):
            break
        end = pos + m.end()
        pos = end
    return end


def _quote(citations: CitationList, cand: Candidate, start: int, end: int) -> str:
    text = citations.snapshot.texts[cand.doc_id][start:end]
    m = _CONNECTIVE.match(text)
    if m and len(text) - m.end() > 20:
        start += m.end()
        text = text[m.end() :]
    citation = citations.cite(cand.chunk, start, end)
    if "\n" in text:  # a list: one line, items separated by semicolons
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        text = lines[0] + " " + "; ".join(lines[1:]) + "."
    shown = text[0].upper() + text[1:]
    return f"{shown} [{citation.n}]"


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """The same span, or nearly the same sentence (one article quoting another)."""
    if a.doc_id == b.doc_id and a.span.start < b.span.end and b.span.start < a.span.end:
        return True
    ta, tb = set(a.terms), set(b.terms)
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.8
