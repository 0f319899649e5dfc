"""Sentence segmentation that keeps exact character offsets into the original text.

Answers and citations are built from whole sentences, so every quote is a verbatim span of
the document: ``text[start:end] == sentence``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Tokens that end in a period without ending a sentence.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "pres",
    "vs",
    "etc",
    "inc",
    "ltd",
    "corp",
    "jan",
    "feb",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "e.g",
    "i.e",
    "a.m",
    "p.m",
}

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")


@dataclass(frozen=True)
class Span:
    """A sentence and where it sits in the document."""

    start: int
    end: int
    text: str


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    m = re.search(r"(?<![’'A-Za-z])([A-Za-z][A-Za-z.]*)$", text[:dot])
    if not m:
        return False
    token = m.group(1).lower()
    return token in _ABBREVIATIONS or len(token) == 1


def _open_quote(text: str) -> bool:
    """True when a curly quotation opened in ``text`` is not closed yet."""
    return text.count("“") > text.count("”")


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Split ``text`` into sentences; line breaks always end a sentence (headings, list items)."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        line_text = line.group(0)
        base = line.start()
        start = 0
        for m in _BOUNDARY.finditer(line_text):
            end = m.end()
            if _open_quote(line_text[start:end]):
                continue  # “Short. Quoted,” he said: the quotation is one sentence
            rest = line_text[end:].lstrip()
            if _is_abbreviation(line_text, m.start()):
                # "U.S. Secretary" keeps going: a capital after an abbreviation is not enough.
                continue
            if rest and not (rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"'“‘(["):
                continue
            _append(spans, line_text, base + offset, start, end)
            start = end
        _append(spans, line_text, base + offset, start, len(line_text))
    return spans


def _append(spans: list[Span], line: str, base: int, start: int, end: int) -> None:
    piece = line[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    s = base + start + lead
    spans.append(Span(s, s + len(stripped), stripped))
