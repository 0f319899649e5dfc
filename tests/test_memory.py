"""The server's allocator hygiene (`assistant/web/memory.py`): on glibc, the calls take effect;
freed pages are handed back after a POST, not after GETs, and not more than once a second."""

from __future__ import annotations

import asyncio
import platform

import httpx
import pytest

from assistant.settings import Settings
from assistant.web import memory

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt and malloc_trim")


@glibc
def test_arena_limit_and_release_take_effect() -> None:
    assert memory.limit_arenas()
    memory.release_freed()  # returns whether memory was released: either is fine, it must not fail


def test_freed_pages_are_released_after_posts_only(monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[str] = []
    monkeypatch.setattr(memory, "release_freed", lambda: released.append("trim") or True)

    async def app(scope, receive, send) -> None:  # a minimal ASGI app answering every request
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=memory.ReleaseAfterPost(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            codes = [(await client.get("/")).status_code]
            codes += [(await client.post("/api/ask")).status_code for _ in range(5)]  # within a second
            return codes

    assert asyncio.run(run()) == [200] * 6
    assert released == ["trim"]


def test_a_request_is_logged_and_counted_before_the_trim_that_follows_it(
    monkeypatch: pytest.MonkeyPatch, seed_settings: Settings
) -> None:
    """The trim runs after the response is sent; a scrape made right after the answer (another
    worker's, say) must already see the request counted, and its logged time must not include the trim."""
    import logging

    from assistant.web.app import create_app
    from assistant.web.observe import LOGGER

    order: list[str] = []
    monkeypatch.setattr(memory, "release_freed", lambda: order.append("trim") or True)

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if getattr(record, "event", None) == "request":
                order.append(f"logged {record.__dict__['route']}")

    handler = Seen()
    logging.getLogger(LOGGER).addHandler(handler)
    try:
        app = create_app(seed_settings.model_copy(update={"metrics": True}))

        async def run() -> int:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.post("/api/ask", json={"question": "Who met in Istanbul?"})
                return response.status_code

        assert asyncio.run(run()) == 200
    finally:
        logging.getLogger(LOGGER).removeHandler(handler)
    assert order == ["logged /api/ask", "trim"]
