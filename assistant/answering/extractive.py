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
from .question import REQUIRED_KIND
from .ranking import Ranked, shows
from .values import holds

_CONNECTIVE = re.compile(
    r"^(however|nevertheless|nonetheless|meanwhile|moreover|furthermore|but|and|so|still)\b,?\s+", re.I
)
MORE_CANDIDATES = 8  # the best sentences that may be shown; further down, none answers
_PRONOUN_OPENER = re.compile(r"^[\"“‘']?(he|she|they|it|his|her|their|its)\b", re.I)


def compose(
    snapshot: Snapshot, ranked: Ranked, model: Model, max_sentences: int, first_search: int | None = None
) -> Composed:
    """The sides of a disagreement when two documents each answer the question, differently;
    else a refusal when the gate says the documents do not answer, or when no sentence to show
    states the kind of value asked for; else the answer. ``first_search``: how many of the
    ranked candidates the question's own search found (the rest came from a second search with
    the best sentence, and are only ever the other side of a disagreement)."""
    if ranked.best is None:
        return refusal()
    citations = CitationList(snapshot)
    conflict = find_conflict(ranked, model, first_search)
    if conflict:
        sides = conflict[: max(2, max_sentences)]
        return Composed(f"{CONFLICT_LEAD} " + _join(citations, sides), citations.all, False, True)
    if not ranked.answerable:
        return refusal()
    chosen = choose(ranked, model, max_sentences, first_search, snapshot)
    if not chosen:
        return refusal()
    return Composed(_join(citations, chosen), citations.all, False, False)


def choose(
    ranked: Ranked,
    model: Model,
    max_sentences: int,
    first_search: int | None = None,
    snapshot: Snapshot | None = None,
) -> list[Candidate]:
    """The best sentence, then further ones that pass the same kind of test (:func:`ranking.shows`:
    the fitted model of whether a further sentence answers too). A question asking for a number,
    a time, a person or a place gets only sentences that state one (in what is shown of them:
    the list a sentence introduces counts, with ``snapshot``); none at all means no answer."""
    wanted = REQUIRED_KIND.get(ranked.info.answer_type)
    asked = frozenset(ranked.info.terms)
    limit = min(len(ranked.candidates) if first_search is None else first_search, MORE_CANDIDATES)
    chosen: list[Candidate] = []
    used = 0  # sentences shown so far, the antecedents a "he" sentence brings along included
    for i, cand in enumerate(ranked.candidates[:limit]):
        if used >= max_sentences:
            break
        if any(_overlaps(cand, c) for c in chosen) or (wanted and not holds(_shown(snapshot, cand), wanted, asked)):
            continue
        cost = 1 + _brings_antecedent(cand, chosen)
        if chosen and used + cost > max_sentences:
            continue  # the cap holds: the best sentence alone may bring its antecedent past it
        if i == 0 or shows(ranked, i, model):
            chosen.append(cand)
            used += cost
    return chosen


def _brings_antecedent(cand: Candidate, chosen: list[Candidate]) -> bool:
    """Whether showing ``cand`` also shows the sentence its opening pronoun leans on."""
    before = cand.context.antecedent
    if before is None or not _PRONOUN_OPENER.match(_CONNECTIVE.sub("", cand.span.text, count=1)):
        return False
    return not any(c.doc_id == cand.doc_id and c.span.start == before.start for c in chosen)


def _shown(snapshot: Snapshot | None, cand: Candidate) -> str:
    """The sentence with the list it introduces, as :func:`_sentence` shows it."""
    if snapshot is None or not cand.span.text.endswith(":"):
        return cand.span.text
    text = snapshot.texts[cand.doc_id]
    return text[cand.span.start : _list_end(text, cand.span.end)]


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
