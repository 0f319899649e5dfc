"""``assistant bench --ui``: time from pressing Enter to the first streamed text and to the
final answer in a real browser (Debian's chromium through Playwright), medians over questions.

Needs the test extras (``playwright``) and a ``chromium`` binary; the server runs in-process
on a free loopback port.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from typing import Any

from ..settings import Settings

QUESTIONS = [
    "Who leads the Ukrainian delegation?",
    "Who heads the Russian delegation?",
    "Is Zelensky attending the talks in Istanbul?",
    "What did Lula say?",
    "Where did reporters gather in Istanbul?",
    "What is the capital of France?",
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(settings: Settings, runs: int = 3, chromium: str = "/usr/bin/chromium") -> dict[str, Any]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from .app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    first, final = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            box = page.locator("#question textarea, #question input").first
            box.wait_for()
            for _ in range(runs):
                for question in QUESTIONS:
                    replies = page.locator("#chat .reply").count()
                    done = page.locator("#chat .reply:not(.reply-streaming)").count()
                    box.fill(question)
                    start = time.perf_counter()
                    box.press("Enter")
                    page.wait_for_function(
                        "n => document.querySelectorAll('#chat .reply').length > n", arg=replies, polling=5
                    )
                    first.append((time.perf_counter() - start) * 1000)
                    page.wait_for_function(
                        "n => document.querySelectorAll('#chat .reply:not(.reply-streaming)').length > n",
                        arg=done,
                        polling=5,
                    )
                    final.append((time.perf_counter() - start) * 1000)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return {
        "backend": settings.answer_backend,
        "questions": len(first),
        "enter_to_first_token_ms": {"median": round(statistics.median(first), 1), "max": round(max(first), 1)},
        "enter_to_final_answer_ms": {"median": round(statistics.median(final), 1), "max": round(max(final), 1)},
    }
