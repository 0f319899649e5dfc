"""The LLM answerer: numbered sources in, a streamed answer out, every sentence verified.

The model is only asked when retrieval found something that answers (the same gate as the
extractive answerer), document text goes in delimited as data, and what comes back is
checked sentence by sentence (:mod:`verify`). When the model fails, or nothing it said
survives the check, the extractive answer is given instead with a one-line notice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..indexing.snapshot import Snapshot
from ..models import Chunk, Retrieved
from . import prompts
from .composed import CONFLICT_LEAD, REFUSAL, Composed
from .llm import ChatModel, LLMUnavailable
from .verify import Verification, is_refusal, render, verify

UNCONFIRMED_CONFLICT = "The model reported a disagreement between the sources that the check could not confirm."
UNVERIFIED = "Nothing the language model said could be verified against the documents; showing the extractive answer."


@dataclass
class Generated:
    composed: Composed | None
    notices: list[str] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    draft: str = ""


def format_sources(snapshot: Snapshot, chunks: list[Chunk]) -> str:
    """Numbered, delimited passages; text that looks like our delimiter is defused."""
    blocks = []
    for n, chunk in enumerate(chunks, start=1):
        title = snapshot.docs[chunk.doc_id].metadata.get("title") or chunk.doc_id
        text = chunk.text.replace("<source", "‹source").replace("</source", "‹/source")
        blocks.append(f'<source n="{n}" doc="{chunk.doc_id}" title="{title}">\n{text}\n</source>')
    return "\n".join(blocks)


class GenerativeAnswerer:
    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.answer_prompt = prompts.load("answer")
        self.rewrite_prompt = prompts.load("rewrite")

    def rewrite(self, question: str, history: list[dict[str, str]]) -> str | None:
        """A standalone version of a follow-up, or None when the model's attempt is unusable."""
        conversation = "\n".join(f"{t['role']}: {t['content']}" for t in history[-6:] if t.get("content"))
        text = self.rewrite_prompt.render(conversation=conversation, question=question)
        try:
            reply = self.model.complete([{"role": "user", "content": text}], max_tokens=60)
        except LLMUnavailable:
            return None
        line = reply.strip().splitlines()[0].strip().strip('"“”') if reply.strip() else ""
        if not line or len(line) > 3 * len(question) + 80 or line.lower().startswith(("i ", "sorry")):
            return None
        return line

    def answer(
        self,
        snapshot: Snapshot,
        question: str,
        hits: list[Retrieved],
        on_token: Callable[[str], None] | None = None,
    ) -> Generated:
        chunks = [h.chunk for h in hits]
        system = self.answer_prompt.render(sources=format_sources(snapshot, chunks))
        messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
        try:
            draft = self.model.stream(messages, on_token)
        except LLMUnavailable as exc:
            return Generated(None, [f"The language model failed ({exc.reason}); showing the extractive answer."])
        if is_refusal(draft):
            return Generated(Composed(REFUSAL, [], True, False), verification={"draft": draft}, draft=draft)
        checked: Verification = verify(snapshot, draft, chunks)
        record = checked.to_json() | {"draft": draft}
        if not checked.kept:
            return Generated(None, [UNVERIFIED], record, draft)
        text, citations = render(snapshot, checked, chunks)
        notices = []
        if checked.dropped:
            n = len(checked.dropped)
            notices.append(f"{n} sentence(s) of the model's answer removed: not supported by the cited passages.")
        conflict = False
        if draft.lstrip().lower().startswith(CONFLICT_LEAD.lower().rstrip(":")):
            # The model says the sources disagree: shown as such only when what survived the check
            # still cites two documents, each side backed by its own passage.
            conflict = len({c.doc_id for c in citations}) >= 2
            if conflict:
                text = f"{CONFLICT_LEAD} {text}"
            else:
                notices.append(
                    "The model reported a disagreement between the sources that the check could not confirm."
                )
        return Generated(Composed(text, citations, False, conflict), notices, record, draft)
