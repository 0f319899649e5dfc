"""SQuAD 2.0 articles → corpora and golden sets in this project's schema, split by article.

``python -m assistant.evals.squad`` rewrites ``evals/squad/`` from ``evals/squad/squad2-dev10.json``:
one text file per article (paragraphs separated by blank lines; the file name is the document
id), and one golden line per question (answerable: every annotator's answer is an alias of one
fact group; unanswerable: empty facts). The split is by article, drawn once with a fixed seed,
so no question of a validation article is ever seen while fitting.

It also writes the *distractor layout*, ``paragraphs/<article>/<article>-pNN.txt``: every
paragraph its own document, with ``paragraphs-<part>.jsonl`` naming the paragraph as the
source. A question then retrieves several related documents of one article that state other
years, names and numbers, as reports of the same kind of event from many outlets do; the
disagreement, refusal and claim-check decisions are measured on it.
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


def paragraph_id(article: str, index: int) -> str:
    """The document id of an article's paragraph in the distractor layout."""
    return f"{article}-p{index + 1:02d}.txt"


def _case(article: str, qa: dict[str, Any], doc: str | None = None) -> dict[str, Any]:
    """A golden line; ``article`` (an extra field the loader keeps) names the article the
    question was written against, unanswerable ones included, for the split and the fit;
    ``doc`` is the document that answers it (the article itself unless given)."""
    article_doc = f"{article}.txt"
    doc = doc or article_doc
    question = " ".join(qa["question"].split())
    if qa["is_impossible"]:
        return {
            "id": qa["id"],
            "question": question,
            "facts": [],
            "sources": [],
            "kind": "unanswerable",
            "article": article_doc,
        }
    answers = list(dict.fromkeys(a["text"].strip() for a in qa["answers"] if a["text"].strip()))
    return {
        "id": qa["id"],
        "question": question,
        "facts": [answers],
        "sources": [doc],
        "kind": "fact",
        "article": article_doc,
    }


def convert(source: Path, root: Path = ROOT) -> dict[str, int]:
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    fit, validation = split([a["title"] for a in data])
    counts = {}
    for part, titles in (("fit", fit), ("validation", validation)):
        corpus = root / f"corpus-{part}"
        corpus.mkdir(parents=True, exist_ok=True)
        for old in corpus.glob("*.txt"):
            old.unlink()
        lines, paragraph_lines = [], []
        for article in (a for a in data if a["title"] in titles):
            title = article["title"]
            paragraphs = [" ".join(p["context"].split()) for p in article["paragraphs"]]
            (corpus / f"{title}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
            folder = root / "paragraphs" / title
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.txt"):
                old.unlink()
            for i, (text, paragraph) in enumerate(zip(paragraphs, article["paragraphs"], strict=True)):
                (folder / paragraph_id(title, i)).write_text(text + "\n", encoding="utf-8")
                for qa in paragraph["qas"]:
                    if qa["question"].strip():
                        lines.append(json.dumps(_case(title, qa), ensure_ascii=False))
                        paragraph_lines.append(json.dumps(_case(title, qa, paragraph_id(title, i)), ensure_ascii=False))
        (root / f"{part}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (root / f"paragraphs-{part}.jsonl").write_text("\n".join(paragraph_lines) + "\n", encoding="utf-8")
        counts[part] = len(lines)
    return counts


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "squad2-dev10.json"
    print(convert(source))
