"""What a question asks for: its answer type, its content terms, the names and numbers in it.

Plain, general rules of English questions (question words → answer types), no knowledge of any
corpus: the signals the ranker weighs are computed against this analysis.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import regex

from ..text.analysis import analyse
from ..text.names import capitalised
from ..text.negation import is_negated
from ..text.normalise import words
from ..text.quantities import numbers_in

# Answer types, tried in order on the question from its question word on.
ANSWER_TYPES = ("quantity", "time", "place", "person", "reason", "manner", "yesno", "thing")
_PLACE_NOUNS = r"(?:city|cities|country|countries|place|places|region|regions|state|states|town|towns|location|area|continent|nation|island|province|capital)"  # noqa: E501
_TIME_NOUNS = r"(?:year|years|date|day|month|time|century|decade|period|era|season|age)"
_PERSON_NOUNS = r"(?:person|people|man|men|woman|women|individual|individuals|official|officials|leader|leaders)"
_QUANTITY_NOUNS = (
    r"(?:number|percentage|percent|proportion|share|amount|total|size|rate|fraction|population|price|cost|fee|fare|"
    r"salary|wage|budget|height|length|width|depth|weight|distance|speed|temperature|capacity|volume|area|duration|"
    r"toll|turnout|attendance)"
)
_TYPES = (
    (
        "quantity",
        rf"^how\s+(?:many|much|long|large|big|high|far|old|often|tall|wide|deep|heavy|fast|much)\b"
        rf"|^(?:what|which)\s+(?:(?:is|was|are|were|will\s+be)\s+(?:the\s+)?)?{_QUANTITY_NOUNS}\b",
    ),
    (
        "time",
        rf"^when\b|^(?:what|which)\s+{_TIME_NOUNS}\b|^since\s+when\b|^how\s+(?:early|late|soon)\b|^until\s+when\b",
    ),
    ("place", rf"^where\b|^(?:what|which)\s+{_PLACE_NOUNS}\b"),
    ("person", rf"^(?:who|whom|whose)\b|^(?:what|which)\s+{_PERSON_NOUNS}\b"),
    ("reason", r"^why\b|^for\s+what\s+reason\b"),
    ("manner", r"^how\b"),
    ("yesno", r"^(?:is|are|was|were|do|does|did|will|would|can|could|has|have|had|should|shall|may|might|must)\b"),
)
_COMPILED = [(kind, re.compile(pattern, re.I)) for kind, pattern in _TYPES]
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.I)
_SETTING = regex.compile(r"\b(?:in|at|to|from|near|outside|inside|into|across)\s+(?:the\s+)?(\p{Lu}[\p{L}’'\-]*)")
_LEADING = re.compile(
    r"^(?:(?:and|but|so|also|then|now|ok|okay|please|tell me|do you know|can you tell me)[\s,]+)+", re.I
)

# Terms that carry no evidence of their own ("what did X say", "according to the documents").
_LIGHT_WORDS = (
    "do does did done doing make made get got give gave take took happen happened happening "
    "thing things kind type sort name named call called refer referred one ones something "
    "according article articles document documents text texts source sources passage "
    "tell know explain describe mention please also ever much many"
)


# The kind of value an answer must state, by answer type: a "how many" question is not answered
# by a sentence without a number, nor a "who" question by one without a name.
REQUIRED_KIND = {"quantity": "number", "time": "time", "person": "name", "place": "name"}


@functools.cache
def light_terms() -> frozenset[str]:
    """The analysed forms of the light words (computed on first use: it loads the lemmatiser)."""
    return frozenset(analyse(_LIGHT_WORDS))


@dataclass(frozen=True)
class QuestionInfo:
    """A question as the ranker sees it."""

    text: str
    answer_type: str
    terms: list[str]
    content_terms: list[str]
    names: list[str] = field(default_factory=list)  # stems of capitalised words, question word excluded
    setting: list[str] = field(default_factory=list)  # names after "in", "at", "to" ...: where, not who
    numbers: list[float] = field(default_factory=list)
    negated: bool = False
    words: list[str] = field(default_factory=list)  # content words as written, for word vectors


def answer_type(question: str) -> str:
    """The kind of thing the question asks for, read from its question word on."""
    text = _LEADING.sub("", question.strip())
    for kind, pattern in _COMPILED:
        if kind == "yesno":
            continue
        m = _WH.search(text)
        if m and pattern.search(text[m.start() :]):
            return kind
    for kind, pattern in _COMPILED:
        if pattern.search(text):
            return kind
    return "thing"


def analyse_question(question: str) -> QuestionInfo:
    terms = analyse(question)
    light = light_terms()
    content = [t for t in dict.fromkeys(terms) if t not in light]
    caps = capitalised(question)
    first = question.lstrip(" \"'“‘(").split(maxsplit=1)[0] if question.strip() else ""
    if caps and first.startswith(caps[0]):
        caps = caps[1:]  # the first word is capitalised because it opens the sentence
    names = [t for t in dict.fromkeys(analyse(" ".join(caps))) if t in content]
    setting = [
        t for t in dict.fromkeys(analyse(" ".join(m.group(1) for m in _SETTING.finditer(question)))) if t in names
    ]
    content_words = [w for w in dict.fromkeys(words(question)) if (a := analyse(w)) and a[0] in content]
    return QuestionInfo(
        text=question,
        answer_type=answer_type(question),
        terms=terms,
        content_terms=content,
        names=names,
        setting=setting,
        numbers=numbers_in(question),
        negated=is_negated(question),
        words=content_words,
    )
