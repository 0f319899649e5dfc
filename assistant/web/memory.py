"""Keeping a long-running server's memory near what it uses (glibc only; elsewhere no-ops).

glibc gives each thread that contends for the allocator an arena of its own, up to eight per
core, and keeps what a request freed inside them. A server answering from a thread pool of 40
ends up holding tens of megabytes that no request uses any more. Two standard remedies:
fewer arenas (``M_ARENA_MAX``, what the ``MALLOC_ARENA_MAX`` variable sets), and handing freed
pages back (``malloc_trim``) after answers.
"""

from __future__ import annotations

import ctypes
import functools
import threading
import time
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
ARENAS = 2
TRIM_EVERY = 1.0  # seconds: a trim walks the heap (0.3 ms here, tens of ms on a fragmented one)


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


class ReleaseAfterPost:
    """ASGI middleware: after a POST (an answer), freed pages go back to the system, in a worker
    thread, one trim at a time and at most one per :data:`TRIM_EVERY`, so neither the event loop
    nor a client sending many POSTs can make the server spend its time trimming."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._busy = threading.Lock()
        self._last = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] != "http" or scope.get("method") != "POST":
            return
        if time.monotonic() - self._last < TRIM_EVERY or not self._busy.acquire(blocking=False):
            return
        try:
            self._last = time.monotonic()
            await anyio.to_thread.run_sync(release_freed)
        finally:
            self._busy.release()
