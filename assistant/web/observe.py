"""What an operator sees of a running server: one JSON log line per request, and the outcome
of each answer, with a request id that ties them together.

Every request gets an id: the caller's ``X-Request-ID`` when it is a plain token, a new one
otherwise; it is returned in the response's ``X-Request-ID``. The line is written when the
response ends (for a streamed answer, after its last event), as JSON by ``python-json-logger``:
time, request id, method, route, status, duration, and for questions the backend, outcome and
site. The question's text is logged only with ``ASSISTANT_LOG_QUESTIONS=true``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from typing import Any

from starlette.requests import ClientDisconnect

from ..models import Answer
from ..settings import Settings

LOGGER = "assistant.requests"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def configure_logging() -> None:
    """JSON lines on stderr for the project's loggers (once per process)."""
    from pythonjsonlogger.json import JsonFormatter

    root = logging.getLogger("assistant")
    if any(getattr(h, "_assistant_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    handler._assistant_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    for chatty in ("pypdf", "python_multipart", "multipart"):  # what they warn of, our messages say plainly
        logging.getLogger(chatty).setLevel(logging.ERROR)


def outcome(answer: Answer) -> str:
    """What happened to a question, in one word: answered, refused, disagreement, or
    llm_fallback (the model was asked but the extractive answer was given)."""
    if answer.refused:
        return "refused"
    if answer.conflict:
        return "disagreement"
    if answer.backend == "openai" and not (answer.verification or {}).get("kept"):
        return "llm_fallback"
    return "answered"


def route_of(path: str, root_path: str = "") -> str:
    """A low-cardinality name for a path: its first two segments ("/api/ask", "/widget/panel");
    chunk ids and Gradio's queue ids are not labels."""
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    parts = [p for p in path.split("/") if p][:2]
    if parts[:2] == ["api", "ask"] and path.rstrip("/").endswith("/stream"):
        return "/api/ask/stream"
    return "/" + "/".join(parts)


class RequestLog:
    """ASGI middleware: the request id, the JSON line, and the request metrics. Pure ASGI, so
    a streamed response passes through untouched."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app, self.root_path, self.metrics = app, settings.root_path, recorder(settings)
        self.logger = logging.getLogger(LOGGER)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"], state["log"] = rid, {}
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:  # the client left mid-body: one plain line (below), no traceback
            status = 499  # nginx's name for it
        finally:
            request_id.reset(token)
            seconds = time.perf_counter() - started
            route = route_of(scope.get("path", ""), self.root_path or scope.get("root_path", ""))
            extra = dict(state.get("log") or {})
            self.logger.info(
                "request",
                extra={"event": "request", "request_id": rid, "method": scope.get("method"), "route": route,
                       "status": status, "duration_ms": round(seconds * 1000, 2), **extra},
            )  # fmt: skip
            if self.metrics is not None:
                self.metrics.request(route, status, seconds)


def recorder(settings: Settings) -> Any:
    """The process's metrics when they can be read (``/metrics`` on), else None: nothing counted."""
    if not (settings.metrics or settings.admin_token):
        return None
    from .metrics import metrics

    return metrics()


def answered(settings: Settings, state: dict[str, Any] | None, answer: Answer, question: str, site: str | None) -> None:
    """Record an answer's outcome on its request's log line (``state``: the ASGI scope's state;
    None for the page, whose answers come through Gradio's queue and get a line of their own)."""
    fields: dict[str, Any] = {"backend": answer.backend, "outcome": outcome(answer), "site": site}
    if settings.log_questions:
        fields["question"] = question
    if state is not None:
        state.setdefault("log", {}).update(fields)
    else:
        logging.getLogger(LOGGER).info("answer", extra={"event": "answer", **fields})
    if (metrics := recorder(settings)) is not None:
        metrics.answer(answer, outcome(answer))
