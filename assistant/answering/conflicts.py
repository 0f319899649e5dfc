"""Disagreements between documents on the point asked.

Two sentences from different documents, both chosen as answers, that take opposite polarity on
the question's predicate ("is attending" / "would not be attending") make a disagreement; the
answer then shows both sides with their citations instead of picking one.
"""

from __future__ import annotations

from ..indexing.snapshot import Snapshot
from ..text.negation import polarity
from .candidates import Candidate
from .question import QuestionInfo


def find_conflict(snapshot: Snapshot, info: QuestionInfo, chosen: list[Candidate]) -> list[Candidate] | None:
    """The two sides of a polarity disagreement among ``chosen``, or None."""
    names = set(info.names)
    predicate = {t for t in info.content_terms if t not in names}
    if not predicate:
        return None
    subject = names - set(info.setting)  # "a meeting in Geneva": the place is a setting, not the subject
    about = [c for c in chosen if subject <= (set(c.terms) | c.context.names)]
    signed = [(c, polarity(c.span.text, predicate)) for c in about]
    for i, (a, pa) in enumerate(signed):
        for b, pb in signed[i + 1 :]:
            if pa and pb and pa != pb and a.doc_id != b.doc_id:
                return [a, b]
    return None
