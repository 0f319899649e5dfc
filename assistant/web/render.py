"""HTML for answers and their sources. Every piece of text from a user, a model or a document
is escaped here and nowhere else is HTML built from text, so nothing can run as markup."""

from __future__ import annotations

import html
from typing import Any

from ..answering.citations import MARKER
from ..answering.composed import UNCONFIRMED_LABEL, segments
from ..indexing.snapshot import Snapshot


def answer_html(answer: dict[str, Any], turn: int) -> str:
    """The assistant's message: escaped text, markers linked to the sources panel, and a badge
    that tells a refusal or a disagreement apart from a plain answer."""
    parts = []
    for piece, unconfirmed in segments(answer["answer"], answer.get("sentences") or []):
        escaped = html.escape(piece)
        linked = MARKER.sub(lambda m: f'<a class="cite" href="#src-{turn}-{m.group(1)}">[{m.group(1)}]</a>', escaped)
        if unconfirmed:  # the status is text, so a screen reader reads it where the sentence ends
            linked = f'<span class="unconfirmed">{linked}<span class="status"> ({UNCONFIRMED_LABEL})</span></span>'
        parts.append(linked)
    text = "".join(parts)
    kind = "refusal" if answer["refused"] else ("conflict" if answer["conflict"] else "answer")
    badge = {
        "refusal": '<div class="badge badge-refusal">Not in the documents</div>',
        "conflict": '<div class="badge badge-conflict">The sources disagree</div>',
        "answer": "",
    }[kind]
    notices = "".join(f'<div class="notice">{html.escape(n)}</div>' for n in answer.get("notices", []))
    return (
        f'<div class="reply reply-{kind}" id="answer-{turn}" data-kind="{kind}">{badge}'
        f'<div class="reply-text">{text}</div>{notices}</div>'
    )


def error_html(message: str) -> str:
    badge = '<div class="badge badge-error">Error</div>'
    return f'<div class="reply reply-error" data-kind="error">{badge}{html.escape(message)}</div>'


def passage(snapshot: Snapshot, citation: dict[str, Any]) -> tuple[str, str, str]:
    """(before, quote, after): the quote inside the chunk it came from."""
    text = snapshot.texts.get(citation["doc_id"], "")
    chunk = snapshot.chunk(citation["chunk_id"])
    start, end = citation["start"], citation["end"]
    lo = min(chunk.start, start) if chunk else max(0, start - 200)
    hi = max(chunk.end, end) if chunk else min(len(text), end + 200)
    return text[lo:start], text[start:end], text[end:hi]


def sources_html(snapshot: Snapshot | None, turns: list[dict[str, Any]]) -> str:
    """The sources panel: the newest answer's sources first, each quote highlighted in context."""
    if not turns:
        return '<div class="sources-empty">Sources for each answer appear here.</div>'
    groups = []
    for turn_index in range(len(turns) - 1, -1, -1):
        answer = turns[turn_index]["answer"]
        items = []
        for c in answer.get("citations", []):
            before, quote, after = passage(snapshot, c) if snapshot else ("", c["quote"], "")
            meta = " · ".join(html.escape(str(c[k])) for k in ("outlet", "date") if c.get(k))
            title = html.escape(c.get("title") or c["doc_id"])
            doc = f"{html.escape(c['doc_id'])}, " if c.get("title") and c["title"] != c["doc_id"] else ""
            items.append(
                f'<div class="source" id="src-{turn_index}-{c["n"]}">'
                f'<div class="source-head"><span class="source-n">[{c["n"]}]</span> '
                f'<span class="source-title">{title}</span>'
                + (f' <span class="source-meta">{meta}</span>' if meta else "")
                + f'<div class="source-doc">{doc}characters {c["start"]}–{c["end"]}</div></div>'
                f'<blockquote class="source-passage">{html.escape(before)}<mark>{html.escape(quote)}</mark>'
                f"{html.escape(after)}</blockquote>"
                f'<a class="back" href="#answer-{turn_index}">Back to the answer</a></div>'
            )
        body = "".join(items) or '<div class="sources-none">No sources: nothing was cited.</div>'
        question = html.escape(turns[turn_index]["question"])
        groups.append(f'<section class="sources-turn"><h4>Q{turn_index + 1}: {question}</h4>{body}</section>')
    return "".join(groups)
