"""The LLM answerer: numbered sources in, a streamed answer out, every sentence verified.

The model is only asked when retrieval found something that answers (the same gate as the
extractive answerer), document text goes in delimited as data, and what comes back is
checked sentence by sentence (:mod:`verify`): contradicted sentences are dropped, weakly
supported ones shown as unconfirmed. Those the check leaves unconfirmed go back to the same
model once, all together with their evidence (the second reader): "contradicted" drops a
sentence, "supported" confirms it. When the model fails, or nothing it said survives the
check, the extractive answer is given instead with a one-line notice.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..indexing.snapshot import Snapshot
from ..models import Chunk, Retrieved
from ..settings import Settings
from . import check, prompts
from .composed import CONFLICT_LEAD, REFUSAL, Composed
from .llm import ChatModel, LLMUnavailable
from .verify import Verification, is_refusal, render_sentences, verify

VERDICTS = ("supported", "contradicted", "not stated")

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
    def __init__(self, model: ChatModel, settings: Settings | None = None) -> None:
        self.model = model
        self.max_sentences = settings.max_answer_sentences if settings else 3
        self.second_reader = settings.second_reader if settings else True
        self.answer_prompt = prompts.load("answer")
        self.rewrite_prompt = prompts.load("rewrite")
        self.reader_prompt = prompts.load("second_reader")

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
        checked: Verification = verify(snapshot, draft, chunks, self.max_sentences)
        if self.second_reader:
            self.read_again(snapshot, checked, chunks)
        record = checked.to_json() | {"draft": draft, "counts": checked.counts()}
        if not checked.kept:
            return Generated(None, [UNVERIFIED], record, draft)
        text, citations, sentences = render_sentences(snapshot, checked, chunks)
        notices = []
        if checked.dropped:
            n = len(checked.dropped)
            notices.append(
                f"{n} sentence(s) of the model's answer removed: contradicted by or missing from the cited passages."
            )
        unconfirmed = sum(s["status"] == check.UNCONFIRMED for s in sentences)
        if unconfirmed:
            notices.append(
                f"{unconfirmed} sentence(s) marked not confirmed: nothing in the cited passages contradicts them, "
                "but the passages do not clearly state them."
            )
        conflict = False
        if draft.lstrip().lower().startswith(CONFLICT_LEAD.lower().rstrip(":")):
            # The model says the sources disagree: shown as such only when what survived the check
            # still cites two documents, each side backed by its own passage.
            conflict = len({c.doc_id for c in citations}) >= 2
            if conflict:
                text = f"{CONFLICT_LEAD} {text}"
                if sentences:
                    sentences[0] = sentences[0] | {"text": f"{CONFLICT_LEAD} {sentences[0]['text']}"}
            else:
                notices.append(UNCONFIRMED_CONFLICT)
        return Generated(Composed(text, citations, False, conflict, sentences), notices, record, draft)

    def read_again(self, snapshot: Snapshot, checked: Verification, chunks: list[Chunk]) -> None:
        """One short call about every unconfirmed sentence, each with the passage sentence it
        was read against: "contradicted" drops it, "supported" confirms it, anything else (or
        an unusable reply) leaves it as it was. Recorded in ``checked.second_reader``."""
        doubtful = [k for k in checked.kept if k.status == check.UNCONFIRMED]
        if not doubtful:
            return
        items = [
            (kept.text, " ".join(snapshot.texts[chunks[n - 1].doc_id][a:b] for n, a, b in kept.quotes[:2]))
            for kept in doubtful
        ]
        verdicts, record = second_reading(self.model, self.reader_prompt, items)
        for kept, verdict in zip(doubtful, verdicts, strict=True):
            if verdict == "contradicted":
                checked.kept.remove(kept)
                checked.dropped.append(
                    {
                        "sentence": kept.text,
                        "reason": "the second reader found it contradicted by its passage",
                        "support": round(kept.support, 3),
                    }
                )
            elif verdict == "supported":
                kept.status, kept.reason = check.CONFIRMED, "confirmed by the second reader"
        record["confirmed"] = verdicts.count("supported")
        record["dropped"] = verdicts.count("contradicted")
        checked.second_reader = record


def second_reading(
    model: ChatModel, prompt: prompts.Prompt, items: list[tuple[str, str]]
) -> tuple[list[str | None], dict[str, Any]]:
    """One call asking ``model`` about each (statement, evidence): the verdicts (None where the
    reply gives none usable) and a record of the call (prompt, reply, seconds, any error)."""
    blocks = []
    for i, (statement, evidence) in enumerate(items, start=1):
        evidence = evidence.replace("<evidence", "‹evidence").replace("</evidence", "‹/evidence")
        blocks.append(f"Statement {i}: {statement}\n<evidence>{evidence}</evidence>")
    started = time.perf_counter()
    record: dict[str, Any] = {"asked": len(items), "prompt": prompt.describe()}
    try:
        reply = model.complete(
            [{"role": "user", "content": prompt.render(claims="\n\n".join(blocks))}], max_tokens=16 + 12 * len(items)
        )
    except LLMUnavailable as exc:
        reply, record["error"] = "", exc.reason
    record["seconds"] = round(time.perf_counter() - started, 3)
    verdicts = parse_verdicts(reply, len(items))
    record["reply"], record["verdicts"] = reply, verdicts
    return verdicts, record


def parse_verdicts(reply: str, n: int) -> list[str | None]:
    """The verdict on each of ``n`` statements from the model's reply; None where the reply
    gives none usable (a small model's reply is often not JSON at all)."""
    found = re.search(r"\{.*\}", reply, re.S)
    data: Any = None
    if found:
        try:
            data = json.loads(found.group(0))
        except ValueError:
            data = None
    out: list[str | None] = [None] * n
    if isinstance(data, dict):
        for key, value in data.items():
            index = int(key) - 1 if str(key).strip().isdigit() else -1
            verdict = str(value).strip().lower().replace("_", " ")
            if 0 <= index < n and verdict in VERDICTS:
                out[index] = verdict
    return out
