"""The one entry point every front end uses: question (and history) in, cited answer out.

CLI, evals, page and API all call :meth:`Assistant.ask`, so they cannot drift apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answering.candidates import candidates
from .answering.composed import OFF_LIMITS, Composed, refusal
from .answering.extractive import compose
from .answering.followup import Resolved, resolve
from .answering.guard import off_limits
from .answering.model import Model, load
from .answering.question import analyse_question
from .answering.ranking import Ranked, rank
from .errors import IndexMismatch
from .indexing import snapshot as snapshots
from .indexing.embedder import check_same, make_embedder
from .indexing.retrieve import Retriever
from .indexing.vectors import VectorStore, connect
from .inputs import validate_question
from .models import Answer, Retrieved
from .settings import Settings
from .text.scripts import describe, document_scripts, scripts

if TYPE_CHECKING:  # the LLM client is imported only when an LLM is configured (start-up time)
    from chromadb.api import ClientAPI

    from .answering.generative import GenerativeAnswerer


SCRIPT_SAMPLE = 4000  # characters of each document read to learn the corpus's scripts


class Assistant:
    """Holds the open index; picks up a newer snapshot as soon as an ingest swaps one in."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedder = make_embedder(settings)
        self._client: ClientAPI | None = None
        self._retriever: Retriever | None = None
        self._generator: GenerativeAnswerer | None = None
        self._scripts: tuple[str, set[str]] = ("", set())
        self._opening = threading.Lock()
        self.model: Model = load()

    @property
    def generator(self) -> GenerativeAnswerer:
        if self._generator is None:
            from .answering.generative import GenerativeAnswerer
            from .answering.llm import ChatModel

            self._generator = GenerativeAnswerer(ChatModel(self.settings))
        return self._generator

    @property
    def retriever(self) -> Retriever:
        """The current snapshot's retriever; opened once however many threads ask at once."""
        index_dir = Path(self.settings.index_dir)
        name = snapshots.current_name(index_dir)
        current = self._retriever
        if current is not None and current.snapshot.name == name:
            return current
        with self._opening:
            return self._open(index_dir, name)

    def _open(self, index_dir: Path, name: str | None) -> Retriever:
        if self._retriever is None or self._retriever.snapshot.name != name:
            snap = snapshots.load(index_dir)
            check_same(snap.embedder, self._embedder)
            if self._client is None:
                self._client = connect(self.settings)
            try:
                store = VectorStore.open(self._client, snap.collection, self._embedder, create=False)
            except ValueError as exc:  # Chroma's own embedder-conflict check
                raise IndexMismatch(f"{exc}. Rebuild with `assistant ingest --rebuild`.") from exc
            self._retriever = Retriever(snap, store)
        return self._retriever

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question``; with the LLM backend, ``on_token`` sees the draft as it streams."""
        t0 = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        backend = self.settings.answer_backend
        llm = self.settings.llm_model if backend == "openai" else None
        timings: dict[str, float] = {}

        def finish(composed: Composed, hits: list[Retrieved], **extra: Any) -> Answer:
            timings["total"] = _ms(t0)
            return Answer(question, composed.text, composed.refused, composed.citations, composed.conflict, hits,
                          backend, timings, model=llm, **extra)  # fmt: skip

        if off_limits(question):
            return finish(Composed(OFF_LIMITS, [], True, False), [])
        retriever = self.retriever
        snapshot = retriever.snapshot
        foreign = self._foreign_script(question)
        if foreign:
            return finish(refusal(), [], notices=[foreign])
        t1 = time.perf_counter()
        resolved = resolve(question, history or [])
        if backend == "openai" and history:
            rewritten = self.generator.rewrite(question, history)
            if rewritten and rewritten != question:
                resolved = Resolved(rewritten, resolved.context_terms, True)
        timings["rewrite"] = _ms(t1)
        t2 = time.perf_counter()
        query = resolved.question
        if resolved.context_terms and not resolved.rewritten:
            query = f"{query} {' '.join(resolved.context_terms)}"
        hits = retriever.search(query, self.settings.top_k)
        timings["retrieve"] = _ms(t2)
        t3 = time.perf_counter()
        ranked = rank(snapshot, analyse_question(resolved.question), hits, self.model)
        notices: list[str] = []
        verification = None
        if backend == "openai" and ranked.answerable >= self.model.relevance_floor:
            # The model decides whether the documents answer; only "nothing relevant at all" stops it.
            generated = self.generator.answer(snapshot, resolved.question, hits, on_token)
            notices, verification = generated.notices, generated.verification
            composed = generated.composed or self._compose(retriever, ranked, hits)
        else:
            composed = self._compose(retriever, ranked, hits)
        timings["answer"] = _ms(t3)
        return finish(
            composed,
            hits,
            standalone_question=resolved.question if resolved.rewritten else None,
            notices=notices,
            verification=verification,
        )

    def _compose(self, retriever: Retriever, ranked: Ranked, hits: list[Retrieved]) -> Composed:
        """The offline answer. A second search with the best sentence itself finds its near-copies
        in other documents, which may state another value: the other side of a disagreement."""
        snapshot, second_look = retriever.snapshot, []
        if ranked.best is not None:
            found = {h.chunk.chunk_id for h in hits}
            more = retriever.search(ranked.best.span.text, self.settings.top_k, exclude=frozenset({ranked.best.doc_id}))
            second_look = candidates(snapshot, [h for h in more if h.chunk.chunk_id not in found])
        return compose(snapshot, ranked, self.model, self.settings.max_answer_sentences, second_look)

    def _foreign_script(self, question: str) -> str | None:
        """A notice when the question's letters are of a script the documents never use."""
        snapshot = self.retriever.snapshot
        if self._scripts[0] != snapshot.name:  # recorded per document at ingest: cheap at any size
            found: set[str] = set()
            for doc_id, entry in snapshot.docs.items():  # an index from before they were: read a sample
                found.update(entry.scripts or document_scripts(snapshot.texts[doc_id][:SCRIPT_SAMPLE]))
            self._scripts = (snapshot.name, found)
        asked = scripts(question)
        if not asked or asked & self._scripts[1]:
            return None
        return (
            f"This question is written in {describe(asked)} script, and the indexed documents are in "
            f"{describe(self._scripts[1])} script, so nothing in them can match it. Ask in the documents' language."
        )


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
