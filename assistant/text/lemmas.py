"""English lemmas the stemmer cannot reach: "led" → "lead", "met" → "meet", "mice" → "mouse".

The forms come from simplemma's English dictionary (Barbaresi, MIT licence): of its 180,000
word → lemma pairs, only the ~7,400 where the lemma's Snowball stem differs from the word's
are kept, since for every other word the stemmer alone gives the same term. Reading that
small table costs a few milliseconds; decoding simplemma's whole dictionary costs a fifth of a
second on every start. ``python -m assistant.text.lemmas`` rewrites the table from the
installed simplemma (a test checks the shipped table against it).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

TABLE = "lemmas_en.json"


@functools.cache
def table() -> dict[str, str]:
    return json.loads(resources.files("assistant.text").joinpath(TABLE).read_text(encoding="utf-8"))


def lemma(word: str) -> str:
    """The lemma of a lower-case word when the stemmer would miss it, else the word itself."""
    return table().get(word, word)


def build() -> dict[str, str]:
    """The table, from the installed simplemma's English dictionary."""
    import Stemmer
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    stemmer = Stemmer.Stemmer("english")
    out = {}
    for form, lem in DefaultDictionaryFactory().get_dictionary("en").items():
        word, base = (x if isinstance(x, str) else x.decode() for x in (form, lem))
        if word.isalpha() and word.islower() and base.islower() and stemmer.stemWord(word) != stemmer.stemWord(base):
            out[word] = base
    return dict(sorted(out.items()))


if __name__ == "__main__":
    path = Path(__file__).with_name(TABLE)
    built = build()
    path.write_text(json.dumps(built, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(built)} lemmas written to {path}")
