"""The JSON API: ``POST /api/ask``, its streaming twin ``POST /api/ask/stream`` (server-sent
events), ``GET /api/chunks/{id}`` for a cited passage, and ``GET /api/health``.

Requests carry ``{"question": "...", "history": [...], "site": "..."}``; ``site`` is set by
the widget and subjects the request to that site's rules (see :mod:`sites`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ..errors import AssistantError, IndexMismatch, IndexMissing, InvalidQuestion
from ..inputs import parse_json, validate_history, validate_question
from ..pipeline import Assistant
from ..settings import Settings
from .observe import answered
from .sites import FIRST_PARTY, Denied, Site, Sites, origin_of
from .stream import events


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _status(exc: AssistantError) -> int:
    if isinstance(exc, InvalidQuestion):
        return 400
    if isinstance(exc, IndexMissing | IndexMismatch):
        return 503
    return 500


def build_router(
    assistant: Assistant, settings: Settings, sites: Sites, page: Callable[[], str] = lambda: "ready"
) -> APIRouter:
    """``page`` tells /api/health whether the Gradio page is built yet (:mod:`deferred`)."""
    router = APIRouter()

    def cors(request: Request, site: Site | None = None) -> dict[str, str]:
        """CORS headers: another origin may read the response only for a site it belongs to."""
        origin = origin_of(request.headers.get("origin"))
        if site is not None and origin and origin in site.origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}

    async def read_body(request: Request) -> bytes:
        """The body, read no further than the limit: a huge or endless chunked upload stops at
        the limit with a 413 instead of filling memory first."""
        limit = settings.max_request_bytes
        too_large = BadRequest(413, f"The request is larger than {limit} bytes.")
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        parts, size = [], 0
        async for part in request.stream():
            size += len(part)
            if size > limit:
                raise too_large
            parts.append(part)
        return b"".join(parts)

    async def parse(request: Request) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise BadRequest(415, 'Send the request as JSON, with the header "Content-Type: application/json".')
        body = await read_body(request)
        try:
            data = parse_json(body or b"{}", "The request body")
            if not isinstance(data, dict) or not isinstance(data.get("question"), str):
                raise InvalidQuestion('The request needs a JSON object with a "question" string.')
            validate_question(data["question"], settings.max_question_chars)  # a 400 before any stream starts
            history = validate_history(data.get("history"), settings.max_history_turns, 4 * settings.max_question_chars)
        except InvalidQuestion as exc:
            raise BadRequest(400, exc.message) from exc
        client = request.client.host if request.client else "unknown"
        site = data.get("site")
        origin = origin_of(request.headers.get("origin"))
        if site is not None:
            auth = request.headers.get("authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            own = (origin_of(str(request.base_url)), origin_of(settings.public_url))
            chosen = sites.authorize(str(site), token, request.headers.get("origin"), client, own)
        else:
            if origin and origin != origin_of(str(request.base_url)):
                raise Denied(403, 'A request from another origin must name its "site" (see the widget\'s rules).')
            sites.limit(FIRST_PARTY, client, settings.rate_limit)
            chosen = None
        return {"question": data["question"], "history": history, "site": chosen}

    async def checked(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            return await parse(request)
        except BadRequest as exc:
            return _error(exc.status, exc.message, cors(request))
        except Denied as exc:  # a host page of the named site may read why (and when to retry)
            headers = cors(request, sites.sites.get(str(exc.site)) if exc.site else None)
            if exc.retry_after is not None:
                headers["Retry-After"] = str(exc.retry_after)
            return _error(exc.status, exc.message, headers)

    @router.post("/api/ask")
    async def ask(request: Request) -> Response:
        data = await checked(request)
        if isinstance(data, JSONResponse):
            return data
        from starlette.concurrency import run_in_threadpool

        try:
            answer = await run_in_threadpool(assistant.ask, data["question"], data["history"])
        except AssistantError as exc:
            return _error(_status(exc), exc.message, cors(request, data["site"]))
        answered(settings, request.scope.get("state"), answer, data["question"], data["site"])
        return JSONResponse(answer.to_json(), headers=cors(request, data["site"]))

    @router.post("/api/ask/stream")
    async def ask_stream(request: Request) -> Response:
        data = await checked(request)
        if isinstance(data, JSONResponse):
            return data

        def sse() -> Iterator[str]:
            for kind, value in events(assistant, data["question"], data["history"]):
                if kind == "token":
                    payload: Any = {"text": value}
                elif kind == "answer":
                    payload = value.to_json()
                    answered(settings, request.scope.get("state"), value, data["question"], data["site"])
                else:
                    payload = {"error": value}
                yield f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **cors(request, data["site"])}
        return StreamingResponse(sse(), media_type="text/event-stream", headers=headers)

    @router.options("/api/ask")
    @router.options("/api/ask/stream")
    async def preflight(request: Request) -> Response:
        """The body (and so the site) is not known yet: any declared site's origin may go on to
        send the request, whose own rules then decide."""
        origin = origin_of(request.headers.get("origin"))
        headers = {"Vary": "Origin"}
        if origin and origin in sites.all_origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers.update(
                {
                    "Access-Control-Allow-Methods": "POST, OPTIONS",
                    "Access-Control-Allow-Headers": "Content-Type, Authorization",
                    "Access-Control-Max-Age": "600",
                }
            )
        return Response(status_code=204, headers=headers)

    @router.get("/api/chunks/{chunk_id:path}")
    async def chunk(chunk_id: str) -> Response:
        snap = assistant.retriever.snapshot
        found = snap.chunk(chunk_id)
        if found is None:
            return _error(404, f"No chunk {chunk_id!r} in the current index.")
        meta = snap.docs[found.doc_id].metadata
        return JSONResponse(
            {
                "chunk_id": found.chunk_id,
                "doc_id": found.doc_id,
                "start": found.start,
                "end": found.end,
                "text": found.text,
                **meta,
            }
        )

    @router.get("/api/health")
    async def health() -> Response:
        try:
            snap = assistant.retriever.snapshot
        except AssistantError as exc:
            return JSONResponse({"status": "unavailable", "page": page(), "reason": exc.message}, status_code=503)
        return JSONResponse(
            {
                "status": "ok",
                "page": page(),
                "backend": settings.answer_backend,
                "documents": len(snap.docs),
                "chunks": len(snap.chunks),
                "snapshot": snap.name,
                "limits": {
                    "max_question_chars": settings.max_question_chars,
                    "max_request_bytes": settings.max_request_bytes,
                    "max_history_turns": settings.max_history_turns,
                },
            }
        )

    @router.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
    async def elsewhere(request: Request, rest: str) -> Response:
        """Anything else under /api/ answers in the documented ``{"error": ...}`` shape."""
        if rest in ("ask", "ask/stream"):
            return _error(405, f"{request.method} is not allowed on /api/{rest}; use POST.", {"Allow": "POST, OPTIONS"})
        if rest == "health" or rest.startswith("chunks/"):
            return _error(405, f"{request.method} is not allowed on /api/{rest}; use GET.", {"Allow": "GET"})
        return _error(404, f"There is no /api/{rest}.")

    return router
