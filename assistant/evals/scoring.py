"""The scoring rules, each small enough to test on its own.

A fact group is matched when the answer contains any of its strings, compared
case-insensitively with accents folded and punctuation reduced to spaces.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..answering.citations import MARKER, split_answer, strip_markers
from ..text.normalise import normalise_for_match


def group_matched(answer: str, group: list[str]) -> bool:
    haystack = normalise_for_match(strip_markers(answer))
    return any(normalise_for_match(alias).strip() and normalise_for_match(alias) in haystack for alias in group)


def fact_coverage(answer: str, facts: list[list[str]]) -> float:
    if not facts:
        return 1.0
    return sum(group_matched(answer, g) for g in facts) / len(facts)


def answer_sentences(answer: str) -> list[str]:
    """The answer's sentences; a citation marker belongs to the sentence it follows."""
    return [f"{text} {''.join(f'[{n}]' for n in numbers)}".rstrip() for text, numbers in split_answer(answer)]


def uncited(answer: str) -> tuple[int, int]:
    sentences = split_answer(answer)
    return sum(1 for _, numbers in sentences if not numbers), len(sentences)


def citation_valid(citation: dict[str, Any], texts: Mapping[str, str]) -> bool:
    text = texts.get(citation.get("doc_id", ""))
    start, end = citation.get("start"), citation.get("end")
    if text is None or not isinstance(start, int) or not isinstance(end, int):
        return False
    return 0 <= start < end <= len(text) and text[start:end] == citation.get("quote")


def precision_recall(cited: set[str], sources: set[str]) -> tuple[float, float]:
    precision = len(cited & sources) / len(cited) if cited else 0.0
    recall = len(cited & sources) / len(sources) if sources else 1.0
    return precision, recall


def reciprocal_rank(retrieved_docs: list[str], sources: set[str]) -> float:
    for rank, doc in enumerate(retrieved_docs, start=1):
        if doc in sources:
            return 1.0 / rank
    return 0.0


@dataclass
class CaseResult:
    """Everything measured for one case; ``passed`` is what the baseline remembers."""

    id: str
    kind: str
    question: str
    answer: str
    refused: bool
    conflict: bool
    passed: bool
    reasons: list[str]
    latency_ms: float
    fact_coverage: float = 0.0
    facts_missing: list[list[str]] = field(default_factory=list)
    retrieval_recall: float | None = None
    mrr: float | None = None
    context_has_facts: bool | None = None
    citations_valid: int = 0
    citations_total: int = 0
    citation_precision: float | None = None
    citation_recall: float | None = None
    uncited_sentences: int = 0
    sentences: int = 0
    citations: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    judged: dict[str, Any] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    category: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def score_case(
    case: Any,
    answer: dict[str, Any],
    retrieved_texts: list[str],
    doc_texts: Mapping[str, str],
    latency_ms: float,
) -> CaseResult:
    """Score one answer (the ``assistant ask --json`` object) against its golden case."""
    citations = answer.get("citations", [])
    result = CaseResult(
        id=case.id,
        kind=case.kind,
        question=case.question,
        answer=answer.get("answer", ""),
        refused=bool(answer.get("refused")),
        conflict=bool(answer.get("conflict")),
        passed=False,
        reasons=[],
        latency_ms=latency_ms,
        citations=citations,
        retrieved=answer.get("retrieved", []),
        notices=answer.get("notices", []),
        verification=answer.get("verification"),
        category=getattr(case, "category", None),
    )
    result.citations_total = len(citations)
    result.citations_valid = sum(citation_valid(c, doc_texts) for c in citations)
    if result.citations_valid < result.citations_total:
        result.reasons.append(f"{result.citations_total - result.citations_valid} citation(s) do not match the text")

    if not case.answerable:
        if not result.refused:
            result.reasons.append("answered a question the documents do not answer")
        result.passed = not result.reasons
        return result

    sources = set(case.sources)
    docs = [r["doc_id"] for r in result.retrieved]
    result.retrieval_recall = len(sources & set(docs)) / len(sources) if sources else 1.0
    result.mrr = reciprocal_rank(docs, sources)
    context = "\n".join(retrieved_texts)
    result.context_has_facts = all(group_matched(context, g) for g in case.facts)
    if result.refused:
        result.reasons.append("refused an answerable question")
    result.fact_coverage = fact_coverage(result.answer, case.facts)
    result.facts_missing = [g for g in case.facts if not group_matched(result.answer, g)]
    if result.facts_missing:
        result.reasons.append("missing facts: " + "; ".join(" | ".join(g) for g in result.facts_missing))
    if not result.refused:
        cited = {c["doc_id"] for c in citations}
        result.citation_precision, result.citation_recall = precision_recall(cited, sources)
        result.uncited_sentences, result.sentences = uncited(result.answer)
        if not citations:
            result.reasons.append("no citations")
        if result.uncited_sentences:
            result.reasons.append(f"{result.uncited_sentences} sentence(s) without a citation")
    if case.kind == "conflict" and not result.conflict:
        result.reasons.append("did not report the disagreement between the sources")
    result.passed = not result.reasons
    return result


def aggregate(results: list[CaseResult]) -> dict[str, float | None]:
    """The metric table; means over the cases each metric applies to."""
    answerable = [r for r in results if r.kind != "unanswerable"]
    unanswerable = [r for r in results if r.kind == "unanswerable"]
    answered = [r for r in answerable if not r.refused]
    conflicts = [r for r in results if r.kind == "conflict"]
    latencies = sorted(r.latency_ms for r in results)

    def mean(values: list[float]) -> float | None:
        """None when no case is of the kind the metric is about: "n/a", not a zero."""
        return round(statistics.fmean(values), 4) if values else None

    total_citations = sum(r.citations_total for r in results)
    sentences = sum(r.sentences for r in answered)
    return {
        "cases": len(results),
        "pass_rate": mean([float(r.passed) for r in results]),
        "retrieval_recall_at_k": mean([r.retrieval_recall or 0.0 for r in answerable]),
        "retrieval_mrr": mean([r.mrr or 0.0 for r in answerable]),
        "context_fact_coverage": mean([float(bool(r.context_has_facts)) for r in answerable]),
        "fact_coverage": mean([r.fact_coverage for r in answerable]),
        "citation_validity": round(sum(r.citations_valid for r in results) / total_citations, 4)
        if total_citations
        else 1.0,
        "citation_precision": mean([r.citation_precision or 0.0 for r in answered]),
        "citation_recall": mean([r.citation_recall or 0.0 for r in answered]),
        "uncited_sentence_share": round(sum(r.uncited_sentences for r in answered) / sentences, 4)
        if sentences
        else 0.0,
        "refusal_rate_unanswerable": mean([float(r.refused) for r in unanswerable]),
        "answer_rate_answerable": mean([float(not r.refused) for r in answerable]),
        "conflict_detection": mean([float(r.conflict) for r in conflicts]),
        "conflict_false_alarms": mean([float(r.conflict) for r in answerable if r.kind != "conflict"]),
        **_llm_metrics(results),
        "latency_median_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "latency_p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2)
        if latencies
        else 0.0,
    }


def _llm_metrics(results: list[CaseResult]) -> dict[str, float | None]:
    """What the claim check did to the model's drafts (LLM backend only): the share of drafts
    with any ``[n]`` marker, and of the draft's answer sentences shown confirmed, shown
    unconfirmed and dropped, before and after the second reader."""
    checked = [r.verification for r in results if r.verification and "counts" in r.verification]
    if not checked:
        return {}
    counts = {k: sum(v["counts"][k] for v in checked) for k in ("confirmed", "unconfirmed", "dropped")}
    total = sum(counts.values())
    readers = [v["second_reader"] for v in checked if v.get("second_reader")]
    return {
        "drafts_with_markers": round(sum(bool(MARKER.search(v.get("draft", ""))) for v in checked) / len(checked), 4),
        **{f"sentences_{k}": round(n / total, 4) if total else None for k, n in counts.items()},
        "second_reader_calls": float(len(readers)),
        "second_reader_confirmed": float(sum(r.get("confirmed", 0) for r in readers)),
        "second_reader_dropped": float(sum(r.get("dropped", 0) for r in readers)),
        "second_reader_seconds_median": round(statistics.median([r["seconds"] for r in readers]), 3)
        if readers
        else None,
    }
