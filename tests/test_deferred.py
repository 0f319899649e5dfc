"""The page is built after the server starts: until then its paths say so plainly (503,
Retry-After, a page that reloads itself), and everything else answers."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.web import deferred
from assistant.web.deferred import CountRequests, DeferredPage, Traffic


def _server(build: Callable[[], FastAPI]) -> tuple[FastAPI, DeferredPage]:
    traffic = Traffic()
    page = DeferredPage(build, traffic)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with page.running():
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"page": page.state}

    app.add_middleware(CountRequests, traffic=traffic)
    app.mount("/", page)
    return app, page


def _page() -> FastAPI:
    built = FastAPI()

    @built.get("/")
    def index() -> dict[str, str]:
        return {"page": "the real one"}

    return built


def test_the_api_answers_while_the_page_is_built_and_the_page_follows() -> None:
    release = threading.Event()

    def slow_build() -> FastAPI:
        release.wait(30)
        return _page()

    app, page = _server(slow_build)
    with TestClient(app) as client:
        assert client.get("/api/health").json() == {"page": "starting"}
        waiting = client.get("/")
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == str(deferred.RETRY_SECONDS)
        assert "reloads by itself" in waiting.text and "http-equiv='refresh'" in waiting.text
        release.set()
        deadline = time.monotonic() + 10
        while page.state != "ready" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/api/health").json() == {"page": "ready"}
        assert client.get("/").json() == {"page": "the real one"}


def test_a_page_that_cannot_be_built_leaves_the_api_answering() -> None:
    def broken() -> FastAPI:
        raise RuntimeError("no theme")

    app, page = _server(broken)
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while page.state == "starting" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/api/health").json() == {"page": "failed"}
        failed = client.get("/")
        assert failed.status_code == 503 and "could not be started" in failed.text and "Traceback" not in failed.text


def test_the_page_waits_for_a_quiet_moment_but_not_for_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deferred, "MOST_WAIT", 0.5)
    traffic = Traffic()
    traffic.in_flight = 1  # a stream that never ends
    started = time.monotonic()
    asyncio.run(traffic.quiet())
    assert 0.4 < time.monotonic() - started < 3
