"""Serving the widget: ``/widget.js`` for host pages, and the chat panel it opens in an
iframe, checked against the site's rules before anything is shown."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from .sites import Denied, Sites, origin_of

STATIC = Path(__file__).parent / "static"
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def _page(status: int, title: str, body: str, frame_ancestors: str = "'none'") -> HTMLResponse:
    doc = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title><link rel='stylesheet' href='panel.css'></head>{body}</html>"
    )
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )
    headers = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    return HTMLResponse(doc, status_code=status, headers=headers)


def _refusal(status: int, message: str) -> HTMLResponse:
    box = f"<div class='msg bot error'>{html.escape(message)}</div>"
    body = f"<body><header><h1>Assistant unavailable</h1></header><main><div id='log'>{box}</div></main></body>"
    return _page(status, "Assistant unavailable", body)


def build_router(sites: Sites, max_question_chars: int, demo: bool = False) -> APIRouter:
    router = APIRouter()

    @router.get("/widget/demo")
    async def demo_page(request: Request) -> Response:
        """A page of this server that embeds the widget, to try it without a host page of one's own:
        off unless ``ASSISTANT_WIDGET_DEMO`` is set, and it needs a site that allows this origin."""
        if not demo:
            return _refusal(404, "The widget demo is off; ASSISTANT_WIDGET_DEMO=true turns it on.")
        origin = f"{request.url.scheme}://{request.url.netloc}"
        site = next((s for s in sites.sites.values() if origin in s.origins and not s.secret), None)
        if site is None:
            snippet = f'[sites.demo]\norigins = ["{origin}"]'
            return _refusal(
                404,
                f"No site in the sites file allows {origin} without a token. Add to it:\n\n{snippet}",
            )
        body = (
            "<body><header><h1>Widget demo</h1></header><main><p>This page stands in for an intranet page: "
            f"the button in the corner opens the assistant as site {html.escape(site.name)!s}.</p></main>"
            f"<script src='../widget.js' data-site='{html.escape(site.name, quote=True)}' "
            "data-title='Ask the documents' async></script></body>"
        )
        return _page(200, "Widget demo", body, "'none'")

    @router.get("/widget.js")
    async def script() -> Response:
        return FileResponse(
            STATIC / "widget.js", media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"}
        )

    @router.get("/widget/panel.js")
    async def panel_js() -> Response:
        return FileResponse(STATIC / "panel.js", media_type="text/javascript")

    @router.get("/widget/panel.css")
    async def panel_css() -> Response:
        return FileResponse(STATIC / "panel.css", media_type="text/css")

    @router.get("/widget/panel")
    async def panel(request: Request) -> Response:
        q = request.query_params
        try:
            site = sites.get(q.get("site"))
            client = request.client.host if request.client else "unknown"
            sites.limit(f"panel|{site.name}", client, site.rate)  # a panel mints a token: not for free
            if site.secret:
                sites.check_site_token(site, q.get("token"))
                token = q.get("token", "")
            else:
                origin = origin_of(request.headers.get("referer"))
                if origin not in site.origins:
                    raise Denied(403, f"This page ({origin or 'unknown origin'}) may not embed the assistant.")
                token = sites.panel_token(site, origin or "")
        except Denied as exc:
            return _refusal(exc.status, exc.message)
        title = q.get("title") or "Ask about the documents"
        color = q.get("color") or ""
        color = color if _COLOR.match(color) else "#2563eb"
        attrs = {
            "site": site.name,
            "token": token,
            "greeting": q.get("greeting") or "",
            "color": color,
        }
        data = " ".join(f'data-{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
        body = (
            f"<body {data}><header><h1>{html.escape(title)}</h1></header><main>"
            "<div id='log' aria-live='polite'></div>"
            # Disabled until panel.js has taken over the form: a question sent before that would
            # be a native GET that reloads the panel without its site and token, and is lost.
            "<form id='ask'><input id='question' name='question' autocomplete='off' disabled "
            "placeholder='Ask a question…' aria-label='Your question' "
            f"maxlength='{max_question_chars}'>"
            "<button type='submit' disabled>Ask</button></form></main><script src='panel.js'></script></body>"
        )
        return _page(200, title, body, " ".join(site.origins))

    return router
