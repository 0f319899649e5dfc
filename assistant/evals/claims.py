"""Labelled claims for the LLM answer's claim check: what an answer sentence may say about a passage.

Two sources, each split by document into a fitting part and a validation part (``all``: both).
The check's two thresholds are fitted on the fitting half (``assistant fit --claims``,
:mod:`claim_fit`); the validation half is never fitted or tuned on.

- ``evals/claims/seeds.jsonl``: for every fact of ``evals/golden.jsonl``, faithful paraphrases
  (other verbs, nouns and word order) and falsified versions (a swapped name, role, number,
  date, place, or a flipped polarity), each with the verbatim evidence it was written against,
  written by hand. The seed documents, sorted by name, alternate between the parts (the first
  fits, the second is held out). Each faithful claim is also paired with the evidence of
  another fact of its document (kind ``unrelated``): a claim cited to the wrong passage.
- the counterfactual conflict sets (:mod:`counterfactual`): each chosen SQuAD sentence as it
  stands (kind ``verbatim``, supported) and with its answer swapped for another value of the
  same kind from the same article (kind ``name``, ``number`` or ``date``, unsupported). Their
  fitting and validation articles are the SQuAD split.

A claim is judged the way :func:`verify.verify` judges an answer sentence: against each
sentence of a passage around its evidence (as a retrieved chunk would hold it), the closest
one deciding: confirmed, unconfirmed, or dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..answering import check
from ..answering.candidates import sentence_context, sentences_of
from ..indexing.snapshot import Snapshot
from ..text.sentences import split_sentences
from .counterfactual import kind_of
from .golden import GoldenError

CHUNK_MARGIN = 250  # characters of passage on each side of the evidence, as a retrieved chunk has
SWAP_KINDS = {"year": "date", "number": "number", "name": "name"}
FALSIFIED = ("name", "role", "number", "date", "negation", "place")


@dataclass(frozen=True)
class LabelledClaim:
    id: str
    claim: str
    document: str
    evidence: str
    supported: bool
    kind: str  # paraphrase | verbatim | unrelated | related | one of FALSIFIED
    part: str  # fit | validation
    group: str  # cross-validation fold: the fact, or the SQuAD article

    @property
    def falsified(self) -> bool:
        return self.kind in FALSIFIED


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise GoldenError(f"{path}: cannot be read as JSON lines ({exc})") from exc


def load(path: Path, part: str) -> list[LabelledClaim]:
    """The claims of one part from a hand-labelled file or a counterfactual conflict set."""
    records = _read_jsonl(path)
    if records and "claim" in records[0]:
        return [c for c in _hand_labelled(records) if part in ("all", c.part)]
    return _counterfactual(path, records, part)


def _hand_labelled(records: list[dict[str, Any]]) -> list[LabelledClaim]:
    documents = sorted({r["document"] for r in records})
    part_of = {d: ("fit" if i % 2 == 0 else "validation") for i, d in enumerate(documents)}
    out = []
    for r in records:
        supported, part, doc = r["label"] == "supported", part_of[r["document"]], r["document"]
        out.append(LabelledClaim(r["id"], r["claim"], doc, r["evidence"], supported, r["kind"], part, r["case"]))
    faithful = [c for c in out if c.supported]
    for i, claim in enumerate(faithful):  # the next fact of the same document, in file order
        ring = faithful[i + 1 :] + faithful[:i]
        others = [c for c in ring if c.document == claim.document and c.group != claim.group]
        if others:
            other = others[0]
            out.append(LabelledClaim(f"{claim.id}-u", claim.claim, claim.document, other.evidence, False, "unrelated",
                                     claim.part, claim.group))  # fmt: skip
    return out


def _counterfactual(path: Path, records: list[dict[str, Any]], part: str) -> list[LabelledClaim]:
    """Sentence pairs from a swapped conflict set: the original (supported) and the copy with
    the answer swapped (unsupported), each judged against the original article."""
    folder = path.with_suffix("")
    out = []
    for r in records:
        original, other = r["facts"][0][0], r["facts"][1][0]
        copy = folder / r["sources"][1]
        try:
            swapped_text = copy.read_text(encoding="utf-8")
        except OSError as exc:
            raise GoldenError(f"{copy}: cannot be read ({exc})") from exc
        swapped = next((s.text for s in split_sentences(swapped_text) if other in s.text), None)
        if swapped is None:
            continue
        evidence = swapped.replace(other, original)
        kind = SWAP_KINDS.get(kind_of(original) or "", "name")
        article = r["article"]
        out.append(LabelledClaim(f"{r['id']}-v", evidence, article, evidence, True, "verbatim", part, article))
        out.append(LabelledClaim(f"{r['id']}-x", swapped, article, evidence, False, kind, part, article))
    return out


def in_paragraphs(snapshot: Snapshot, claims: list[LabelledClaim]) -> list[LabelledClaim]:
    """The verbatim claims in the distractor layout (every paragraph its own document): each
    judged against its own paragraph (kept), and against the sentence most like it in another
    paragraph of the same article (kind ``related``, dropped): a citation to a passage about
    something else that shares the article's names and words, as retrieval would bring."""
    from ..text.embedding import embedder

    model = embedder()
    out = []
    for claim in (c for c in claims if c.kind == "verbatim"):
        stem = claim.document.removesuffix(".txt")
        docs = [d for d in snapshot.texts if d.startswith(f"{stem}-p")]
        own = next((d for d in docs if claim.evidence in snapshot.texts[d]), None)
        others = [(d, s.text) for d in docs if d != own for s in split_sentences(snapshot.texts[d])]
        if own is None or not others:
            continue
        vectors = model.embed([claim.claim] + [text for _, text in others])
        doc, text = others[int((vectors[1:] @ vectors[0]).argmax())]
        out.append(LabelledClaim(claim.id, claim.claim, own, claim.evidence, True, "verbatim", claim.part, claim.group))
        out.append(LabelledClaim(f"{claim.id}-r", claim.claim, doc, text, False, "related", claim.part, claim.group))
    return out


def evidence_at(snapshot: Snapshot, claim: LabelledClaim) -> tuple[int, int]:
    text = snapshot.texts.get(claim.document)
    if text is None:
        raise GoldenError(f"claim {claim.id}: document {claim.document} is not in the index")
    start = text.find(claim.evidence)
    if start < 0:
        raise GoldenError(f"claim {claim.id}: its evidence is not a verbatim part of {claim.document}")
    return start, start + len(claim.evidence)


def judge(snapshot: Snapshot, claim: LabelledClaim) -> check.Reading:
    """The claim against the passage around its evidence, as the verifier reads an answer
    sentence against the chunk it cites: the closest of the passage's sentences."""
    start, end = evidence_at(snapshot, claim)
    spans = sentences_of(snapshot, claim.document)
    window = [
        (spans[i], sentence_context(spans, i).names)
        for i in spans.overlapping(start - CHUNK_MARGIN, end + CHUNK_MARGIN)
    ]
    passage = snapshot.texts[claim.document][window[0][0].start : window[-1][0].end] if window else claim.evidence
    return check.best([check.read(snapshot, claim.claim, span.text, names, passage) for span, names in window])


VALUE_KINDS = ("name", "number", "date", "place", "negation")  # checkable exactly: to be dropped


def status_metrics(claims: list[LabelledClaim], statuses: list[str | None]) -> dict[str, float | None]:
    """The claim check's three outcomes (confirmed, unconfirmed, dropped: None) against the
    labels: faithful claims never dropped, falsified values and polarities dropped, every other
    unsupported claim never shown as confirmed; and each kind's shares."""

    def share(selected: list[bool]) -> float | None:
        return round(sum(selected) / len(selected), 4) if selected else None

    pairs = list(zip(claims, statuses, strict=True))
    faithful = [s for c, s in pairs if c.supported]
    out: dict[str, float | None] = {"claims": float(len(claims))}
    out["faithful_never_dropped"] = share([s is not None for s in faithful])
    out["faithful_confirmed"] = share([s == "confirmed" for s in faithful])
    out["value_falsified_dropped"] = share([s is None for c, s in pairs if c.kind in VALUE_KINDS])
    out["other_unsupported_not_confirmed"] = share(
        [s != "confirmed" for c, s in pairs if not c.supported and c.kind not in VALUE_KINDS]
    )
    out["unsupported_confirmed"] = share([s == "confirmed" for c, s in pairs if not c.supported])
    for kind in sorted({c.kind for c in claims}):
        mine = [s for c, s in pairs if c.kind == kind]
        out[f"{kind}_confirmed"] = share([s == "confirmed" for s in mine])
        out[f"{kind}_unconfirmed"] = share([s == "unconfirmed" for s in mine])
        out[f"{kind}_dropped"] = share([s is None for s in mine])
    return out
