"""``assistant serve``: one ASGI app with the JSON API, the widget and the Gradio page.

Offline by construction: the page uses system fonts (the default theme would fetch Google
Fonts), FastAPI's CDN-hosted docs pages are off, Gradio analytics and share links are off.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from ..pipeline import Assistant
from ..settings import Settings
from .api import build_router as api_router
from .sites import Sites
from .widget import build_router as widget_router

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported


def create_app(settings: Settings) -> FastAPI:
    import gradio as gr

    from .page import CSS, build_page

    assistant = Assistant(settings)
    sites = Sites.load(settings.sites_file)
    app = FastAPI(title="Istanbul talks assistant", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(api_router(assistant, settings, sites))
    app.include_router(widget_router(sites))
    theme = gr.themes.Default(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )
    return gr.mount_gradio_app(
        app,
        build_page(assistant, settings),
        path="/",
        theme=theme,
        css=CSS,
        footer_links=["api"],
        root_path=settings.root_path or None,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
    )


def serve(settings: Settings) -> None:
    import uvicorn

    app = create_app(settings)
    print(f"Serving on http://{settings.host}:{settings.port}{settings.root_path}/", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, root_path=settings.root_path, log_level="warning")
