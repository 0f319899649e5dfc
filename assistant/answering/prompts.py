"""Prompt templates, kept as versioned files in the top-level ``prompts/`` folder.

The wheel ships that folder as the data package ``assistant.prompts`` (see ``package-dir`` in
pyproject.toml), so an installed assistant finds its prompts wherever it runs; a bare source
checkout reads the folder itself. Each file starts with ``<!-- version: N -->``; the version
and a hash of the text go into every eval report, so a result can always be traced to the prompt that produced it.
Placeholders use ``$name`` (``string.Template``), which leaves JSON braces in prompts alone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from string import Template

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


def prompts_dir() -> Traversable:
    """The installed prompts, or ``prompts/`` of the source checkout this module sits in."""
    try:
        return resources.files("assistant.prompts")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "prompts"


def load(name: str, folder: Traversable | None = None) -> Prompt:
    raw = ((folder or prompts_dir()) / f"{name}.md").read_text(encoding="utf-8")
    m = _VERSION.match(raw)
    if not m:
        raise ValueError(f"prompts/{name}.md must start with '<!-- version: N -->'")
    return Prompt(name, m.group(1), hashlib.sha256(raw.encode()).hexdigest(), raw[m.end() :])
