"""What the last ingest saw of each file (size, times, inode, and its sidecar's), so the next
one does not read and hash a file that has not changed: with 7,000 documents, reading them all
took half a second of a one-document update.

The same trust rule as git's index: a file's ``ctime`` changes on every write, rename into
place or metadata change, and no user can set it back, so a file whose stat matches the one
recorded did not change. A stat is recorded only when the file was last changed at least
:data:`SETTLED` seconds before it was read; a file written in the same clock tick as the read
could otherwise keep its stat and hide its new text. The cache is a plain file beside the
snapshots, not part of them: losing it costs one full read, never a wrong answer, and
``ingest --rebuild`` ignores it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .corpus import SIDECAR_SUFFIX, Source
from .snapshot import replace_text

FILE = "seen.json"
VERSION = 1
SETTLED = 2.0  # seconds between a file's last change and its read before its stat is trusted


def fingerprint(source: Source) -> str | None:
    """The file's stat and its sidecar's as one string; None if the file cannot be stat'ed."""
    try:
        st = os.stat(source.path)
    except OSError:
        return None
    parts = [f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"]
    try:
        side = os.stat(source.path.with_name(source.path.name + SIDECAR_SUFFIX))
        parts.append(f"{side.st_ino}:{side.st_size}:{side.st_mtime_ns}:{side.st_ctime_ns}")
    except FileNotFoundError:
        parts.append("-")
    except OSError:
        return None
    return "|".join(parts)


def settled(print_: str, now_ns: int) -> bool:
    """Whether every change time in the fingerprint is :data:`SETTLED` seconds older than ``now_ns``."""
    limit = now_ns - int(SETTLED * 1e9)
    return all(int(part.rsplit(":", 1)[1]) < limit for part in print_.split("|") if part != "-")


class Seen:
    """doc id → (fingerprint, sha256 of the version read with that fingerprint)."""

    def __init__(self, entries: dict[str, tuple[str, str]] | None = None) -> None:
        self.entries = entries or {}
        self.fresh: dict[str, tuple[str, str]] = {}

    @classmethod
    def load(cls, index_dir: Path) -> Seen:
        try:
            data = json.loads((index_dir / FILE).read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                return cls()
            return cls({k: (str(v[0]), str(v[1])) for k, v in data["files"].items()})
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return cls()  # no cache, or a damaged one: every file is read

    def unchanged(self, source: Source, sha256: str) -> bool:
        """Whether the file still has the stat recorded for this version (so it need not be read)."""
        known = self.entries.get(source.doc_id)
        if known is None or known != (fingerprint(source), sha256):
            return False
        self.fresh[source.doc_id] = known
        return True

    def read(self, source: Source, before: str | None, sha256: str, read_at_ns: int) -> None:
        """Record a file just read: ``before`` is its fingerprint taken before the read."""
        if before is not None and before == fingerprint(source) and settled(before, read_at_ns):
            self.fresh[source.doc_id] = (before, sha256)

    def save(self, index_dir: Path) -> None:
        """Write what this run saw (only the files it visited), when it differs from what was loaded."""
        if self.fresh == self.entries:
            return
        data = {"version": VERSION, "files": {k: list(v) for k, v in sorted(self.fresh.items())}}
        replace_text(index_dir / FILE, json.dumps(data, separators=(",", ":")))
