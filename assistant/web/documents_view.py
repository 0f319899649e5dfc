"""The page's "Documents" view for operators: the documents and their states, the ingest's
progress, upload and removal. Shown only when ``ASSISTANT_ADMIN_TOKEN`` is set, and every
action asks for the token; it calls what the admin API calls (:mod:`assistant.indexing.manage`).
"""

from __future__ import annotations

import contextlib
import html
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import AssistantError
from ..indexing import manage
from ..indexing.background import BackgroundIngest
from ..indexing.corpus import SUPPORTED
from ..settings import Settings
from . import admin
from .admin import authorised

REFRESH_SECONDS = 2.0  # how often an open view refreshes the states and the ingest's progress
WRONG_TOKEN = "That is not the admin token (ASSISTANT_ADMIN_TOKEN)."


def ingest_line(status: dict[str, Any] | None, queued: bool) -> str:
    """The background ingest's state in one sentence."""
    if status and status.get("state") == "running":
        read, total, embedded = status.get("read", 0), status.get("documents", 0), status.get("embedded", 0)
        phase = status.get("phase")
        return f"Ingest running: {read} of {total} documents read, {embedded} passages embedded ({phase})."
    if queued:
        return "An ingest is about to start."
    if not status:
        return "No ingest has run from this page or the watcher yet."
    if status.get("state") == "failed":
        return f"The last ingest failed ({status.get('finished')}): {status.get('error')}"
    failed = status.get("failed") or []
    done = (
        f"The last ingest finished {status.get('finished')}: {len(status.get('added') or [])} added, "
        f"{len(status.get('updated') or [])} updated, {len(status.get('removed') or [])} removed"
    )
    return done + (f", {len(failed)} could not be read." if failed else ".")


def documents_html(listing: dict[str, Any], queued: bool) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(d['id'])}</td><td>{html.escape(d['state'])}</td>"
        f"<td>{html.escape(str(d.get('title') or ''))}</td><td>{d.get('chunks', '')}</td>"
        f"<td>{html.escape(str(d.get('reason') or ''))}</td>"
        "</tr>"
        for d in listing["documents"]
    )
    status = html.escape(ingest_line(listing.get("ingest"), queued))
    return (
        f"<p role='status' id='ingest-progress'>{status}</p>"
        "<table class='documents'><caption class='sr-only'>Documents in the corpus folder</caption>"
        "<thead><tr><th scope='col'>Document</th><th scope='col'>State</th><th scope='col'>Title</th>"
        "<th scope='col'>Passages</th><th scope='col'>Problem</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def add_documents_view(settings: Settings, runner: BackgroundIngest) -> None:
    """Add the view to the page being built (inside its ``gr.Blocks``)."""

    def current(token: str) -> tuple[str, Any, Any]:
        if not authorised(settings, token):
            return f"<p role='alert'>{html.escape(WRONG_TOKEN)}</p>", gr.update(choices=[]), gr.Timer(active=False)
        try:
            listing = manage.listing(settings.corpus_dir, settings.index_dir, settings.follow_outside_links)
        except AssistantError as exc:
            return f"<p role='alert'>{html.escape(exc.message)}</p>", gr.update(), gr.Timer(active=False)
        ids = [d["id"] for d in listing["documents"] if d["state"] != "removing"]
        return documents_html(listing, runner.queued), gr.update(choices=ids, value=None), gr.Timer(active=True)

    def upload(token: str, files: list[str] | None) -> tuple[Any, ...]:
        if not authorised(settings, token):
            return f"<p role='alert'>{html.escape(WRONG_TOKEN)}</p>", *current(token)
        try:
            with contextlib.ExitStack() as stack:
                opened = [(Path(f).name, stack.enter_context(Path(f).open("rb"))) for f in files or []]
                stored, note = admin.store(settings, runner, opened)
        except manage.Rejected as exc:
            return f"<p role='alert'>{html.escape(exc.message)}</p>", *current(token)
        names = ", ".join(s.doc_id for s in stored)
        return f"<p role='status'>Stored {html.escape(names)}. {html.escape(note)}</p>", *current(token)

    def remove(token: str, doc_id: str | None) -> tuple[Any, ...]:
        if not authorised(settings, token):
            return f"<p role='alert'>{html.escape(WRONG_TOKEN)}</p>", *current(token)
        if not doc_id:
            return "<p role='alert'>Choose a document to remove first.</p>", *current(token)
        try:
            note = admin.remove(settings, runner, doc_id)
        except manage.Rejected as exc:
            return f"<p role='alert'>{html.escape(exc.message)}</p>", *current(token)
        return f"<p role='status'>Removed {html.escape(doc_id)}. {html.escape(note)}</p>", *current(token)

    with gr.Accordion("Documents (operators)", open=False, elem_id="documents-view"):
        token = gr.Textbox(label="Admin token", type="password", elem_id="admin-token", max_lines=1)
        show = gr.Button("Show documents", elem_id="admin-show")
        message = gr.HTML(elem_id="admin-message")
        table = gr.HTML(elem_id="admin-documents")
        files = gr.UploadButton(
            "Add or replace documents…", file_count="multiple", file_types=list(SUPPORTED),
            type="filepath", elem_id="admin-upload",
        )  # fmt: skip
        choice = gr.Dropdown(label="Document to remove", choices=[], elem_id="admin-choice")
        drop = gr.Button("Remove document", variant="stop", elem_id="admin-remove")
        timer = gr.Timer(REFRESH_SECONDS, active=False)
        view = [table, choice, timer]
        show.click(current, [token], view, api_visibility="private")
        token.submit(current, [token], view, api_visibility="private")
        timer.tick(lambda t: current(t)[0], [token], [table], api_visibility="private", show_progress="hidden")
        files.upload(upload, [token, files], [message, *view], api_visibility="private")
        drop.click(remove, [token, choice], [message, *view], api_visibility="private")
