"""Keeping a long-running server's memory near what it uses (glibc only; elsewhere no-ops).

A server answering from a thread pool of 40 ends up holding tens of megabytes that no request
uses any more: it limits malloc's arenas (:func:`assistant.memory.limit_arenas`) and hands
freed pages back after answers (:class:`ReleaseAfterPost`).
"""

from __future__ import annotations

import threading
import time

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from ..memory import limit_arenas, release_freed

__all__ = ["ReleaseAfterPost", "limit_arenas", "release_freed"]

TRIM_EVERY = 1.0  # seconds: a trim walks the heap (0.3 ms here, tens of ms on a fragmented one)


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
