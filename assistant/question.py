"""Checking a question and working out what kind of answer it wants.

The analysis is deliberately plain (question word, content terms, names): the extractive
answerer needs it to rank sentences, the refusal gate needs it to know what must be covered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .errors import InvalidQuestion
from .lexical import analyse
from .textnorm import words, wordset

# Verbs and nouns that carry no evidence of their own ("what did X say", "tell me about").
LIGHT_TERMS = frozenset(
    analyse(
        "do does did done doing make made get got say said says tell told know happen happened "
        "give gave take took think want wanted role job mention mentioned describe "
        "described according article articles document documents source sources report reported "
        "explain please happen happening current currently talk talks who whom whose what when "
        "where why how which does last latest recent recently ever about also there then than "
        "some any many much very just big large"
    )
)

_KINDS = (
    ("howmany", re.compile(r"^\s*how\s+(many|much|long|old|big|large|high|far)\b", re.I)),
    ("when", re.compile(r"^\s*(when|what\s+(day|date|time|year|month))\b", re.I)),
    ("where", re.compile(r"^\s*(where|in\s+which\s+(city|country|place))\b", re.I)),
    ("who", re.compile(r"^\s*(who|whom|whose|which\s+(official|person|minister|leader))\b", re.I)),
    ("why", re.compile(r"^\s*why\b", re.I)),
    ("yesno", re.compile(r"^\s*(is|are|was|were|does|do|did|will|would|has|have|had|can|could)\b", re.I)),
    (
        "said",
        re.compile(r"\b(say|said|says|quote|quoted|remark|remarked|tell|told|state|stated)\b", re.I),
    ),
    ("list", re.compile(r"\b(list|members?|all\s+the|which\s+\w+\s+are|name\s+the)\b", re.I)),
)

_NAME = re.compile(r"\b([A-Z][\w’'\-]+(?:\s+(?:[A-Z][\w’'\-]+|da|de|von|van|al)\b)*)")


@dataclass(frozen=True)
class QuestionInfo:
    """What the answerer needs to know about a question."""

    text: str
    kind: str
    terms: list[str]
    names: list[str] = field(default_factory=list)

    @property
    def content_terms(self) -> list[str]:
        return [t for t in self.terms if t not in LIGHT_TERMS]


def validate(question: str, max_chars: int) -> str:
    """The question, stripped; :class:`InvalidQuestion` in plain words otherwise."""
    if question is None or not question.strip():
        raise InvalidQuestion("The question is empty. Type a question about the documents.")
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,}. Shorten it and ask again."
        )
    bad = [ch for ch in question if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"]
    if bad:
        raise InvalidQuestion(
            f"The question contains a control character (U+{ord(bad[0]):04X}). Remove it and ask again."
        )
    cleaned = " ".join(question.split())
    if not words(cleaned):
        raise InvalidQuestion("The question has no words in it. Type a question about the documents.")
    return cleaned


def is_history(data: object, roles: tuple[str, ...] = ("user", "assistant")) -> bool:
    """Whether ``data`` is a conversation: a list of ``{"role": ..., "content": "..."}``."""
    return isinstance(data, list) and all(
        isinstance(t, dict) and t.get("role") in roles and isinstance(t.get("content"), str) for t in data
    )


def analyse_question(question: str) -> QuestionInfo:
    kind = "what"
    for name, pattern in _KINDS:
        if pattern.search(question):
            kind = name
            break
    names = []
    for m in _NAME.finditer(question):
        name = m.group(1)
        first = name.split()[0].lower()
        if m.start() == 0 and first in QUESTION_STARTERS:
            rest = name.split(maxsplit=1)
            if len(rest) < 2:
                continue
            name = rest[1]
        before = question[: m.start()].split()[-1:]
        after = question[m.end() :]
        if before and before[0].lower() in _PLACE_PREPOSITIONS:
            continue  # "talks in Istanbul": a setting, not what the question is about
        possessive = name.endswith(("’s", "'s")) or re.match(r"[’']s\b", after)
        determiner = bool(before) and before[0].lower() in ("the", "a", "an", "this", "that")
        if re.match(r"\s+[a-z]", after) and not possessive and (_ADJECTIVAL.search(name) or determiner):
            continue  # "the Russian delegation", "the Istanbul talks": a modifier, not a name asked about
        names.append(name)
    return QuestionInfo(question, kind, analyse(question), names)


_ADJECTIVAL = re.compile(r"(ian|ish|ese|ean|can|ern|ic|i)$")
_PLACE_PREPOSITIONS = {"in", "at", "to", "from", "near", "outside", "inside", "into", "across"}

# Words that open a question and so are capitalised without being names.
QUESTION_STARTERS = wordset(
    """
    who whom whose what when where why how which is are was were does do did will would has
    have had can could and tell list name give describe explain according in on the
    """
)
