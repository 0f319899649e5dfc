"""The server's allocator hygiene (`assistant/web/memory.py`): on glibc, the calls take effect;
freed pages are handed back after a POST, not after GETs, and not more than once a second."""

from __future__ import annotations

import asyncio
import platform

import httpx
import pytest

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
