"""The JSON API: ``POST /api/ask``, its streaming twin ``POST /api/ask/stream`` (server-sent
events), ``GET /api/chunks/{id}`` for a cited passage, and ``GET /api/health``.

Requests carry ``{"question": "...", "history": [...], "site": "..."}``; ``site`` is set by
the widget and subjects the request to that site's rules (see :mod:`sites`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ..errors import AssistantError, IndexMismatch, IndexMissing, InvalidQuestion
from ..inputs import is_history
from ..pipeline import Assistant
from ..settings import Settings
from .sites import Denied, Sites, origin_of
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


def build_router(assistant: Assistant, settings: Settings, sites: Sites) -> APIRouter:
    router = APIRouter()

    def cors(request: Request) -> dict[str, str]:
        origin = origin_of(request.headers.get("origin"))
        if origin and origin in sites.all_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}

    async def parse(request: Request) -> dict[str, Any]:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.max_request_bytes:
            raise BadRequest(413, f"The request is larger than {settings.max_request_bytes} bytes.")
        body = await request.body()
        if len(body) > settings.max_request_bytes:
            raise BadRequest(413, f"The request is larger than {settings.max_request_bytes} bytes.")
        try:
            data = json.loads(body or b"{}")
        except ValueError as exc:
            raise BadRequest(400, f"The request body is not valid JSON ({exc}).") from exc
        if not isinstance(data, dict) or not isinstance(data.get("question"), str):
            raise BadRequest(400, 'The request needs a JSON object with a "question" string.')
        history = data.get("history") or []
        if not is_history(history):
            raise BadRequest(400, '"history" must be a list of {"role": "user"|"assistant", "content": "..."}.')
        if len(history) > 2 * settings.max_history_turns:
            raise BadRequest(413, f"At most {settings.max_history_turns} earlier turns are accepted.")
        site = data.get("site")
        if site is not None:
            auth = request.headers.get("authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            client = request.client.host if request.client else "unknown"
            sites.authorize(str(site), token, request.headers.get("origin"), client)
        return {"question": data["question"], "history": history}

    async def checked(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            return await parse(request)
        except BadRequest as exc:
            return _error(exc.status, exc.message, cors(request))
        except Denied as exc:
            headers = cors(request)
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
            return _error(_status(exc), exc.message, cors(request))
        return JSONResponse(answer.to_json(), headers=cors(request))

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
                else:
                    payload = {"error": value}
                yield f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **cors(request)}
        return StreamingResponse(sse(), media_type="text/event-stream", headers=headers)

    @router.options("/api/ask")
    @router.options("/api/ask/stream")
    async def preflight(request: Request) -> Response:
        headers = cors(request)
        if "Access-Control-Allow-Origin" in headers:
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
            return JSONResponse({"status": "unavailable", "reason": exc.message}, status_code=503)
        return JSONResponse(
            {
                "status": "ok",
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

    return router
