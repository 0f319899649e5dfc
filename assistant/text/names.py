"""Names: the one pattern for capitalised words and runs of them, in any alphabet.

A name is a run of capitalised words ("Gabriel García Márquez", "Лев Толстой"), allowing the
lower-case particles that sit inside names in many languages ("Charles de Gaulle", "Ludwig van Beethoven").
Unicode letter classes (the ``regex`` library) keep this free of any one language's letters.
"""

from __future__ import annotations

import regex

from .normalise import wordset

_WORD = r"(?:\p{Lu}\.(?:\p{Lu}\.)+|\p{Lu}[\p{L}\p{M}\p{Nd}’'\-]*)"  # "U.S." or "Gdańsk"
_PARTICLES = r"(?:da|de|di|do|dos|du|del|della|der|den|van|von|la|le|al|el|bin|ibn|ben|y)"

CAPITALISED = regex.compile(rf"(?<![\p{{L}}\p{{M}}])({_WORD})")
NAME_RUN = regex.compile(rf"(?<![\p{{L}}\p{{M}}]){_WORD}(?:\s+(?:{_WORD}|{_PARTICLES}(?=\s+\p{{Lu}})))*")


def capitalised(text: str) -> list[str]:
    """Every capitalised word of ``text``, in order."""
    return CAPITALISED.findall(text)


def name_runs(text: str, min_words: int = 1) -> list[tuple[int, str]]:
    """(offset, run) of each run of capitalised words with at least ``min_words`` words."""
    return [(m.start(), m.group(0)) for m in NAME_RUN.finditer(text) if len(m.group(0).split()) >= min_words]


def initials(run: str) -> str:
    """The lower-case initials of a run of capitalised words ("The European Union" gives "eu"),
    a leading stop word left out: what an acronym of the name would be."""
    from .analysis import stopwords

    words = run.split()
    stop = stopwords()
    while words and words[0].lower() in stop:
        words = words[1:]
    return "".join(w[0] for w in words if w[:1].isupper()).lower()


def acronyms(text: str) -> set[str]:
    """The initials of every run of two or more capitalised words, as stems would be spelled."""
    return {initials(run) for _, run in name_runs(text, min_words=2)}


# Words that open a sentence capitalised without being names.
OPENERS = wordset(
    """
    however meanwhile earlier later according both several currently despite since although
    yes also but and so then there here this that these those it its he she they his her
    their the a an in on at for with after before while when if as no not nevertheless still
    during by from to of many most some other another each every all one two three first
    """
)


def opens(text: str, word: str) -> bool:
    """Whether ``word`` opens ``text`` capitalised only because it opens it ("However", "The")."""
    from .analysis import stopwords

    low = word.lower()
    return text.lstrip(" “\"'‘(").startswith(word) and (low in OPENERS or low in stopwords())


def names(text: str) -> list[tuple[int, str]]:
    """(offset, run) of the names in a sentence: runs of capitalised words, less a one-word run
    that is only capitalised because it opens the sentence."""
    runs = name_runs(text)
    if runs and len(runs[0][1].split()) == 1 and not text[: runs[0][0]].strip(" “\"'‘(") and opens(text, runs[0][1]):
        runs = runs[1:]
    return runs


def common_word(word: str) -> bool:
    """Whether a capitalised word is an ordinary word ("Speaking", "Three", "Doubting") rather
    than a name, read from the embedder's sub-word vocabulary, a general resource built from
    running text: an ordinary word is one token in lower case, or fewer tokens in lower case than
    capitalised; names split at least as finely in lower case ("Okafor", "Renshaw", "London")."""
    from .embedding import embedder

    tokenizer = embedder().tokenizer
    lower = tokenizer.encode(f" {word.lower()}", add_special_tokens=False).tokens
    capital = tokenizer.encode(f" {word[:1].upper()}{word[1:]}", add_special_tokens=False).tokens
    lower, capital = [t for t in lower if t != "▁"], [t for t in capital if t != "▁"]
    return len(lower) == 1 or len(lower) < len(capital)
