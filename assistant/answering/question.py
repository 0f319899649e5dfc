"""Checking a question and working out what kind of answer it wants.

The analysis is deliberately plain (question word, content terms, names): the extractive
answerer needs it to rank sentences, the refusal gate needs it to know what must be covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text.analysis import analyse
from ..text.names import NAME_RUN
from ..text.normalise import wordset

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


def analyse_question(question: str) -> QuestionInfo:
    kind = "what"
    for name, pattern in _KINDS:
        if pattern.search(question):
            kind = name
            break
    names = []
    for m in NAME_RUN.finditer(question):
        name = m.group(0)
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
