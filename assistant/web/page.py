"""The chat page (Gradio 6): streamed answers, linked citations, a sources panel with each
quote highlighted in its passage, examples, follow-ups, feedback and export."""

from __future__ import annotations

import html
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import AssistantError, InvalidQuestion
from ..indexing.background import BackgroundIngest
from ..inputs import parse_json, validate_history
from ..pipeline import Assistant
from ..settings import Settings
from ..text.analysis import stopwords
from ..text.names import name_runs
from . import export, feedback
from .documents_view import add_documents_view
from .observe import answered
from .render import answer_html, error_html, sources_html
from .sites import FIRST_PARTY, Denied, Sites
from .stream import events

REDRAW_SECONDS = 0.04  # at most 25 redraws a second while an answer streams in
EXPORT_DIR = Path(tempfile.gettempdir()) / "istanbul-assistant-exports"

CSS = """
.index-status { margin: 0; font-size: 0.9em; color: #374151; }
#admin-remove { background: #b91c1c; border-color: #b91c1c; color: #ffffff; }
#admin-documents table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
#admin-documents th, #admin-documents td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
#ask { background: #1d4ed8; border-color: #1d4ed8; color: #ffffff; }
#ask:hover { background: #1e40af; }
textarea:focus-visible, button:focus-visible, a:focus-visible {
  outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
footer, footer a, footer button { color: #374151 !important; opacity: 1 !important; }
#sources { max-height: 640px; overflow-y: auto; }
.reply .badge { display: inline-block; font-size: 0.8em; font-weight: 600; padding: 1px 8px;
  border-radius: 10px; margin-bottom: 6px; }
.reply-refusal { border-left: 4px solid #64748b; padding-left: 8px; color: #334155; font-style: italic; }
.badge-refusal { background: #e2e8f0; color: #334155; font-style: normal; }
.reply-conflict { border-left: 4px solid #d97706; padding-left: 8px; }
.badge-conflict { background: #fef3c7; color: #7c2d12; }
.reply-error { border-left: 4px solid #dc2626; padding-left: 8px; color: #7f1d1d; }
.badge-error { background: #fee2e2; color: #991b1b; }
.reply .notice { font-size: 0.85em; color: #7c2d12; margin-top: 6px; }
.reply .unconfirmed { text-decoration: underline dotted #7c2d12; text-underline-offset: 3px; }
.reply .unconfirmed .status { font-size: 0.85em; font-style: italic; color: #7c2d12; }
a.cite { font-weight: 600; text-decoration: none; }
.source { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; margin-bottom: 10px; }
.source:target { border-color: #2563eb; box-shadow: 0 0 0 2px #bfdbfe; }
.source-n { font-weight: 700; }
.source-title { font-weight: 600; }
.source-meta, .source-doc { color: #6b7280; font-size: 0.85em; }
.source-passage { margin: 6px 0 0; white-space: pre-wrap; font-size: 0.92em; }
.source-passage mark { background: #fde68a; padding: 0 1px; }
.sources-turn h4 { margin: 4px 0 8px; }
"""


# Gradio labels each chat message with its content, which for our answers is HTML: screen
# readers would read the markup. The label is rewritten to the message's text as it appears.
PLAIN_LABELS = """
() => {
  const plain = (el) => {
    const label = el.getAttribute("aria-label");
    // Markup in a label, or a finished reply whose label still holds the streamed draft: the
    // label becomes the reply's text, so a screen reader reads what the page shows.
    if (!label || (!label.includes("<") && !el.querySelector(".reply"))) return;
    const text = label.split(":")[0] + ": " + el.textContent.replace(/\\s+/g, " ").trim();
    if (label !== text) el.setAttribute("aria-label", text);  // a text may hold "<" itself: set once
  };
  const fix = () => document.querySelectorAll("#chat [aria-label]").forEach(plain);
  new MutationObserver(fix).observe(document.body, {subtree: true, childList: true, attributes: true,
    attributeFilter: ["aria-label"]});
  fix();
}
"""

SEED_TITLE = "Istanbul talks assistant"  # the default corpus's own name, shown only when it is served
NEUTRAL_TITLE = "Ask your documents"
SUBTITLE = "Answers come only from the indexed documents; every sentence cites the passage it came from."
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"


@dataclass(frozen=True)
class PageText:
    """What the page says about itself: from settings, else following the corpus it serves."""

    title: str
    subtitle: str
    greeting: str


def serves_seeds(assistant: Assistant) -> bool:
    """Whether the index holds exactly the seed articles (a checkout's ``seeds/``)."""
    snapshot = _snapshot(assistant)
    if snapshot is None or not SEEDS_DIR.is_dir():
        return False
    return set(snapshot.texts) == {p.name for p in SEEDS_DIR.iterdir() if p.is_file() and not p.name.startswith(".")}


def page_text(assistant: Assistant, settings: Settings) -> PageText:
    seeds = serves_seeds(assistant)
    snapshot = _snapshot(assistant)
    count = len(snapshot.texts) if snapshot is not None else 0
    what = "the articles" if seeds else ("the document" if count == 1 else f"the {count} documents")
    return PageText(
        title=settings.title or (SEED_TITLE if seeds else NEUTRAL_TITLE),
        subtitle=settings.subtitle or SUBTITLE,
        greeting=settings.greeting or f"Ask a question about {what}, or pick an example below.",
    )


def index_status(assistant: Assistant, settings: Settings) -> str:
    """The page's status line: what is indexed, and what the last ingest removed, if anything."""
    from ..indexing.ingest import last_ingest

    snapshot = _snapshot(assistant)
    if snapshot is None:
        return "No index yet: run assistant ingest FOLDER."
    count = len(snapshot.texts)
    line = f"{count} document{'s' if count != 1 else ''} indexed."
    last = last_ingest(settings)
    if last and last.get("notice"):
        line += f" The last ingest ({last.get('at')}): {str(last['notice']).replace('Removing', 'removed', 1)}."
    return line


EXAMPLE_SAMPLE = 300  # documents read for the page's example questions: start-up stays fast at any size


def examples_for(assistant: Assistant, count: int = 4) -> list[str]:
    """Example questions the index really answers, made from its most frequent names: the page
    shows questions about whatever corpus it serves, and each is kept only if it is answered."""
    try:
        snapshot = assistant.retriever.snapshot
    except AssistantError:
        return []
    stop = stopwords()
    counts: Counter[str] = Counter()
    doc_ids = list(snapshot.texts)
    step = max(1, len(doc_ids) // EXAMPLE_SAMPLE)  # a spread of documents
    for doc_id in doc_ids[::step]:
        for _, run in name_runs(snapshot.texts[doc_id], min_words=2):
            if run.split()[0].lower() not in stop and len(run) <= 40:
                counts[run] += 1
    picked: list[str] = []
    for name, _ in counts.most_common(12):
        for question in (f"What do the documents say about {name}?", f"Who is {name}?"):
            if len(picked) < count and not assistant.ask(question).refused:
                picked.append(question)
                break
    return picked


def history_of(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for t in turns:
        out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]["answer"]}]
    return out


def _exports(turns: list[dict[str, Any]]) -> tuple[Any, Any]:
    if not turns:
        return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    stem = EXPORT_DIR / f"conversation-{uuid.uuid4().hex[:8]}"
    md, js = stem.with_suffix(".md"), stem.with_suffix(".json")
    md.write_text(export.to_markdown(turns), encoding="utf-8")
    js.write_text(export.to_json(turns), encoding="utf-8")
    return gr.update(value=str(md), interactive=True), gr.update(value=str(js), interactive=True)


def build_page(
    assistant: Assistant, settings: Settings, sites: Sites, runner: BackgroundIngest | None = None
) -> gr.Blocks:
    def respond(question: str, chat: list[dict[str, Any]], state: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        turns, owners = state["turns"], state["owners"]
        if not question.strip():  # no empty bubble, no thumbs: say what is missing
            gr.Warning("Type a question first.")
            yield chat, state, gr.update(), question, gr.update(), gr.update(), gr.update()
            return
        chat = [*chat, {"role": "user", "content": html.escape(question)}]
        owners = [*owners, None]
        snapshot = None
        draft = ""
        shown_at = 0.0
        shown = ""

        def frame(text: str) -> tuple[Any, ...]:
            streaming = f'<div class="reply reply-streaming" data-kind="streaming">{html.escape(text)}▌</div>'
            return (
                [*chat, {"role": "assistant", "content": streaming}],
                state,
                gr.update(),
                "",
                gr.update(),
                gr.update(),
                gr.update(),
            )

        for kind, value in events(assistant, question, history_of(turns)):
            if kind == "token":
                draft += value
                if time.monotonic() - shown_at < REDRAW_SECONDS:
                    continue  # re-rendering the chat per token costs more than it shows
                shown_at, shown = time.monotonic(), draft
                yield frame(draft)
            elif kind == "answer":
                for part in _rest_in_frames(draft, shown):  # an answer that came at once still streams in
                    time.sleep(REDRAW_SECONDS)
                    yield frame(part)
                answered(settings, None, value, question, None)
                data = value.to_json()
                turns = [*turns, {"question": question, "answer": data}]
                chat = [*chat, {"role": "assistant", "content": answer_html(data, len(turns) - 1)}]
                owners = [*owners, len(turns) - 1]
                snapshot = assistant.retriever.snapshot
            else:
                chat = [*chat, {"role": "assistant", "content": error_html(value)}]
                owners = [*owners, None]
        state = {"turns": turns, "owners": owners}
        md, js = _exports(turns)
        said = (
            turns[-1]["answer"]["answer"] if turns and owners[-1] is not None else "The question could not be answered."
        )
        announce = f'<div class="sr-only" role="status" aria-live="polite">{html.escape(said)}</div>'
        yield chat, state, sources_html(snapshot or _snapshot(assistant), turns), "", md, js, announce

    def on_like(state: dict[str, Any], data: gr.LikeData) -> str:
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        owner = state["owners"][index] if 0 <= index < len(state["owners"]) else None
        if owner is None:
            return '<span class="feedback-status">Only answers can be rated.</span>'
        feedback.record(Path(settings.feedback_file), state["turns"][owner], bool(data.liked))
        return f'<span class="feedback-status">Thanks: your {"👍" if data.liked else "👎"} was saved.</span>'

    def clear() -> tuple[Any, ...]:
        empty: dict[str, list[Any]] = {"turns": [], "owners": []}
        md, js = _exports([])
        return [], empty, sources_html(None, []), "", md, js, "", ""

    def api_ask(question: str, history: str = "[]", request: gr.Request | None = None) -> dict[str, Any]:
        """Gradio API twin of POST /api/ask: the answer object for a question and JSON history,
        under the same checks, size limits and first-party rate limit as the JSON API."""
        try:
            if (
                not isinstance(history, str)
                or len(history.encode("utf-8", "surrogatepass")) > settings.max_request_bytes
            ):
                raise InvalidQuestion(f"The history is larger than {settings.max_request_bytes} bytes, or not text.")
            data = parse_json(history or "[]", "The history")
            turns = validate_history(data, settings.max_history_turns, 4 * settings.max_question_chars)
            client = request.client.host if request is not None and request.client else "unknown"
            sites.limit(FIRST_PARTY, client, settings.rate_limit)
            return assistant.ask(question, turns).to_json()
        except AssistantError as exc:
            raise gr.Error(exc.message, print_exception=False) from exc  # a refusal, not a fault to trace
        except Denied as exc:
            raise gr.Error(exc.message, print_exception=False) from exc  # a refusal, not a fault to trace

    text = page_text(assistant, settings)
    with gr.Blocks(title=text.title, analytics_enabled=False) as page:
        state = gr.State({"turns": [], "owners": []})
        gr.HTML(
            f"<h1 style='margin:0' id='page-title'>{html.escape(text.title)}</h1>"
            f"<p style='margin:4px 0 0' id='page-subtitle'>{html.escape(text.subtitle)}</p>"
        )
        gr.HTML(  # read on every page load: an ingest while serving shows on the next visit
            lambda: f"<p class='index-status' role='status'>{html.escape(index_status(assistant, settings))}</p>",
            elem_id="index-status",
        )
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="chat",
                    height=520,
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    placeholder=text.greeting,
                )
                box = gr.Textbox(
                    label="Your question",
                    elem_id="question",
                    placeholder=f"Ask about the documents (up to {settings.max_question_chars} characters)",
                    max_lines=4,
                    autofocus=True,
                )
                with gr.Row():
                    ask = gr.Button("Ask", variant="primary", elem_id="ask")
                    reset = gr.Button("Clear chat", elem_id="clear")
                    md = gr.DownloadButton("Export Markdown", elem_id="export-md", interactive=False)
                    js = gr.DownloadButton("Export JSON", elem_id="export-json", interactive=False)
                status = gr.HTML(elem_id="feedback-status")
                examples = examples_for(assistant)
                shown_examples = gr.Examples(examples, inputs=box, label="Examples") if examples else None
            with gr.Column(scale=2):
                gr.HTML("<h3 style='margin:0'>Sources</h3>")
                sources = gr.HTML(sources_html(None, []), elem_id="sources")
        announcer = gr.HTML(elem_id="announce")  # the answer as plain text, for screen readers
        outputs = [chatbot, state, sources, box, md, js, announcer]
        box.submit(respond, [box, chatbot, state], outputs, api_visibility="private")
        if shown_examples is not None:  # a click asks the example, not only fills the box
            shown_examples.load_input_event.then(respond, [box, chatbot, state], outputs, api_visibility="private")
        ask.click(respond, [box, chatbot, state], outputs, api_visibility="private")
        reset.click(clear, None, [*outputs, status], api_visibility="private")
        chatbot.like(on_like, [state], [status], api_visibility="private")
        gr.api(api_ask, api_name="ask")
        if settings.admin_token is not None and runner is not None:
            add_documents_view(settings, runner)
    return page


STREAM_FRAMES = 10  # an answer written all at once (the extractive one) is shown in this many steps


def _rest_in_frames(draft: str, shown: str) -> list[str]:
    """The prefixes of ``draft`` to show after ``shown``, at word boundaries, in at most
    :data:`STREAM_FRAMES` steps: about 0.4 s more for an answer that arrived in one burst."""
    if not draft.startswith(shown) or len(draft) == len(shown):
        return []
    ends = [m.end() for m in re.finditer(r"\S+\s*", draft) if m.end() > len(shown)]
    step = max(1, -(-len(ends) // STREAM_FRAMES))
    return [draft[:end] for end in ends[step - 1 :: step]]


def _snapshot(assistant: Assistant) -> Any:
    try:
        return assistant.retriever.snapshot
    except AssistantError:
        return None
