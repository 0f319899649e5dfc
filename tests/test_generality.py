"""The answering code knows no corpus: nothing from the seed articles may appear in it.

The assistant is measured on documents nobody here has seen; a rule that names a person or a
place of the seeds (or their topic) only fixes a golden case. Names are taken from the seed
articles themselves, so a new seed brings its own names into this check.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path

from assistant.text.names import name_runs

from .conftest import ROOT, SEEDS

# Code that turns text and questions into answers; the web pages may show example wording.
CHECKED = ["assistant/text", "assistant/indexing", "assistant/answering", "assistant/pipeline.py"]
# The project's own identifiers, which are not knowledge of any corpus.
PROJECT_NAMES = ("istanbul-wordllama", "istanbul-assistant", "istanbul talks assistant")


def _ordinary(word: str) -> bool:
    """An English dictionary word written in lower case ("else", "secretary"), not a proper
    noun the dictionary also knows ("Moscow")."""
    import simplemma

    return simplemma.is_known(word, lang="en") and simplemma.lemmatize(word, lang="en").islower()


def seed_names() -> set[str]:
    """Capitalised words of the seeds that never appear in lower case there (so not ordinary
    words capitalised at a sentence start), are not ordinary English words and not calendar names."""
    texts = [path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt")]
    ordinary = {w for text in texts for w in re.findall(r"\b[a-z][\w’'-]*", text)}
    calendar_words = {m.lower() for m in [*calendar.month_name[1:], *calendar.day_name]}
    found = set()
    for text in texts:
        for _, run in name_runs(text):
            for word in run.split():
                word = re.sub(r"[’'].*$", "", word)
                lower = word.lower()
                if len(word) >= 4 and lower not in ordinary | calendar_words and not _ordinary(lower):
                    found.add(word.lower())
    return found


def test_seed_names_and_places_are_not_in_the_answering_code() -> None:
    names = seed_names()
    assert {"medinsky", "umerov", "kremlin", "istanbul", "erdoğan"} <= names  # the check sees the seeds
    offenders = []
    for root in CHECKED:
        path = ROOT / root
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            text = file.read_text(encoding="utf-8").lower()
            for allowed in PROJECT_NAMES:
                text = text.replace(allowed, "")
            for name in names:
                if re.search(rf"\b{re.escape(name)}", text):
                    offenders.append(f"{file.relative_to(ROOT)}: {name}")
    assert not offenders, "seed names in answering code:\n" + "\n".join(offenders)


def test_the_check_would_catch_a_seed_name(tmp_path: Path) -> None:
    names = seed_names()
    planted = "QUIRK = {'erdogan': 'turkey'}\n".lower()
    assert any(re.search(rf"\b{re.escape(n)}", planted) for n in names)
