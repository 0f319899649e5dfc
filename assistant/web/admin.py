"""The operator's documents API, behind ``ASSISTANT_ADMIN_TOKEN``:

- ``GET /api/admin/documents``: each document's state, and the background ingest's progress;
- ``POST /api/admin/documents``: add or replace documents (multipart, one or more ``files``);
- ``DELETE /api/admin/documents/{id}``: remove one.

No token configured means the surface is off (404), never open. Changes go into the corpus
folder and start a background ingest (or, under ``--watch``, the watcher starts it).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from typing import IO

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import AssistantError
from ..indexing import manage
from ..indexing.background import BackgroundIngest
from ..settings import Settings

log = logging.getLogger("assistant.ingest")
MAX_FILES = 100  # files in one upload request


def authorised(settings: Settings, given: str | None) -> bool:
    """``given`` is the admin token (compared in constant time); always false with none set."""
    if settings.admin_token is None or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), settings.admin_token.get_secret_value().encode())


def ingest_note(settings: Settings, runner: BackgroundIngest, reason: str, allow_empty: bool = False) -> str:
    """Start the ingest a change needs (the watcher's job under ``--watch``); say which."""
    if settings.watch and not allow_empty:
        return "The corpus folder is watched: the change is being ingested."
    runner.request(reason, allow_empty=allow_empty)
    return "An ingest of the corpus folder has started."


def store(
    settings: Settings, runner: BackgroundIngest, files: Sequence[tuple[str, IO[bytes]]]
) -> tuple[list[manage.Stored], str]:
    """Put uploaded files into the corpus folder and start their ingest: what was stored, and
    what to tell the operator. The API and the page's Documents view both come through here."""
    stored = manage.add(settings.corpus_dir, files, settings.max_upload_bytes)
    names = ", ".join(s.doc_id for s in stored)
    log.info("documents uploaded", extra={"event": "admin_upload", "documents": [s.doc_id for s in stored]})
    return stored, ingest_note(settings, runner, f"uploaded: {names}")


def remove(settings: Settings, runner: BackgroundIngest, doc_id: str) -> str:
    """Remove a document from the corpus folder and start the ingest that drops it."""
    manage.remove(settings.corpus_dir, doc_id)
    log.info("document removed", extra={"event": "admin_remove", "document": doc_id})
    return ingest_note(settings, runner, f"removed: {doc_id}", allow_empty=True)


def build_router(settings: Settings, runner: BackgroundIngest) -> APIRouter:
    router = APIRouter(prefix="/api/admin")
    corpus_dir, index_dir = settings.corpus_dir, settings.index_dir

    def denied(request: Request) -> Response | None:
        if settings.admin_token is None:
            return JSONResponse(
                {"error": "The admin API is off: set ASSISTANT_ADMIN_TOKEN to turn it on."}, status_code=404
            )
        given = request.headers.get("authorization", "")
        if not given.startswith("Bearer ") or not authorised(settings, given.removeprefix("Bearer ").strip()):
            return JSONResponse(
                {"error": "This needs the admin token: Authorization: Bearer <ASSISTANT_ADMIN_TOKEN>."},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None

    def rejected(exc: manage.Rejected) -> JSONResponse:
        log.info("upload refused", extra={"event": "admin_refused", "status": exc.status, "problems": exc.problems})
        return JSONResponse({"error": exc.message, "problems": exc.problems}, status_code=exc.status)

    @router.get("/documents")
    async def documents(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        try:
            listing = await run_in_threadpool(manage.listing, corpus_dir, index_dir, settings.follow_outside_links)
        except AssistantError as exc:
            return JSONResponse({"error": exc.message}, status_code=503)
        return JSONResponse({**listing, "queued": runner.queued, "watching": settings.watch})

    @router.post("/documents")
    async def upload(request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
            return rejected(manage.Rejected(415, 'Send the files as multipart/form-data, each in a "files" field.'))
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():
            return rejected(manage.Rejected(411, "Send the upload with a Content-Length header."))
        if int(declared) > settings.max_upload_bytes:
            limit = settings.max_upload_bytes
            return rejected(manage.Rejected(413, f"The upload is larger than {limit} bytes (the upload limit)."))
        try:
            form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
        except Exception as exc:  # starlette's parser: malformed multipart, too many parts
            return rejected(manage.Rejected(400, f"The upload could not be read as a form ({exc})."))
        try:
            files = [item for key, item in form.multi_items() if key == "files" and not isinstance(item, str)]
            if not files:
                raise manage.Rejected(400, 'No files were sent: put each in a multipart field named "files".')
            pairs = [(f.filename or "", f.file) for f in files]
            stored, note = await run_in_threadpool(store, settings, runner, pairs)
        except manage.Rejected as exc:
            return rejected(exc)
        finally:
            await form.close()
        return JSONResponse(
            {"stored": [{"id": s.doc_id, "bytes": s.bytes, "replaced": s.replaced} for s in stored], "note": note},
            status_code=202,
        )

    @router.delete("/documents/{doc_id:path}")
    async def delete(doc_id: str, request: Request) -> Response:
        if (no := denied(request)) is not None:
            return no
        try:
            note = await run_in_threadpool(remove, settings, runner, doc_id)
        except manage.Rejected as exc:
            return rejected(exc)
        return JSONResponse({"removed": doc_id, "note": note}, status_code=202)

    return router
