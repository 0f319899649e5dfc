"""Keeping a long-running server's memory near what it uses (glibc only; elsewhere no-ops).

glibc gives each thread that contends for the allocator an arena of its own, up to eight per
core, and keeps what a request freed inside them. A server answering from a thread pool of 40
ends up holding tens of megabytes that no request uses any more. Two standard remedies:
fewer arenas (``M_ARENA_MAX``, what the ``MALLOC_ARENA_MAX`` variable sets), and handing freed
pages back after each answer (``malloc_trim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
ARENAS = 2


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas for the threads started from now on."""
    libc = _libc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, arenas))


def release_freed() -> bool:
    """Return the pages freed since the last call to the system."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))


class ReleaseAfterPost:
    """ASGI middleware: after each POST (an answer), freed pages go back to the system."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope.get("method") == "POST":
            release_freed()
