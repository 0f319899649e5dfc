"""Keeping a process's memory near what it uses (glibc only; elsewhere no-ops).

glibc gives each thread that contends for the allocator an arena of its own, up to eight per
core, and keeps what was freed inside them. Two standard remedies: fewer arenas
(``M_ARENA_MAX``, what the ``MALLOC_ARENA_MAX`` variable sets), and handing freed pages back
(``malloc_trim``). The server uses both (:mod:`assistant.web.memory`); so does an ingest, whose
postings of a large document leave tens of megabytes freed but held.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
ARENAS = 2


@functools.cache
def _libc() -> Any:
    try:
        libc = ctypes.CDLL(None)  # the C library the process already runs on
    except OSError:
        return None
    if not (hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt")):
        return None
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas for the threads started from now on."""
    libc = _libc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, arenas))


def release_freed() -> bool:
    """Return the pages freed since the last call to the system."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))
