"""The eval suites: which golden set is asked of which corpus, and which of them are held out."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .golden import GoldenError

SUITES = Path("evals/suites.toml")
SET_QUESTIONS = "questions.jsonl"  # in each folder of a ``sets`` suite, beside its documents


@dataclass(frozen=True)
class Suite:
    name: str
    golden: Path
    corpus: list[Path] | None  # folders indexed together; None: the configured index, as it is
    expect_refusal: bool = False  # every case must be refused (a corpus without the answers)
    held_out: bool = False  # never fitted or tuned on
    baseline: bool = False  # also gated case by case against baseline.json
    about: str = ""
    claims: str | None = None  # a claim-check suite: the part (fit, validation) of labelled claims
    sets: Path | None = None  # a folder of small corpora, each with its own questions.jsonl

    def golden_files(self) -> list[Path]:
        """The golden file, or each set's questions."""
        if self.sets is None:
            return [self.golden]
        return sorted(self.sets.glob(f"*/{SET_QUESTIONS}"))


def load(path: Path = SUITES) -> dict[str, Suite]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GoldenError(f"{path}: cannot be read as TOML ({exc})") from exc
    suites = {}
    for name, raw in data.get("suites", {}).items():
        if "golden" not in raw and "sets" not in raw:
            raise GoldenError(f"{path}: suite {name!r} needs a 'golden' file or a folder of 'sets'")
        sets = Path(raw["sets"]) if raw.get("sets") else None
        suites[name] = Suite(
            name=name,
            golden=Path(raw.get("golden", sets)),
            corpus=[Path(c) for c in ([raw["corpus"]] if isinstance(raw["corpus"], str) else raw["corpus"])]
            if raw.get("corpus")
            else None,
            expect_refusal=bool(raw.get("expect_refusal", False)),
            held_out=bool(raw.get("held_out", False)),
            baseline=bool(raw.get("baseline", False)),
            about=str(raw.get("about", "")),
            claims=str(raw["claims"]) if raw.get("claims") else None,
            sets=sets,
        )
    return suites


def ad_hoc(golden: Path, corpus: list[Path] | None = None) -> Suite:
    """A suite for a golden file given on the command line, named after the file."""
    return Suite(name=golden.stem, golden=golden, corpus=corpus, baseline=True)
