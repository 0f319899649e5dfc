"""Checking an LLM's answer against the passages it cites, offline.

The answer is split into sentences; each ``[n]`` is mapped to the passage it names and
markers naming no passage are removed. Every sentence is then read against the sentences of
its cited passages (:mod:`check`): a contradiction (a value the passage does not state or
states otherwise, a flipped negation or opposite) or a citation to a passage about something
else drops it; weak support leaves it shown but marked ``unconfirmed``. Questions, repeated
sentences and sentences past the answer's cap are not answer sentences. The citations
returned point at the exact closest sentence(s) of the passage, with the same offset
guarantee as the extractive answerer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..indexing.snapshot import Snapshot
from ..models import Chunk, Citation
from ..text.analysis import analyse
from ..text.negation import is_negated
from ..text.normalise import words
from ..text.sentences import Span
from . import addressed, check
from .candidates import lead_in, names_in, sentence_context, sentences_of
from .citations import MARKER, CitationList, answer_sentences

_NUMBER = re.compile(r"\d[\d,.]*")
# "The sources disagree: one source says ..." carries nothing to check on either side.
_LEAD = re.compile(r"^(?:the\s+)?(?:sources|documents|articles|passages)\s+disagree\s*:?\s*", re.I)
_REFUSAL = re.compile(
    r"(documents?|sources?|articles?|passages?)\s+(don'?t|do not|does not|doesn'?t)\s+(say|mention|contain|answer|"
    r"provide|include)|no information|cannot answer|can't answer|not mentioned|not provided",
    re.I,
)


@dataclass
class Checked:
    """One shown sentence of the model's answer after checking."""

    text: str
    sources: list[int]
    support: float
    status: str  # check.CONFIRMED or check.UNCONFIRMED
    reason: str | None = None  # why it is not confirmed
    quotes: list[tuple[int, int, int]] = field(default_factory=list)  # (source n, start, end)


@dataclass
class Verification:
    kept: list[Checked]
    dropped: list[dict[str, Any]]
    removed_markers: list[int]
    second_reader: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        limits = check.thresholds()
        return {
            "policy": "contradicted or citing something else: dropped; weakly supported: shown as unconfirmed",
            "thresholds": {"confirm": limits.confirm, "related": limits.related},
            "kept": [
                {"sentence": k.text, "status": k.status, "support": round(k.support, 3), "reason": k.reason}
                for k in self.kept
            ],
            "dropped": self.dropped,
            "removed_markers": self.removed_markers,
            "second_reader": self.second_reader,
        }

    def counts(self) -> dict[str, int]:
        return {
            "confirmed": sum(k.status == check.CONFIRMED for k in self.kept),
            "unconfirmed": sum(k.status == check.UNCONFIRMED for k in self.kept),
            "dropped": len(self.dropped),
        }


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text)) and not MARKER.search(text)


def evidence_units(snapshot: Snapshot, chunk: Chunk) -> list[tuple[Span, set[str]]]:
    """The sentences of a passage, each with the names it borrows from the sentence before."""
    spans = sentences_of(snapshot, chunk.doc_id)
    return [(spans[i], sentence_context(spans, i).names) for i in spans.overlapping(chunk.start, chunk.end)]


def _run(snapshot: Snapshot, doc_id: str, span: Span) -> list[str]:
    """A cited sentence and the ones before it in its paragraph, whose instruction it may carry."""
    spans = sentences_of(snapshot, doc_id)
    index = spans.at(span.start)
    return [span.text, *(s.text for s in lead_in(spans, index, addressed.REACH))]


INSTRUCTED = "its passage is an instruction to whoever reads it, not a statement of fact"


def verify(snapshot: Snapshot, answer: str, sources: list[Chunk], max_sentences: int = 3) -> Verification:
    """Check every sentence of ``answer`` against the ``sources`` it cites (numbered from 1).

    An answer that opens with "The sources disagree" gives sides: a sentence of it that states a
    name or number with one citation is one side, kept when its own passage states them."""
    disagreement = bool(_LEAD.match(answer.lstrip()))
    limits = check.thresholds()
    kept: list[Checked] = []
    dropped: list[dict[str, Any]] = []
    removed: list[int] = []
    seen: set[tuple[str, ...]] = set()
    units = [evidence_units(snapshot, chunk) for chunk in sources]
    for parsed in answer_sentences(answer):
        sentence, numbers = parsed.text, parsed.numbers
        claim = _LEAD.sub("", sentence)  # "The sources disagree: X says ..." is checked as "X says ..."
        if not claim.strip(" .:"):
            continue  # the lead alone: the answerer reports the disagreement if its sides survive
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= len(sources)]
        removed += [n for n in numbers if n not in valid]
        key = tuple(words(MARKER.sub("", claim)))
        if not_an_answer := _not_an_answer(claim, sentence, key in seen, len(kept) >= max_sentences):
            dropped.append({"sentence": sentence, "reason": not_an_answer, "support": 0.0})
            continue
        seen.add(key)
        sided = None
        if parsed.sides and valid:  # "A says X [1], while B says Y [2]": each side by its own passage
            sided = _sides_supported(parsed.sides, units)
        elif not parsed.sides and disagreement and len(valid) == 1 and not is_negated(claim) and _side_values(sentence):
            one = _sides_supported([(sentence, valid)], units)  # "Another report says Porto [2]."
            sided = one if one[1] is None else None  # not stated: read as an ordinary sentence
        if sided is not None:
            found, side_problem = sided
            if side_problem:
                dropped.append({"sentence": sentence, "reason": side_problem, "support": 0.0})
            else:
                kept.append(Checked(sentence, [n for _, n, _ in found], 1.0, check.CONFIRMED, None,
                                    [(n, s.start, s.end) for _, n, s in found]))  # fmt: skip
            continue
        candidates = valid or list(range(1, len(sources) + 1))  # no marker: look for support anywhere
        readings = []
        for n in candidates:
            passage = sources[n - 1].text
            scored = [(check.read(snapshot, claim, span.text, names, passage), span) for span, names in units[n - 1]]
            if scored:
                reading, span = max(scored, key=lambda x: x[0].support)
                readings.append((reading, n, span))
        shown = [(r, n, span) for r, n, span in readings if r.status(limits) is not None]
        planted = addressed.carried([_run(snapshot, sources[n - 1].doc_id, span) for _, n, span in shown])
        if shown and all(planted):  # it repeats what a document tells its reader to say
            dropped.append({"sentence": sentence, "reason": INSTRUCTED, "support": round(shown[0][0].support, 3)})
            continue
        shown = [x for x, flagged in zip(shown, planted, strict=True) if not flagged]
        shown.sort(key=lambda x: (x[0].status(limits) == check.CONFIRMED, x[0].support), reverse=True)
        if not shown:
            top = max(readings, key=lambda x: x[0].support, default=None)
            reason = top[0].reason(limits) if top else "cites no passage"
            if not numbers:
                reason = f"no citation, and {reason}" if top else "no citation"
            elif not valid:
                reason = "cites no passage"
            support = round(top[0].support, 3) if top else 0.0
            dropped.append({"sentence": sentence, "reason": reason, "support": support})
            continue
        chosen = shown if valid else shown[:1]
        first = chosen[0][0]
        kept.append(
            Checked(
                sentence,
                [n for _, n, _ in chosen],
                first.support,
                first.status(limits) or check.UNCONFIRMED,
                first.reason(limits),
                [(n, s.start, s.end) for _, n, s in chosen],
            )
        )
    return Verification(kept, dropped, removed)


def _not_an_answer(claim: str, sentence: str, repeated: bool, full: bool) -> str | None:
    """Why a sentence of the draft is not an answer sentence at all, if it is not."""
    if MARKER.sub("", claim).rstrip().endswith("?"):
        return "a question, not an answer"
    if repeated:
        return "repeats an earlier sentence"
    if len(check.content_terms(claim)) < 2 or sentence.rstrip(".").endswith(":"):
        return "too short to check"
    if full:
        return "past the answer's sentence cap"
    return None


def _numbers(text: str) -> set[str]:
    """The numbers written in ``text``, as written ("1,000"), without trailing punctuation."""
    return {n.strip(".,") for n in _NUMBER.findall(text)}


def _side_values(text: str) -> set[str]:
    """The names (stems) and numbers a side of a disagreement states: what it disagrees on."""
    return names_in(_LEAD.sub("", text)) | _numbers(text)


def _stated(values: set[str], spans: list[tuple[Span, set[str]]]) -> Span | None:
    """The sentence of a passage that states every one of ``values``, if any."""
    for span, names in spans:
        if values <= set(analyse(span.text)) | names | _numbers(span.text):
            return span
    return None


def _sides_supported(
    sides: list[tuple[str, list[int]]], units: list[list[tuple[Span, set[str]]]]
) -> tuple[list[tuple[float, int, Span]], str | None]:
    """Each side of a disagreement ("... Lisbon [1], ... Porto [2]") checked against the passages
    it cites alone: the names and numbers it states must stand in one of them. Attribution words
    ("one report says") are not checked; what the sides disagree on is. Returns the supporting
    sentences, or why a side fails."""
    found: list[tuple[float, int, Span]] = []
    for text, numbers in sides:
        cited = [n for n in dict.fromkeys(numbers) if 1 <= n <= len(units)]
        values = _side_values(text)
        hit = next(((n, h) for n in cited if (h := _stated(values, units[n - 1]))), None) if values else None
        if hit is None:
            return [], f"the side {text!r} is not stated by the passage it cites"
        found.append((1.0, *hit))
    return found, None


def render(snapshot: Snapshot, verification: Verification, sources: list[Chunk]) -> tuple[str, list[Citation]]:
    """The kept sentences with markers renumbered in order of use, and their citations."""
    text, citations, _ = render_sentences(snapshot, verification, sources)
    return text, citations


def render_sentences(
    snapshot: Snapshot, verification: Verification, sources: list[Chunk]
) -> tuple[str, list[Citation], list[dict[str, Any]]]:
    """As :func:`render`, plus each shown sentence as written (markers renumbered) with its
    status and its citation numbers."""
    citations = CitationList(snapshot)
    parts, shown = [], []
    for checked in verification.kept:
        markers = []
        for n, start, end in checked.quotes:
            cite = citations.cite(sources[n - 1], start, end)
            if f"[{cite.n}]" not in markers:
                markers.append(f"[{cite.n}]")
        sentence = checked.text if checked.text.endswith((".", "!", "?", "”", '"')) else checked.text + "."
        parts.append(f"{sentence} {''.join(markers)}")
        shown.append({"text": parts[-1], "status": checked.status, "reason": checked.reason,
                      "citations": [int(m.strip("[]")) for m in markers]})  # fmt: skip
    return " ".join(parts), citations.all, shown
