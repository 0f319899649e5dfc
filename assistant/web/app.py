"""``assistant serve``: one ASGI app with the JSON API, the widget and the Gradio page.

Offline by construction: the page uses system fonts (the default theme would fetch Google
Fonts), FastAPI's CDN-hosted docs pages are off, Gradio analytics and share links are off.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI

from ..errors import AssistantError, PortInUse
from ..indexing.background import BackgroundIngest
from ..pipeline import Assistant
from ..settings import Settings
from . import timeouts
from ._lazy_modules import defer
from .admin import build_router as admin_router
from .api import build_router as api_router
from .deferred import CountRequests, DeferredPage, Traffic
from .memory import ReleaseAfterPost, limit_arenas
from .metrics import build_router as metrics_router
from .metrics import prepare as prepare_metrics
from .observe import RequestLog, configure_logging, recorder
from .sites import Sites
from .widget import build_router as widget_router

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported


def create_app(settings: Settings) -> FastAPI:
    limit_arenas()  # in each worker process, before its request threads start
    timeouts.configure(settings.header_timeout, settings.body_timeout)
    configure_logging()
    assistant = Assistant(settings)
    sites = Sites.load(settings.sites_file, settings.redis_url)
    log = logging.getLogger("assistant.server")
    try:
        snapshot = assistant.retriever.snapshot  # open the index now: the server is ready when it says so
        assistant.warm()  # and answers its first question as fast as its second
        log.info(
            "worker ready",
            extra={"event": "worker_ready", "pid": os.getpid(), "snapshot": snapshot.name,
                   "documents": len(snapshot.docs), "chunks": len(snapshot.chunks), "backend": settings.answer_backend},
        )  # fmt: skip
    except AssistantError as exc:  # no index yet: the page and /api/health say so in plain words
        log.warning("no index", extra={"event": "worker_ready", "pid": os.getpid(), "error": exc.message})
    runner = background_ingest(settings, then=lambda _report: assistant.warm())
    traffic = Traffic()
    page = DeferredPage(lambda: _page_app(assistant, settings, sites, runner), traffic)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with page.running():
            yield

    app = FastAPI(title="Istanbul talks assistant", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.include_router(admin_router(settings, runner))  # before the API's catch-all 404 for /api/...
    app.include_router(api_router(assistant, settings, sites, lambda: page.state))
    app.include_router(widget_router(sites, settings.max_question_chars, settings.widget_demo))
    app.include_router(metrics_router(settings, lambda: index_state(assistant)))
    app.add_middleware(RequestLog, settings=settings)  # it times and labels everything
    # outside the log: a request is logged and counted when its response is sent, not after the trim
    app.add_middleware(ReleaseAfterPost)
    app.add_middleware(CountRequests, traffic=traffic)  # the page is built when none is in flight
    app.mount("/", page)
    return app


def _page_app(assistant: Assistant, settings: Settings, sites: Sites, runner: BackgroundIngest) -> FastAPI:
    """The Gradio page on an app of its own, which :class:`DeferredPage` serves once built."""
    defer("pandas")  # imported by Gradio, used by neither it nor the page here
    import gradio as gr

    from .page import CSS, PLAIN_LABELS, build_page

    theme = gr.themes.Default(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
    return gr.mount_gradio_app(
        FastAPI(docs_url=None, redoc_url=None, openapi_url=None),
        build_page(assistant, settings, sites, runner),
        path="/",
        theme=theme,
        css=CSS,
        js=PLAIN_LABELS,
        footer_links=["api"],
        root_path=settings.root_path or None,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        max_file_size=settings.max_upload_bytes,  # the Documents view's uploads
    )


WORKER_SETTINGS = "_ASSISTANT_WORKER_SETTINGS"  # how `serve --workers N` hands its settings to each worker


def serve(settings: Settings) -> None:
    import uvicorn

    _check_port(settings.host, settings.port)
    if settings.metrics or settings.admin_token:
        prepare_metrics()  # before any worker imports prometheus_client
    if settings.watch:  # one watcher for all workers, in this process
        from ..indexing import watch

        configure_logging()
        runner = background_ingest(settings, then=lambda report: _measure_threshold(settings, report))
        watch.start(settings.corpus_dir, runner)
    forwarded = settings.forwarded_allow_ips.strip()
    options = {
        "host": settings.host,
        "port": settings.port,
        "root_path": settings.root_path,
        "log_level": "warning",
        "http": timeouts.configure(settings.header_timeout, settings.body_timeout),
        # X-Forwarded-For decides who a client is (and so its rate limit): trusted only from the
        # proxies named in ASSISTANT_FORWARDED_ALLOW_IPS, never by default.
        "proxy_headers": bool(forwarded),
        "forwarded_allow_ips": forwarded or None,
    }
    if settings.workers > 1:
        if not settings.redis_url:
            print(
                f"note: {settings.workers} workers without ASSISTANT_REDIS_URL keep rate limits and panel sessions "
                "per worker (a client may get N times its limit)",
                flush=True,
            )
        Sites.load(settings.sites_file, settings.redis_url)  # a bad sites file or Redis stops us here, once
        os.environ[WORKER_SETTINGS] = settings.handoff()
        print(
            f"Serving on http://{settings.host}:{settings.port}{settings.root_path}/ with {settings.workers} workers",
            flush=True,
        )
        uvicorn.run("assistant.web.app:worker_app", factory=True, workers=settings.workers, **options)  # type: ignore[arg-type]
        return
    app = create_app(settings)
    print(f"Serving on http://{settings.host}:{settings.port}{settings.root_path}/", flush=True)
    uvicorn.run(app, **options)  # type: ignore[arg-type]


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve --workers N``, with the parent's settings."""
    return create_app(Settings.model_validate(json.loads(os.environ[WORKER_SETTINGS])))


def background_ingest(settings: Settings, then: Callable[[dict[str, Any]], None] | None = None) -> BackgroundIngest:
    """The process's runner of background ingests, counted in the metrics when they are on.
    ``then`` hears the report of each ingest that changed the index: a worker warms itself on the
    new snapshot (and measures a large corpus's threshold) before its next question has to."""
    metrics = recorder(settings)

    def done(outcome: dict[str, Any]) -> None:
        if metrics is not None:
            metrics.ingest(outcome)
        report = outcome.get("report") or {}
        if then is not None and outcome.get("ok") and any(report.get(k) for k in ("added", "updated", "removed")):
            then(report)

    return BackgroundIngest(settings, on_done=done)


def _measure_threshold(settings: Settings, report: dict[str, Any]) -> None:
    """After the watcher's ingest (this process serves no questions itself, and with several
    workers none of them ran it): a large corpus's threshold is measured now, in a child, and
    every worker reads it from the index folder instead of measuring it at its next question."""
    from ..pipeline import calibrate_in_child, needs_calibration

    chunks = int(report.get("chunks_total") or 0)
    if chunks and needs_calibration(settings, chunks) and (failed := calibrate_in_child(settings)):
        logging.getLogger("assistant.ingest").warning(
            "threshold not measured", extra={"event": "calibration_failed", "error": failed}
        )


def index_state(assistant: Assistant) -> tuple[int, int, float | None]:
    """(documents, chunks, creation time) of the snapshot being served, for the metrics."""
    from datetime import datetime

    snapshot = assistant.retriever.snapshot
    created = datetime.fromisoformat(snapshot.created).timestamp() if snapshot.created else None
    return len(snapshot.docs), len(snapshot.chunks), created


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"Cannot listen on {host}:{port} ({exc.strerror or exc}). Another server may be running there; "
                "stop it or pick another port with --port."
            ) from exc
