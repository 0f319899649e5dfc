"""The answering code knows no corpus: nothing from the seed articles may appear in it.

The assistant is measured on documents nobody here has seen; a rule that names a person or a
place of the seeds (or their topic) only fixes a golden case. Names are taken from the seed
articles themselves, so a new seed brings its own names into this check.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.text.names import name_runs

from .conftest import ROOT, SEEDS

# Code that turns text and questions into answers; the web pages may show example wording.
CHECKED = ["assistant/text", "assistant/indexing", "assistant/answering", "assistant/pipeline.py"]
# Capitalised words of the seeds that are also ordinary English words or calendar names.
COMMON = {
    "the", "a", "an", "in", "on", "at", "and", "but", "however", "earlier", "later", "both", "since", "those",
    "this", "these", "some", "other", "despite", "currently", "fighting", "source", "nothing", "clearly",
    "security", "deputy", "defense", "foreign", "minister", "president", "secretary", "chief", "general",
    "staff", "council", "service", "federal", "state", "senator", "director", "head", "who", "why", "what",
    "where", "explained", "reports", "joining", "ahead", "several", "putin's", "no", "it", "if", "this",
    "ukrainian", "russian", "turkish", "brazilian", "european", "western", "french", "german", "republican",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "march",
    "april", "may", "june", "he", "we", "i", "zelensky's", "while", "while", "union", "times", "four",
    "summit", "world", "war", "ii", "un", "us", "uk", "u.s.", "middle", "east", "talks", "peace", "guarantees",
    "demilitarization", "other", "stand", "sides", "attending", "involved", "next", "else", "know", "turkey",
}  # fmt: skip


def seed_names() -> set[str]:
    found = set()
    for path in SEEDS.glob("*.txt"):
        for _, run in name_runs(path.read_text(encoding="utf-8")):
            for word in run.split():
                word = re.sub(r"[’'].*$", "", word).lower()
                if len(word) >= 4 and word not in COMMON:
                    found.add(word)
    return found


def test_seed_names_and_places_are_not_in_the_answering_code() -> None:
    names = seed_names()
    assert {"medinsky", "umerov", "ankara", "kremlin", "istanbul"} <= names  # the check sees the seeds
    offenders = []
    for root in CHECKED:
        path = ROOT / root
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            text = file.read_text(encoding="utf-8").lower()
            for name in names:
                if re.search(rf"\b{re.escape(name)}", text):
                    offenders.append(f"{file.relative_to(ROOT)}: {name}")
    assert not offenders, "seed names in answering code:\n" + "\n".join(offenders)


def test_the_check_would_catch_a_seed_name(tmp_path: Path) -> None:
    names = seed_names()
    planted = "QUIRK = {'erdogan': 'turkey'}\n".lower()
    assert any(re.search(rf"\b{re.escape(n)}", planted) for n in names)
