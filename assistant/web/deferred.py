"""The Gradio page, built after the server has started.

Importing Gradio and building the page take most of a server's start (measured on a 113,780-
chunk index: 2.7 s and 1.1 s of 5.2 s), and the JSON API, the widget and the health check need
neither. So the server starts listening as soon as the index is open, and the page is built in a
thread meanwhile, once no request has been in flight for :data:`QUIET` seconds (building holds
Python's lock for long stretches: a question asked during it took 670 ms instead of 75); until
it is ready, its paths answer 503 with ``Retry-After`` and a page that
reloads itself, and ``/api/health`` says ``"page": "starting"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

import anyio.to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("assistant.server")

RETRY_SECONDS = 2
QUIET = 0.3  # seconds without a request in flight before the page is built
MOST_WAIT = 5.0  # seconds after which it is built however busy the server is
STARTING_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    f"<meta http-equiv='refresh' content='{RETRY_SECONDS}'><title>Istanbul talks assistant: starting</title>"
    "</head><body><main><h1>Istanbul talks assistant</h1>"
    "<p role='status'>The page is starting; it reloads by itself in a moment.</p></main></body></html>"
)


class Traffic:
    """Whether requests are in flight, and since when none has been (:class:`CountRequests`)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.since = time.monotonic()

    async def quiet(self) -> None:
        """Return once no request has been in flight for :data:`QUIET` seconds, or after
        :data:`MOST_WAIT` seconds (a busy server, a long stream, a monitor polling fast)."""
        deadline = time.monotonic() + MOST_WAIT
        while (self.in_flight or time.monotonic() - self.since < QUIET) and time.monotonic() < deadline:
            await asyncio.sleep(QUIET / 3)


class CountRequests:
    """ASGI middleware keeping a :class:`Traffic` up to date."""

    def __init__(self, app: ASGIApp, traffic: Traffic) -> None:
        self.app = app
        self.traffic = traffic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.traffic.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.traffic.in_flight -= 1
            self.traffic.since = time.monotonic()


class DeferredPage:
    """An ASGI app that forwards to the Gradio app once :meth:`running` has built it."""

    def __init__(self, build: Callable[[], FastAPI], traffic: Traffic | None = None) -> None:
        self._build = build
        self._traffic = traffic
        self._app: FastAPI | None = None
        self.failed: str | None = None  # why the page could not be built, for /api/health

    @property
    def state(self) -> str:
        return "ready" if self._app is not None else "failed" if self.failed else "starting"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is not None:
            await self._app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # try again later
            return
        if scope["type"] != "http":
            return
        body = STARTING_PAGE.encode() if not self.failed else b"The page could not be started; see the server log."
        await send({
            "type": "http.response.start", "status": 503,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"retry-after", str(RETRY_SECONDS).encode()),
                        (b"cache-control", b"no-store"), (b"content-length", str(len(body)).encode())],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the server's lifespan: build the page in the background and run its own start-up
        and shutdown (Gradio's queue) inside the server's."""
        stop = asyncio.Event()
        task = asyncio.create_task(self._serve(stop))
        try:
            yield
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=30)

    async def _serve(self, stop: asyncio.Event) -> None:
        if self._traffic is not None:
            await self._traffic.quiet()
        try:
            app = await anyio.to_thread.run_sync(self._build)
        except Exception as exc:  # the API keeps answering; the page says it could not start
            self.failed = f"{type(exc).__name__}: {exc}"
            log.exception("the page could not be built", extra={"event": "page_failed"})
            return
        if stop.is_set():  # the server stopped meanwhile
            return
        async with app.router.lifespan_context(app):
            self._app = app
            log.info("page ready", extra={"event": "page_ready"})
            await stop.wait()
