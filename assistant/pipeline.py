"""The one entry point every front end uses: question (and history) in, cited answer out.

CLI, evals, page and API all call :meth:`Assistant.ask`, so they cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .answering.evidence import candidates, score
from .answering.extractive import OFF_LIMITS, compose
from .answering.followup import Resolved, resolve
from .answering.guard import off_limits
from .answering.question import analyse_question
from .errors import IndexMismatch
from .indexing import snapshot as snapshots
from .indexing.embedder import check_same, make_embedder
from .indexing.retrieve import Retriever
from .indexing.vectors import VectorStore, connect
from .inputs import validate_question
from .models import Answer
from .settings import Settings

if TYPE_CHECKING:  # the LLM client is imported only when an LLM is configured (start-up time)
    from chromadb.api import ClientAPI

    from .answering.generative import GenerativeAnswerer


class Assistant:
    """Holds the open index; picks up a newer snapshot as soon as an ingest swaps one in."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedder = make_embedder(settings)
        self._client: ClientAPI | None = None
        self._retriever: Retriever | None = None
        self._generator: GenerativeAnswerer | None = None

    @property
    def generator(self) -> GenerativeAnswerer:
        if self._generator is None:
            from .answering.generative import GenerativeAnswerer
            from .answering.llm import ChatModel

            self._generator = GenerativeAnswerer(ChatModel(self.settings))
        return self._generator

    @property
    def retriever(self) -> Retriever:
        index_dir = Path(self.settings.index_dir)
        name = snapshots.current_name(index_dir)
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
        model = self.settings.llm_model if backend == "openai" else None
        timings: dict[str, float] = {}
        if off_limits(question):
            timings["total"] = _ms(t0)
            return Answer(question, OFF_LIMITS, True, [], False, [], backend, timings, model=model)
        retriever = self.retriever
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
        info = analyse_question(resolved.question)
        ranked = score(retriever.snapshot, info, candidates(retriever.snapshot, hits), resolved.context_terms)
        composed = compose(retriever.snapshot, info, ranked, self.settings.max_answer_sentences)
        notices: list[str] = []
        verification = None
        if backend == "openai" and not composed.refused:  # the refusal gate runs before the model
            generated = self.generator.answer(retriever.snapshot, resolved.question, hits, on_token)
            notices = generated.notices
            verification = generated.verification
            if generated.composed is not None:
                conflict = composed.conflict
                composed = generated.composed
                composed.conflict = conflict and not composed.refused
        timings["answer"] = _ms(t3)
        timings["total"] = _ms(t0)
        return Answer(
            question=question,
            answer=composed.text,
            refused=composed.refused,
            citations=composed.citations,
            conflict=composed.conflict,
            retrieved=hits,
            backend=backend,
            timings_ms=timings,
            standalone_question=resolved.question if resolved.rewritten else None,
            notices=notices,
            model=model,
            verification=verification,
        )


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
