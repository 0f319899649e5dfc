"""Importing Chroma without its development-time signature checks.

Chroma decorates some 160 methods with ``overrides.override``, which at import time reads each
class statement's bytecode to find its base classes and compares every signature with theirs:
a check for Chroma's own developers that cost 0.25-0.35 s of the 0.8-1.1 s of
``import chromadb`` measured here, paid again by every one-shot ``assistant ask``. Before Chroma
is imported, the decorator is replaced by one that only marks the method as an override (what
``EnforceOverrides`` looks for), as the package itself does when its checks pass.
Nothing else changes: the same methods, the same classes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _marked(method: F | None = None, **_: Any) -> Any:
    """``@override`` and ``@override(...)`` without the checks: the method, marked."""
    if method is None:
        return _marked
    method.__override__ = True  # type: ignore[attr-defined]
    return method


def skip_override_checks() -> None:
    """Replace the decorator, if Chroma has not been imported yet (else it is too late, and
    harmless to leave)."""
    if "chromadb" in sys.modules:
        return
    try:
        import overrides
    except ImportError:  # a Chroma that no longer uses it
        return
    overrides.override = overrides.overrides = _marked
