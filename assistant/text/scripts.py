"""Which writing systems a text uses (Latin, Cyrillic, Greek, Arabic, CJK ...), from Unicode
character names: a question in a script the documents never use cannot match them, and the
user is told so instead of getting a silent refusal."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

DOCUMENT_SHARE = 0.001  # a script counts as a document's when more than this share of its letters use it
_NOT_ASCII_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def scripts(text: str, min_share: float = 0.0) -> set[str]:
    """The scripts of the letters of ``text`` that make up more than ``min_share`` of them.

    ASCII letters (Latin) are counted at C speed; only the other characters are looked up one
    by one, so a mostly-English corpus of millions of characters takes milliseconds."""
    counts: Counter[str] = Counter()
    latin = len(text.encode("ascii", "ignore").translate(None, _NOT_ASCII_LETTERS))
    if latin:
        counts["LATIN"] = latin
    for ch in _NON_ASCII.findall(text):
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            counts[name.split(" ")[0] if name else "UNKNOWN"] += 1
    total = sum(counts.values())
    return {s for s, n in counts.items() if total and n / total > min_share}


def document_scripts(text: str) -> list[str]:
    """The scripts a document is written in, as its index entry records them: a few stray
    letters (a name in its own alphabet) do not count."""
    return sorted(scripts(text, DOCUMENT_SHARE))


def describe(found: set[str]) -> str:
    """ "Cyrillic", or "Cyrillic and Greek", for a message."""
    names = sorted(s.title() if s != "CJK" else "CJK" for s in found)
    return " and ".join(names) if names else "no"
