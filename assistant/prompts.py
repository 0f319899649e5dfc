"""Prompt templates, kept as versioned files in ``prompts/``.

Each file starts with ``<!-- version: N -->``; the version and a hash of the text go into
every eval report, so a result can always be traced to the prompt that produced it.
Placeholders use ``$name`` (``string.Template``), which leaves JSON braces in prompts alone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_VERSION = re.compile(r"^<!--\s*version:\s*(\S+)\s*-->\s*\n")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    sha256: str
    text: str

    def render(self, **values: str) -> str:
        return Template(self.text).substitute(**values)

    def describe(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


def load(name: str, folder: Path = PROMPTS_DIR) -> Prompt:
    raw = (folder / f"{name}.md").read_text(encoding="utf-8")
    m = _VERSION.match(raw)
    if not m:
        raise ValueError(f"prompts/{name}.md must start with '<!-- version: N -->'")
    return Prompt(name, m.group(1), hashlib.sha256(raw.encode()).hexdigest(), raw[m.end() :])
