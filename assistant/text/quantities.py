"""Numbers, dates and durations in text: what a "how many" or "when" question wants to find.

Month and weekday names come from the ``calendar`` module; number words are the plain English
cardinals. Values are also normalised ("thirty days" and "30-day" both give 30), so that two
passages can be compared on the value they state, not on how they write it.
"""

from __future__ import annotations

import calendar
import re

MONTHS = [m.lower() for m in calendar.month_name[1:]]
WEEKDAYS = [d.lower() for d in calendar.day_name]
_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
NUMBER_WORDS |= {"dozen": 12, "half": 0}

_WORDS = "|".join(sorted([*NUMBER_WORDS, *_SCALES], key=len, reverse=True))
NUMBER = re.compile(
    rf"(?<![\w.])(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?(?:%|st|nd|rd|th|s)?(?![\w])|\b(?:{_WORDS})(?:[\s-]+(?:{_WORDS}))*\b",
    re.I,
)
YEAR = re.compile(r"(?<![\w.,])(1[0-9]{3}|20[0-9]{2})s?(?![\w])")
CENTURY = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)\s+centur(?:y|ies)\b|\b\w+\s+centur(?:y|ies)\b", re.I)
DATE_WORD = re.compile(rf"\b((?:{'|'.join(WEEKDAYS)}|weekend)s?|{'|'.join(MONTHS)}|yesterday|today|tomorrow)\b", re.I)
_ORDINAL_WORDS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
ORDINAL_WORDS: dict[str, int] = {w: i for i, w in enumerate(_ORDINAL_WORDS, start=1)}
ORDINAL = re.compile(rf"\b(?:\d+(?:st|nd|rd|th)|{'|'.join(_ORDINAL_WORDS)})\b", re.I)
CLOCK = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:a\.m\.|p\.m\.|am\b|pm\b)|\b\d{1,2}:\d{2}\b|\b(?:noon|midnight|o'clock)\b", re.I
)
RELATIVE_TIME = re.compile(
    rf"\b(?:\d+|{_WORDS}|a|an|several|few)\s+(?:years?|months?|weeks?|days?|decades?|centuries|hours?)\s+"
    r"(?:ago|later|earlier|before|after|afterwards)\b"
    r"|\b(?:day|week|month|year|season|round)\s+\d+\b",  # "on day 4", "in week 12": a numbered period
    re.I,
)
DURATION_UNITS = ("second", "minute", "hour", "day", "week", "month", "year", "decade", "century")


def has_number(text: str) -> bool:
    return bool(NUMBER.search(text))


def has_date(text: str) -> bool:
    """A year, a century, a month or weekday name, or a relative day."""
    return bool(YEAR.search(text) or DATE_WORD.search(text) or CENTURY.search(text))


def number_value(token: str) -> float | None:
    """The value of a written number ("30", "1,200", "thirty", "two hundred", "30-day" → 30)."""
    text = token.lower().replace(",", "").strip()
    m = re.match(r"^(\d+(?:\.\d+)?)", text)
    if m:
        return float(m.group(1))
    total, current, found = 0, 0, False
    for word in re.split(r"[\s-]+", text):
        if word in NUMBER_WORDS:
            current += NUMBER_WORDS[word]
            found = True
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
            found = True
        else:
            break
    return float(total + current) if found else None


def numbers_in(text: str) -> list[float]:
    """The values of every number in ``text``, years included."""
    out = []
    for m in NUMBER.finditer(text):
        value = number_value(m.group(0))
        if value is not None:
            out.append(value)
    return out
