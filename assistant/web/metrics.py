"""Prometheus metrics (``GET /metrics``), in multiprocess mode so ``serve --workers N`` reports
one set of counts for all its workers.

``prometheus_client`` decides at import whether it writes to shared files, from
``PROMETHEUS_MULTIPROC_DIR``: :func:`prepare` sets that (a fresh folder) before any worker
imports it, and nothing here imports it at module level. ``/metrics`` is off unless
``ASSISTANT_METRICS=true``, or, with ``ASSISTANT_ADMIN_TOKEN`` set, for a bearer of that token.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import os
import shutil
import tempfile
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..errors import AssistantError
from ..models import Answer
from ..settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


def prepare() -> None:
    """A fresh shared folder for this server's workers (before they start)."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)
    else:
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="assistant-metrics-")


class Metrics:
    """The collectors; one instance per process (:func:`metrics`)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("assistant_http_requests", "HTTP requests by route and status", ["route", "status"])
        self.latency = Histogram(
            "assistant_http_request_duration_seconds", "HTTP request time by route", ["route"], buckets=LATENCY_BUCKETS
        )
        self.answers = Counter("assistant_answers", "Answers by outcome and backend", ["outcome", "backend"])
        self.sentences = Counter(
            "assistant_llm_sentences", "LLM answer sentences by what the check did: confirmed, unconfirmed, dropped",
            ["status"],
        )  # fmt: skip
        self.stage = Histogram(
            "assistant_stage_duration_seconds", "Time in each stage of answering (retrieve, answer, total)",
            ["stage"], buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.llm_errors = Counter("assistant_llm_errors", "LLM calls that failed (the extractive answer was given)")
        self.documents = Gauge("assistant_index_documents", "Documents in the served snapshot", multiprocess_mode="max")
        self.chunks = Gauge("assistant_index_chunks", "Chunks in the served snapshot", multiprocess_mode="max")
        self.age = Gauge("assistant_index_snapshot_age_seconds", "Age of the served snapshot", multiprocess_mode="min")
        self.ingests = Counter("assistant_ingests", "Background ingests by result (ok, failed)", ["result"])
        self.ingest_time = Histogram(
            "assistant_ingest_duration_seconds", "Background ingest time", buckets=(*LATENCY_BUCKETS, 300, 900, 3600)
        )
        self.ingest_documents = Counter(
            "assistant_ingest_documents", "Documents background ingests added, updated, removed or could not read",
            ["change"],
        )  # fmt: skip

    def request(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def answer(self, answer: Answer, outcome: str) -> None:
        self.answers.labels(outcome, answer.backend).inc()
        for stage in ("retrieve", "answer", "total"):
            if stage in answer.timings_ms:
                self.stage.labels(stage).observe(answer.timings_ms[stage] / 1000)
        counts = (answer.verification or {}).get("counts") or {}
        for status, n in counts.items():
            self.sentences.labels(status).inc(n)
        if any(n.startswith("The language model failed") for n in answer.notices):
            self.llm_errors.inc()

    def ingest(self, outcome: dict[str, Any]) -> None:
        """A background ingest's outcome (:class:`~assistant.indexing.background.BackgroundIngest`)."""
        self.ingests.labels("ok" if outcome.get("ok") else "failed").inc()
        self.ingest_time.observe(float(outcome.get("seconds", 0.0)))
        report = outcome.get("report") or {}
        for change in ("added", "updated", "removed"):
            self.ingest_documents.labels(change).inc(int(report.get(change, 0) or 0))
        self.ingest_documents.labels("failed").inc(len(report.get("failed") or []))

    def index(self, documents: int, chunks: int, created: float | None) -> None:
        self.documents.set(documents)
        self.chunks.set(chunks)
        if created is not None:
            self.age.set(max(0.0, time.time() - created))


@functools.lru_cache(maxsize=1)
def metrics() -> Metrics:
    return Metrics()


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def build_router(settings: Settings, index_state: Any) -> APIRouter:
    """``GET /metrics``; ``index_state()`` gives (documents, chunks, created epoch seconds)."""
    router = APIRouter()
    token = settings.admin_token.get_secret_value() if settings.admin_token else None

    @router.get("/metrics")
    async def scrape(request: Request) -> Response:
        if not settings.metrics:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if token is None:
                return JSONResponse({"error": "Metrics are off: set ASSISTANT_METRICS=true."}, status_code=404)
            if not hmac.compare_digest(given.encode(), token.encode()):
                return JSONResponse(
                    {"error": "Metrics need the admin token: Authorization: Bearer <ASSISTANT_ADMIN_TOKEN>."},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        with contextlib.suppress(AssistantError):  # no index yet: the other figures still count
            metrics().index(*index_state())
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return router
