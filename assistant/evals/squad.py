"""SQuAD 2.0 articles → corpora and golden sets in this project's schema, split by article.

``python -m assistant.evals.squad`` rewrites ``evals/squad/`` from ``evals/squad/squad2-dev10.json``:
one text file per article (paragraphs separated by blank lines; the file name is the document
id), and one golden line per question (answerable: every annotator's answer is an alias of one
fact group; unanswerable: empty facts). The split is by article, drawn once with a fixed seed,
so no question of a validation article is ever seen while fitting.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

SEED = 2018  # the year of the SQuAD 2.0 paper; any fixed number would do
VALIDATION_ARTICLES = 4
ROOT = Path("evals/squad")


def split(titles: list[str]) -> tuple[list[str], list[str]]:
    """(fitting titles, validation titles): a fixed random draw of whole articles."""
    validation = set(random.Random(SEED).sample(sorted(titles), VALIDATION_ARTICLES))
    return sorted(set(titles) - validation), sorted(validation)


def _case(article: str, qa: dict[str, Any]) -> dict[str, Any]:
    """A golden line; ``article`` (an extra field the loader keeps) names the document the
    question was written against, unanswerable ones included, for the split and the fit."""
    doc = f"{article}.txt"
    question = " ".join(qa["question"].split())
    if qa["is_impossible"]:
        return {
            "id": qa["id"],
            "question": question,
            "facts": [],
            "sources": [],
            "kind": "unanswerable",
            "article": doc,
        }
    answers = list(dict.fromkeys(a["text"].strip() for a in qa["answers"] if a["text"].strip()))
    return {"id": qa["id"], "question": question, "facts": [answers], "sources": [doc], "kind": "fact", "article": doc}


def convert(source: Path, root: Path = ROOT) -> dict[str, int]:
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    fit, validation = split([a["title"] for a in data])
    counts = {}
    for part, titles in (("fit", fit), ("validation", validation)):
        corpus = root / f"corpus-{part}"
        corpus.mkdir(parents=True, exist_ok=True)
        for old in corpus.glob("*.txt"):
            old.unlink()
        lines = []
        for article in (a for a in data if a["title"] in titles):
            text = "\n\n".join(" ".join(p["context"].split()) for p in article["paragraphs"]) + "\n"
            (corpus / f"{article['title']}.txt").write_text(text, encoding="utf-8")
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    if qa["question"].strip():
                        lines.append(json.dumps(_case(article["title"], qa), ensure_ascii=False))
        (root / f"{part}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        counts[part] = len(lines)
    return counts


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "squad2-dev10.json"
    print(convert(source))
