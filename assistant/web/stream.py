"""Running a question in a worker thread and handing its events over as they happen.

Both the page and the SSE API use this, so they stream the same way: ``token`` events carry
text as it is produced (the LLM's draft, or the extractive answer word by word), then
one ``answer`` event carries the final, verified answer object, or an ``error`` event says
what went wrong in plain words.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Iterator
from typing import Any

from ..errors import AssistantError
from ..pipeline import Assistant


def events(assistant: Assistant, question: str, history: list[dict[str, str]]) -> Iterator[tuple[str, Any]]:
    box: queue.Queue[tuple[str, Any] | None] = queue.Queue()

    def work() -> None:
        try:
            answer = assistant.ask(question, history, on_token=lambda t: box.put(("token", t)))
            box.put(("answer", answer))
        except AssistantError as exc:
            box.put(("error", exc.message))
        except Exception:  # a bug must still reach the user as words, not a hang or a traceback
            logging.getLogger(__name__).exception("answering %r failed", question)
            box.put(("error", "Something went wrong while answering; the error was logged on the server."))
        finally:
            box.put(None)

    threading.Thread(target=work, name="ask", daemon=True).start()
    streamed = False
    while (item := box.get()) is not None:
        kind, value = item
        if kind == "token":
            streamed = True
        elif kind == "answer" and not streamed:
            for word in re.findall(r"\S+\s*", value.answer):  # the extractive answer, word by word
                yield "token", word
        yield kind, value
