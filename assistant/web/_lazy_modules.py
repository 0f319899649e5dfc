"""Import a module only when something first uses it.

Gradio imports pandas at the top of ``gradio.caching`` (for hashing DataFrames passed to its
``gr.cache``), and the page uses neither: pandas' 294 modules cost a server about 25 MB and
0.15 s of the page's build for nothing. :func:`defer` puts a stand-in in ``sys.modules`` that
imports the real module on its first attribute read (``pd.DataFrame``, a submodule import's
``__path__``) and from then on forwards to it, so any code that does use it still gets it.

``importlib.util.LazyLoader`` cannot do this on Python 3.11: the ``import`` statement itself
reads the module's ``__spec__``, which makes it load at once.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_loading = threading.RLock()  # re-entrant: an import that reads the stand-in must not deadlock


class _Deferred(types.ModuleType):
    """Stands for a module not imported yet; the first attribute read imports it."""

    def __getattr__(self, name: str) -> Any:  # only called for what the stand-in lacks
        return getattr(_load(self.__name__, self), name)


def _load(name: str, stand_in: _Deferred) -> types.ModuleType:
    with _loading:
        current = sys.modules.get(name)
        if current is not None and current is not stand_in:
            return current
        sys.modules.pop(name, None)
        try:
            return importlib.import_module(name)
        except BaseException:
            sys.modules.setdefault(name, stand_in)
            raise


def defer(name: str) -> bool:
    """Stand in for top-level module ``name`` until it is used; ``False`` when it is already
    imported or not installed (then nothing changes)."""
    if name in sys.modules or "." in name:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None:
        return False
    stand_in = _Deferred(name)
    stand_in.__spec__ = spec  # what ``importlib.util.find_spec(name)`` answers meanwhile
    sys.modules[name] = stand_in
    return True


def is_loaded(name: str) -> bool:
    """Whether the real module ``name`` has been imported."""
    return name in sys.modules and not isinstance(sys.modules[name], _Deferred)
