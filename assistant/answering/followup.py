"""Turning a follow-up into a question that stands on its own, offline.

Two general moves of conversation, no knowledge of any corpus:

- **A pronoun** ("What did he do before that?", "Where was she?", "Who did he meet there?")
  is replaced by the entity the previous turn was about: for a "who" question, the name its
  answer gave (the one nearest the question's own words in the answer); otherwise the name
  the previous question asked about. "there" takes the place the previous turn named.
- **An ellipsis** ("And the Spanish one?", "What about Lisbon?") takes the previous question
  and swaps in the new words: each name of the follow-up replaces the previous question's name
  most similar to it (WordLlama word vectors), other words are added.

The previous question's terms are also kept as soft context for retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..text.analysis import analyse, stopwords
from ..text.embedding import embedder
from ..text.names import NAME_RUN
from ..text.normalise import wordset
from .citations import MARKER, split_answer
from .question import answer_type

_PERSON_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers|himself|herself)\b", re.I)
_THING_PRONOUN = re.compile(r"\b(they|them|their|it|its)\b", re.I)
_THERE = re.compile(r"\bthere\b", re.I)
_ELLIPSIS = re.compile(r"^\s*(and|what about|how about|and what about|same for|also)\b[\s,]*", re.I)
_PLACE_BEFORE = re.compile(r"\b(in|at|to|from|near|outside|inside|into)\s+(?:the\s+)?$", re.I)
_GENERIC = {"one", "ones", "the", "a", "an", "and", "about", "what", "how", "same", "also", "for"}
_OPENER_WORDS = wordset(
    """
    who whom whose what when where why how which is are was were do does did will would can
    could and but in on the a an
    """
)


@dataclass
class Resolved:
    """The question to search with, and soft context terms from earlier turns."""

    question: str
    context_terms: list[str] = field(default_factory=list)
    rewritten: bool = False


def names(text: str) -> list[tuple[int, str]]:
    """(offset, name) of the runs of capitalised words, less a sentence's capitalised opener."""
    found = []
    for m in NAME_RUN.finditer(text):
        run = m.group(0)
        words = run.split()
        while words and words[0].lower().strip("’'") in _OPENER_WORDS:
            words = words[1:]
        if words:
            name = " ".join(w.removesuffix("’s").removesuffix("'s") for w in words)
            found.append((m.start() + len(run) - len(" ".join(words)), name))
    return found


def resolve(question: str, history: list[dict[str, str]]) -> Resolved:
    """Rewrite ``question`` against ``history`` (earlier turns, oldest first)."""
    users = [t["content"] for t in history if t.get("role") == "user" and t.get("content")]
    answers = [t["content"] for t in history if t.get("role") == "assistant" and t.get("content")]
    if not users:
        return Resolved(question)
    last_q = users[-1]
    last_a = answers[-1] if answers and MARKER.search(answers[-1]) else ""  # a refusal names nobody
    context = list(dict.fromkeys(analyse(last_q)))
    rewritten = question
    m = _ELLIPSIS.match(question)
    if m or _is_fragment(question):
        rewritten = _merge(last_q, question[m.end() :] if m else question)
    elif _PERSON_PRONOUN.search(question) or _THING_PRONOUN.search(question):
        referent = _referent(last_q, last_a)
        if referent:
            pattern = _PERSON_PRONOUN if _PERSON_PRONOUN.search(question) else _THING_PRONOUN
            rewritten = pattern.sub(lambda p: _inflect(p.group(0), referent), question, count=1)
    if _THERE.search(rewritten):
        place = _place(last_q, last_a)
        if place:
            rewritten = _THERE.sub(f"in {place}", rewritten, count=1)
    return Resolved(rewritten, context, rewritten != question)


def _is_fragment(question: str) -> bool:
    """A question without a verb of its own, e.g. "Who chairs Acme's?" has one, "The Spanish
    one?" has not: no question word and at most three words."""
    words = re.findall(r"[\w’'-]+", question)
    return len(words) <= 3 and not re.match(r"^\s*(who|whom|whose|what|when|where|why|how|which)\b", question, re.I)


def _merge(previous: str, fragment: str) -> str:
    """The previous question with the fragment's names swapped in for their closest names there,
    and the fragment's other words added."""
    fragment = fragment.strip().rstrip("?.!").strip()
    new_names = [n for _, n in names(fragment)] or [
        w for w in re.findall(r"[\w’'-]+", fragment) if w[0].isupper() and w.lower() not in _GENERIC
    ]
    old_names = [n for _, n in names(previous)]
    result = previous.rstrip().rstrip("?").rstrip()
    if new_names and old_names:
        vectors_new = embedder().embed(new_names)
        vectors_old = embedder().embed(old_names)
        sims = vectors_new @ vectors_old.T
        for i, new in enumerate(new_names):
            old = old_names[int(np.argmax(sims[i]))]
            result = result.replace(old, new, 1)
        return f"{result}?"  # the names carry what is new; the rest is glue ("on the way to")
    rest = [w for w in re.findall(r"[\w’'-]+", fragment) if w.lower() not in _GENERIC]
    stop = stopwords()
    rest = [w for w in rest if w.lower() not in stop]
    return f"{result} {' '.join(rest)}?".replace(" ?", "?") if rest else f"{result}?"


def _referent(last_q: str, last_a: str) -> str | None:
    """The entity the previous turn was about: when it asked for someone or something, the name
    its answer gave (nearest the question's own words in the best sentence); otherwise the name
    it asked about. People's names ("Jane Smith") come before other capitalised words."""
    asked = names(last_q)
    if answer_type(last_q) in ("person", "thing") and last_a:
        asked_words = {w.lower() for _, n in asked for w in n.split()}
        first = split_answer(last_a)[0][0] if split_answer(last_a) else last_a  # the best sentence
        terms = set(analyse(last_q))
        spots = [m.start() for m in re.finditer(r"\w+", first) if set(analyse(m.group(0))) & terms]
        best: tuple[tuple[int, float], str] | None = None
        for offset, run in names(first):
            name = " ".join(w for w in run.split() if w.lower() not in asked_words)  # what the question lacked
            if not name:
                continue
            distance = min((abs(offset - s) for s in spots), default=offset)
            key = (0 if _person_like(name) else 1, distance)  # a person's name before "Acme's CFO"
            if best is None or key < best[0]:
                best = (key, name)
        if best and (answer_type(last_q) == "person" or _person_like(best[1])):
            return best[1]
    if asked:
        return sorted(asked, key=lambda a: (0 if _person_like(a[1]) else 1, a[0]))[0][1]
    found = names(last_a)
    return found[0][1] if found else None


def _person_like(name: str) -> bool:
    """Two or more capitalised words, none an acronym: "Jane Smith", not "Acme’s CFO"."""
    words = name.split()
    return len(words) >= 2 and not any(w.isupper() and len(w) > 1 for w in words)


def _place(last_q: str, last_a: str) -> str | None:
    """A name the previous turn put after "in", "at" or "to"; else the name its answer gave."""
    for text in (last_a, last_q):
        for offset, name in names(text):
            if _PLACE_BEFORE.search(text[:offset]):
                return name
    if answer_type(last_q) == "place" and last_a:
        asked = {n.lower() for _, n in names(last_q)}
        for _, name in names(last_a):
            if name.lower() not in asked:
                return name
    return None


def _inflect(pronoun: str, name: str) -> str:
    """The name in the pronoun's grammatical role."""
    if pronoun.lower() in ("his", "hers", "its", "their"):
        return f"{name}’s"
    return name
