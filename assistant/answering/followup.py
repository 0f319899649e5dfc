"""Turning a follow-up ("What job did he hold before?") into a standalone question.

Offline and rule-based: a pronoun is replaced by the person the previous turn was about (for
a "who" question, the name its answer gave; otherwise the name the question asked about),
and the previous question's terms are kept as soft context for retrieval and ranking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text.analysis import analyse
from ..text.names import NAME_RUN
from ..text.normalise import wordset
from .citations import MARKER, strip_markers
from .question import QUESTION_STARTERS, analyse_question

_PERSON_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers|himself|herself)\b", re.I)
_IDENTITY = re.compile(r"^\s*(who|what)\s+(is|was|are|were)\s+[A-Z]", re.I)
_TITLE_WORDS = wordset(
    """
    president minister deputy defense defence foreign secretary senator director chief head
    chancellor aide prime former us u.s. state general staff security council republican
    ukrainian russian turkish french german brazilian kremlin special envoy federal service
    """
)
_NOT_PEOPLE = (
    wordset(
        """
        istanbul ukraine russia turkey moscow kyiv ankara antalya nato kremlin the a an
        however but and in on as after earlier later thursday wednesday tuesday monday
        friday saturday sunday march april may june january europe european western
        washington us u.s. eu un
        """
    )
    | QUESTION_STARTERS
)


@dataclass
class Resolved:
    """The question to search with, and soft context terms from earlier turns."""

    question: str
    context_terms: list[str] = field(default_factory=list)
    rewritten: bool = False


def people(text: str) -> list[tuple[int, str]]:
    """(offset, name) of person-like names: capitalised runs, titles stripped, places skipped."""
    found = []
    for m in NAME_RUN.finditer(text):
        tokens = [t for t in m.group(0).split() if t.lower().strip("’'") not in _TITLE_WORDS]
        tokens = [t.removesuffix("’s").removesuffix("'s") for t in tokens]
        if not tokens or all(t.lower() in _NOT_PEOPLE for t in tokens):
            continue
        while tokens and tokens[0].lower() in _NOT_PEOPLE:
            tokens = tokens[1:]
        if tokens:
            found.append((m.start(), " ".join(tokens)))
    return found


def resolve(question: str, history: list[dict[str, str]]) -> Resolved:
    """Rewrite ``question`` against ``history`` (earlier turns, oldest first)."""
    users = [t["content"] for t in history if t.get("role") == "user" and t.get("content")]
    answers = [t["content"] for t in history if t.get("role") == "assistant" and t.get("content")]
    if not users:
        return Resolved(question)
    last_q = users[-1]
    last_a = answers[-1] if answers else ""
    if not MARKER.search(last_a):  # a refusal or an error names nobody
        last_a = ""
    context = list(dict.fromkeys(analyse(last_q)))
    referent = _referent(last_q, last_a)
    rewritten = question
    if referent and _PERSON_PRONOUN.search(question):
        # only the first pronoun: "did he say he would go" names the person once
        rewritten = _PERSON_PRONOUN.sub(lambda m: _inflect(m.group(0), referent), question, count=1)
    return Resolved(rewritten, context, rewritten != question)


def _referent(last_q: str, last_a: str) -> str | None:
    info = analyse_question(last_q)
    asked = people(last_q)
    if asked and _IDENTITY.match(last_q):  # "Who is Igor Kostyukov?": he is the one asked about
        return asked[0][1]
    if info.kind in ("who", "list") and last_a:
        asked_names = {n.lower() for _, n in asked}
        terms = set(info.content_terms)
        # the name closest to where the answer matches the question's own words
        spots = [i for i, w in _word_offsets(last_a) if set(analyse(w)) & terms]
        best: tuple[float, str] | None = None
        for offset, name in people(strip_markers(last_a)):
            if name.lower() in asked_names or any(name.lower() in a or a in name.lower() for a in asked_names):
                continue
            distance = min((abs(offset - s) for s in spots), default=offset)
            if best is None or distance < best[0]:
                best = (distance, name)
        if best:
            return best[1]
    if asked:
        return asked[0][1]
    found = people(strip_markers(last_a))
    return found[0][1] if found else None


def _word_offsets(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in re.finditer(r"\w+", text)]


def _inflect(pronoun: str, name: str) -> str:
    """The name in the pronoun's grammatical role."""
    lower = pronoun.lower()
    if lower in ("his", "hers"):
        return f"{name}’s"
    if lower == "her":
        return name  # "her" is ambiguous (object or possessive); the name reads fine either way
    return name
