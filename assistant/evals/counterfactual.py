"""Counterfactual documents for the conflict evals, built the way the literature builds them
(Chen et al. 2023, "Benchmarking Large Language Models in Retrieval-Augmented Generation"):
a real passage is copied with its answer swapped for another value of the same kind, and both
are indexed; asked for that value, the assistant should report the disagreement.

``python -m assistant.evals.counterfactual`` writes, for each SQuAD part (fit, validation):

- ``evals/conflicts/<part>-swapped/``: per chosen question, a one-paragraph document
  ``cf-<id>.txt`` whose answer (a name, a year or a number) is replaced by another value of the
  same kind found elsewhere in the same article (the most similar ones by WordLlama: a place
  for a place); indexed together with the part's articles;
- ``evals/conflicts/<part>-clean/``: the same paragraphs copied unchanged (``copy-<id>.txt``),
  where any reported disagreement is a false alarm;
- ``<part>-swapped.jsonl`` (kind ``conflict``: both values must be in the answer) and
  ``<part>-clean.jsonl`` (kind ``fact``).

Questions are drawn with a fixed seed; everything is derived from ``evals/squad/``.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from ..text.analysis import stem, stopwords
from ..text.names import name_runs
from ..text.normalise import words
from ..text.quantities import YEAR, number_value, numbers_in

SQUAD = Path("evals/squad")
OUT = Path("evals/conflicts")
SEED = 2023
PER_PART = 150


def kind_of(value: str) -> str | None:
    """The kind of an answer: a year, a number, or a name (a run of capitalised words)."""
    text = value.strip()
    if YEAR.fullmatch(text):
        return "year"
    if re.fullmatch(r"[\d,.]+%?", text) and numbers_in(text):
        return "number"
    runs = name_runs(text)
    if runs and runs[0][1] == text and len(text) >= 3 and not set(words(text)) <= stopwords():
        return "name"  # not "None" or "There": a capital is not enough
    return None


def candidates(article: str, kind: str) -> list[str]:
    """Values of ``kind`` that occur in an article: what a swap can take."""
    if kind == "year":
        return sorted({m.group(1) for m in YEAR.finditer(article)})
    if kind == "number":
        return sorted(
            {
                m.group(0)
                for m in re.finditer(r"(?<![\w.,])\d(?:[\d,.]*\d)?%?(?![\w])", article)  # "2007," is 2007
                if not YEAR.fullmatch(m.group(0))
            }
        )
    stop = stopwords()  # a run that opens with one ("Not", "All EU") is a sentence's first word
    return sorted({r for _, r in name_runs(article) if (w := words(r)) and w[0] not in stop and len(r) >= 3})


def _most_similar(value: str, options: list[str]) -> list[str]:
    from ..text.embedding import embedder

    vectors = embedder().embed([value, *options])
    sims = vectors[1:] @ vectors[0]
    return [options[i] for i in sims.argsort()[::-1]]


def _different(a: str, b: str, kind: str) -> bool:
    if kind == "number":
        return number_value(a) != number_value(b)

    def stems(v: str) -> set[str]:  # "Islamists" and "Islamist", "Ögedei Khan" and "Ogedei's" are one
        return {stem(w) or w for w in words(v)}

    return not (stems(a) & stems(b))


def _whole_word(value: str) -> re.Pattern[str]:
    """``value`` as whole words only: "Japan" does not match inside "Japanese"."""
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")


def contexts() -> dict[str, str]:
    """Each SQuAD question's own paragraph, whitespace normalised as in the corpus files."""
    data = json.loads((SQUAD / "squad2-dev10.json").read_text(encoding="utf-8"))["data"]
    return {
        qa["id"]: " ".join(paragraph["context"].split())
        for article in data
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }


def build(part: str, rng: random.Random) -> dict[str, Any]:
    cases = [json.loads(line) for line in (SQUAD / f"{part}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    articles = {p.name: p.read_text(encoding="utf-8") for p in sorted((SQUAD / f"corpus-{part}").glob("*.txt"))}
    own = contexts()
    chosen = []
    for case in rng.sample([c for c in cases if c["kind"] == "fact"], k=len([c for c in cases if c["kind"] == "fact"])):
        answer = case["facts"][0][0]
        kind = kind_of(answer)
        article = articles[case["article"]]
        if kind is None:
            continue
        # the question's own paragraph (the first one naming the answer is often about something else)
        paragraph = own[case["id"]] if _whole_word(answer).search(own[case["id"]]) else None
        options = (
            [v for v in candidates(article, kind) if _different(v, answer, kind) and v not in paragraph]
            if paragraph
            else []
        )
        if not paragraph or not options:
            continue
        if kind == "name":  # a value of the same sort ("Wales" for a place, a person for a person)
            options = _most_similar(answer, options)[:5]
        chosen.append((case, answer, rng.choice(options), paragraph))
        if len(chosen) >= PER_PART:
            break
    swapped, clean = OUT / f"{part}-swapped", OUT / f"{part}-clean"
    for folder in (swapped, clean):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.txt"):
            old.unlink()
    conflict_lines, clean_lines = [], []
    for case, answer, other, paragraph in chosen:
        cf = f"cf-{case['id']}.txt"
        swapped_text = _whole_word(answer).sub(other.replace("\\", "\\\\"), paragraph)
        (swapped / cf).write_text(swapped_text + "\n", encoding="utf-8")
        (clean / f"copy-{case['id']}.txt").write_text(paragraph + "\n", encoding="utf-8")
        sources = [case["article"], cf]
        conflict_lines.append({"id": case["id"], "question": case["question"], "facts": [[answer], [other]],
                               "sources": sources, "kind": "conflict", "article": case["article"]})  # fmt: skip
        clean_lines.append({"id": case["id"], "question": case["question"], "facts": [[answer]],
                            "sources": [case["article"], f"copy-{case['id']}.txt"], "kind": "fact",
                            "article": case["article"]})  # fmt: skip
    for name, lines in ((f"{part}-swapped.jsonl", conflict_lines), (f"{part}-clean.jsonl", clean_lines)):
        (OUT / name).write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in lines), encoding="utf-8")
    return {"part": part, "questions": len(chosen)}


if __name__ == "__main__":
    rng = random.Random(SEED)
    print([build(part, rng) for part in ("fit", "validation")])
