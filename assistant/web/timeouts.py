"""Deadlines uvicorn does not have: a connection must finish sending a request's headers within
``header_timeout`` seconds of starting it, and may pause no longer than ``body_timeout``
seconds while sending a body; otherwise it is closed.

uvicorn's own ``timeout_keep_alive`` only closes connections idle *between* requests, so a client
that opens a connection and sends a header line every few seconds (slowloris) holds a file
descriptor for ever; a few hundred of them exhaust the process's. A reverse proxy in front
(nginx's ``client_header_timeout`` / ``client_body_timeout``, 60 s by default) does the same job;
these deadlines hold when there is none.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("assistant.requests")


class TimelyHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and a body idle deadline."""

    header_timeout = 10.0  # set from the settings by :func:`configure`, in each worker
    body_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire, what)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, what: str) -> None:
        self._deadline = None
        if self.flow is not None and self.flow.read_paused:  # we stopped reading, not the client
            self._arm(self.body_timeout, what)
            return
        if not self.transport.is_closing():
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown"
            log.info("connection closed", extra={"event": "slow_client", "client": client, "waited_for": what})
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, "headers")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the next request on a kept-alive connection
            self._arm(self.header_timeout, "headers")

    def on_headers_complete(self) -> None:
        self._arm(self.body_timeout, "body")
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # a WebSocket lives on under its own protocol, with its own pings
        super().handle_websocket_upgrade()

    def on_body(self, body: bytes) -> None:
        self._arm(self.body_timeout, "body")
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def configure(header_timeout: float, body_timeout: float) -> type[TimelyHttp]:
    """The protocol class for ``uvicorn.run(http=...)``, with these deadlines. Class attributes,
    not a closure: with ``--workers`` each worker imports the class anew, and its app factory
    calls this again with the settings it was handed."""
    TimelyHttp.header_timeout, TimelyHttp.body_timeout = header_timeout, body_timeout
    return TimelyHttp
