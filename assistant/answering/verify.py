"""Checking an LLM's answer against the passages it cites, offline.

The answer is split into sentences; each ``[n]`` is mapped to the passage it names and
markers naming no passage are removed. Every sentence is then checked against the sentences
of its cited passages: enough of its weighted content words must be there (the same stems,
related forms and equivalents the extractive answerer uses), every number in it must be
there, and it must not flip a negation. Sentences that fail are dropped, not shown as fact,
and listed with the reason in ``verification.dropped``. The citations returned point at the
exact supporting sentence(s) of the passage, with the same offset guarantee as the
extractive answerer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ..indexing.snapshot import Snapshot
from ..models import Chunk, Citation
from ..text.analysis import analyse
from ..text.negation import is_negated, polarity
from ..text.sentences import Span
from .candidates import names_in, sentence_context, sentences_of
from .citations import MARKER, CitationList, answer_sentences
from .question import light_terms
from .signals import term_credit

# Calibrated on the golden set (tests/test_verify.py): a cited sentence's own support is
# about 1.0, support from an unrelated sentence of the same retrieved set stays below 0.5.
SUPPORT_THRESHOLD = 0.6
PAIR_DISTANCE = 4
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
    """One sentence of the model's answer after checking."""

    text: str
    sources: list[int]
    support: float
    quotes: list[tuple[int, int, int]] = field(default_factory=list)  # (source n, start, end)


@dataclass
class Verification:
    kept: list[Checked]
    dropped: list[dict[str, Any]]
    removed_markers: list[int]

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": "drop",
            "threshold": SUPPORT_THRESHOLD,
            "kept": [{"sentence": k.text, "support": round(k.support, 3)} for k in self.kept],
            "dropped": self.dropped,
            "removed_markers": self.removed_markers,
        }


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text)) and not MARKER.search(text)


def support(snapshot: Snapshot, claim: str, evidence: str, context_names: set[str] | None = None) -> float:
    """How well ``evidence`` (one sentence, plus names it borrows from the sentence before)
    backs ``claim``: 0 (not at all) to 1 (fully).

    Half is coverage: the idf-weighted share of the claim's content words found in the
    evidence. Half is pairing: the share of neighbouring content words of the claim that are
    also near each other in the evidence, which catches right words in a wrong combination.
    Then hard rules cap the score below the threshold: a name of the claim the evidence does
    not have ("Smith said ..." against a sentence without Smith), a number it does not state,
    or a negation on the shared predicate that only one of them has.
    """
    context = context_names or set()
    claim_stems = [t for t in analyse(claim) if t not in light_terms()]
    terms = list(dict.fromkeys(claim_stems))
    if not terms:
        return 0.0
    evidence_stems = analyse(evidence)
    pool = set(evidence_stems) | context
    weights = {t: snapshot.lexical.idf(t) for t in terms}
    coverage = sum(w * term_credit(t, pool) for t, w in weights.items()) / sum(weights.values())
    pairs = list(pairwise(claim_stems))
    pairing = sum(_near(a, b, evidence_stems, context) for a, b in pairs) / len(pairs) if pairs else coverage
    score = 0.5 * coverage + 0.5 * pairing
    missing_names = [n for n in names_in(claim) if term_credit(n, pool) < 0.9]
    if missing_names:
        return min(score, 0.35)
    if _numbers(claim) - _numbers(evidence):
        return min(score, 0.3)  # a number the passage does not state
    predicate = {t for t in terms if term_credit(t, pool)} - names_in(claim)
    said, found = polarity(claim, _forms(predicate)), polarity(evidence, _forms(predicate))
    if said is not None and found is not None and said != found:
        return min(score, 0.4)  # "X will attend" against "X decided not to attend"
    if is_negated(claim) and not is_negated(evidence):
        return min(score, 0.4)
    return score


def _forms(terms: set[str]) -> set[str]:
    return set(terms)


def _near(a: str, b: str, stems: list[str], context: set[str], distance: int = PAIR_DISTANCE) -> bool:
    """Whether forms of ``a`` and ``b`` stand within ``distance`` content words of each other;
    a name borrowed from the sentence before counts as near everything."""
    if term_credit(a, context) or term_credit(b, context):
        return any(term_credit(x, set(stems) | context) for x in (a, b))
    at_a = [i for i, s in enumerate(stems) if term_credit(a, {s})]
    at_b = [i for i, s in enumerate(stems) if term_credit(b, {s})]
    return any(abs(i - j) <= distance for i in at_a for j in at_b)


def evidence_units(snapshot: Snapshot, chunk: Chunk) -> list[tuple[Span, set[str]]]:
    """The sentences of a passage, each with the names it borrows from the sentence before."""
    spans = sentences_of(snapshot, chunk.doc_id)
    return [
        (span, sentence_context(spans, i).names)
        for i, span in enumerate(spans)
        if span.end > chunk.start and span.start < chunk.end
    ]


def verify(snapshot: Snapshot, answer: str, sources: list[Chunk]) -> Verification:
    """Check every sentence of ``answer`` against the ``sources`` it cites (numbered from 1).

    An answer that opens with "The sources disagree" gives sides: a sentence of it that states a
    name or number with one citation is one side, kept when its own passage states them."""
    disagreement = bool(_LEAD.match(answer.lstrip()))
    kept: list[Checked] = []
    dropped: list[dict[str, Any]] = []
    removed: list[int] = []
    units = [evidence_units(snapshot, chunk) for chunk in sources]
    for parsed in answer_sentences(answer):
        sentence, numbers = parsed.text, parsed.numbers
        claim = _LEAD.sub("", sentence)  # "The sources disagree: X says ..." is checked as "X says ..."
        if not claim.strip(" .:"):
            continue  # the lead alone: the answerer reports the disagreement if its sides survive
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= len(sources)]
        removed += [n for n in numbers if n not in valid]
        if len([t for t in analyse(claim) if t not in light_terms()]) < 2 or sentence.rstrip(".").endswith(":"):
            dropped.append({"sentence": sentence, "reason": "too short to check", "support": 0.0})
            continue
        candidates = valid or list(range(1, len(sources) + 1))  # no marker: look for support anywhere
        best: list[tuple[float, int, Span]] = []
        for n in candidates:
            scored = [(support(snapshot, claim, span.text, names), span) for span, names in units[n - 1]]
            value, span = max(scored, key=lambda x: x[0])
            best.append((value, n, span))
        best.sort(key=lambda b: -b[0])
        good = [b for b in best if b[0] >= SUPPORT_THRESHOLD]
        sides = parsed.sides
        if not sides and not good and disagreement and len(valid) == 1 and not is_negated(claim):
            sides = [(sentence, valid)] if _side_values(sentence) else []  # "Another report says Porto [2]."
        if sides and valid:  # "A says X [1], while B says Y [2]": each side by its own passage
            good, side_problem = _sides_supported(sides, units)
            if side_problem:
                dropped.append({"sentence": sentence, "reason": side_problem, "support": 0.0})
                continue
        if not good:
            reason = (
                "no citation" if not numbers else ("cites no passage" if not valid else "not supported by its sources")
            )
            dropped.append({"sentence": sentence, "reason": reason, "support": round(best[0][0], 3) if best else 0.0})
            continue
        chosen = good if valid else good[:1]
        kept.append(
            Checked(sentence, [n for _, n, _ in chosen], chosen[0][0], [(n, s.start, s.end) for _, n, s in chosen])
        )
    return Verification(kept, dropped, removed)


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
    citations = CitationList(snapshot)
    parts = []
    for checked in verification.kept:
        markers = []
        for n, start, end in checked.quotes:
            cite = citations.cite(sources[n - 1], start, end)
            if f"[{cite.n}]" not in markers:
                markers.append(f"[{cite.n}]")
        sentence = checked.text if checked.text.endswith((".", "!", "?", "”", '"')) else checked.text + "."
        parts.append(f"{sentence} {''.join(markers)}")
    return " ".join(parts), citations.all
