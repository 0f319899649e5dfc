"""The offline answerer: composes a short answer from the sentences that answer the question.

No model is involved, so it cannot invent anything: every sentence it shows is a verbatim
span of a document, followed by its citation marker. It refuses when the best evidence does
not cover the question, and says so when two documents disagree on the point asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..indexing.snapshot import Snapshot
from ..models import Citation
from ..text.analysis import analyse
from ..text.negation import polarity
from .citations import CitationList
from .evidence import EQUIVALENTS, Candidate, idf, in_corpus
from .question import QuestionInfo

REFUSAL = "The documents don't say. Nothing in the indexed articles answers this question."
OFF_LIMITS = (
    "I can only answer questions about the indexed documents, and this request isn't one. "
    "Ask a question about the articles instead."
)
CONFLICT_LEAD = "The sources disagree:"

MIN_COVERAGE = 0.55
RARE_NAME_IDF = 2.0
KEEP_RATIO = 0.8
CONFLICT_RATIO = 0.6
CONFLICT_COVERAGE = 0.45
_CONNECTIVE = re.compile(
    r"^(however|nevertheless|nonetheless|meanwhile|moreover|furthermore|but|and|so|still)\b,?\s+", re.I
)


@dataclass
class Composed:
    """The answer text and what it cites."""

    text: str
    citations: list[Citation]
    refused: bool
    conflict: bool


def answerable(info: QuestionInfo, best: Candidate | None, snapshot: Snapshot | None = None) -> bool:
    """Whether the best sentence covers enough of the question, including every name in it.

    A question word that appears nowhere in the corpus, and that the sentence does not match
    through an equivalent either ("Who *funds* the Kyiv Post?"), means the documents are not
    about what is asked, however well the rest matches.
    """
    if best is None or best.coverage < MIN_COVERAGE or best.names_covered < 1.0:
        return False
    if snapshot is not None:
        unknown = [t for t in info.content_terms if not in_corpus(snapshot, t) and t not in best.matched]
        if unknown:
            return False
    return True


def _addresses(cand: Candidate) -> bool:
    """Loose enough to catch the other side of a disagreement, which often words things apart."""
    return cand.names_covered >= 1.0 and cand.coverage >= CONFLICT_COVERAGE


def compose(snapshot: Snapshot, info: QuestionInfo, ranked: list[Candidate], max_sentences: int) -> Composed:
    if not ranked or not answerable(info, ranked[0], snapshot):
        return Composed(REFUSAL, [], True, False)
    top = ranked[0]
    eligible = [c for c in ranked if answerable(info, c) and c.score >= KEEP_RATIO * top.score]
    citations = CitationList(snapshot)
    disagreement = _conflict(info, [c for c in ranked if _addresses(c) and c.score >= CONFLICT_RATIO * top.score])
    if disagreement:
        first, second = disagreement
        parts = [_sentence(citations, first), _sentence(citations, second)]
        return Composed(f"{CONFLICT_LEAD} " + " ".join(parts), citations.all, False, True)
    chosen = [top]
    for cand in eligible[1:]:
        if len(chosen) >= max_sentences:
            break
        if any(_overlaps(cand, c) for c in chosen):
            continue
        adds_terms = cand.matched - set().union(*(c.matched for c in chosen))
        corroborates = cand.doc_id not in {c.doc_id for c in chosen} and bool(
            _answer_names(snapshot, info, top) & cand.names
        )
        lists_more = info.kind in ("list", "who") and cand.type_match > 0 and cand.coverage >= top.coverage
        if adds_terms or corroborates or lists_more:
            chosen.append(cand)
    parts = [_sentence(citations, c) for c in chosen]
    return Composed(" ".join(parts), citations.all, False, False)


def _sentence(citations: CitationList, cand: Candidate) -> str:
    """The candidate as shown: its antecedent first when it opens with a bare pronoun, and the
    items that follow when it introduces a list ("The team includes:")."""
    out = []
    head = cand.span.text.split()[:3]
    if cand.antecedent is not None and any(w.lower().strip(",") in ("he", "she", "they") for w in head):
        out.append(_quote(citations, cand, cand.antecedent.start, cand.antecedent.end))
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


def _answer_names(snapshot: Snapshot, info: QuestionInfo, cand: Candidate) -> set[str]:
    """Distinctive names in a sentence that the question did not bring: the answer's subject."""
    return {n for n in cand.names - set(info.terms) if idf(snapshot, n) >= RARE_NAME_IDF}


def _overlaps(a: Candidate, b: Candidate) -> bool:
    if a.doc_id == b.doc_id and a.span.start < b.span.end and b.span.start < a.span.end:
        return True
    ta, tb = a.terms, b.terms
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.7


def _conflict(info: QuestionInfo, pool: list[Candidate]) -> tuple[Candidate, Candidate] | None:
    """Two documents, one saying the asked-about thing happens and one saying it does not."""
    names = set(analyse(" ".join(info.names)))
    predicate: set[str] = set()
    for term in info.content_terms:
        if term not in names:
            predicate |= {term} | EQUIVALENTS.get(term, frozenset())
    if not predicate:
        return None
    signed = [(c, polarity(c.span.text, predicate)) for c in pool[:6]]
    for i, (a, pa) in enumerate(signed):
        for b, pb in signed[i + 1 :]:
            if pa and pb and pa != pb and a.doc_id != b.doc_id:
                return a, b
    return None
