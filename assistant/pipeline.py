"""The one entry point every front end uses: question (and history) in, cited answer out.

CLI, evals, page and API all call :meth:`Assistant.ask`, so they cannot drift apart.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answering import calibration
from .answering.candidates import candidates
from .answering.composed import OFF_LIMITS, Composed, refusal
from .answering.extractive import compose
from .answering.followup import Resolved, resolve
from .answering.guard import off_limits
from .answering.model import Model, load
from .answering.question import analyse_question
from .answering.ranking import Ranked, extend, rank
from .errors import IndexMismatch
from .indexing import snapshot as snapshots
from .indexing.embedder import check_same, make_embedder
from .indexing.retrieve import Retriever
from .indexing.vectors import VectorStore, connect, holds, sees
from .inputs import validate_question
from .models import Answer, Retrieved
from .settings import Settings
from .text.scripts import describe, document_scripts, scripts

if TYPE_CHECKING:  # the LLM client is imported only when an LLM is configured (start-up time)
    from chromadb.api import ClientAPI

    from .answering.generative import GenerativeAnswerer


WARM_QUESTION = "What is this about?"  # any question: only the paths it runs matter
SCRIPT_SAMPLE = 4000  # characters of each document read to learn the corpus's scripts


class Assistant:
    """Holds the open index; picks up a newer snapshot as soon as an ingest swaps one in."""

    def __init__(self, settings: Settings, model: Model | None = None) -> None:
        self.settings = settings
        self._embedder = make_embedder(settings)
        self._client: ClientAPI | None = None
        self._retriever: Retriever | None = None
        self._generator: GenerativeAnswerer | None = None
        self._scripts: tuple[str, set[str]] = ("", set())
        self._opening = threading.Lock()
        self._calibrating = threading.Lock()
        self._calibrated: tuple[str, Model, Model] | None = None  # (snapshot, model, calibrated copy)
        self.model: Model = model or load()  # another model: only ``assistant fit`` passes one

    @property
    def generator(self) -> GenerativeAnswerer:
        if self._generator is None:
            from .answering.generative import GenerativeAnswerer
            from .answering.llm import ChatModel

            self._generator = GenerativeAnswerer(ChatModel(self.settings), self.settings)
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
                holds(snap.name, self._client)  # opened after the vectors were stored
            elif not sees(self.settings, snap.name, self._client):
                cached = connect(self.settings)  # an ingest in this process may have reopened it already
                if not sees(self.settings, snap.name, cached):  # another process stored the new vectors
                    cached = connect(self.settings, fresh=True)
                    holds(snap.name, cached)
                self._client = cached
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
                          backend, timings, model=llm, sentences=composed.statuses(), **extra)  # fmt: skip

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
        model = self.model_for(retriever)
        ranked = rank(snapshot, analyse_question(resolved.question), hits, model)
        notices: list[str] = []
        verification = None
        if backend == "openai" and ranked.relevance >= model.relevance_floor:
            # The model decides whether the documents answer; only "nothing relevant at all" stops it.
            generated = self.generator.answer(snapshot, resolved.question, hits, on_token)
            notices, verification = generated.notices, generated.verification
            composed = generated.composed or self._compose(retriever, ranked, hits, model)
        else:
            composed = self._compose(retriever, ranked, hits, model)
        timings["answer"] = _ms(t3)
        return finish(
            composed,
            hits,
            standalone_question=resolved.question if resolved.rewritten else None,
            notices=notices,
            verification=verification,
        )

    def _compose(self, retriever: Retriever, ranked: Ranked, hits: list[Retrieved], model: Model) -> Composed:
        first_search = len(ranked.candidates)
        ranked = self.second_look(retriever, ranked, hits, model)
        return compose(retriever.snapshot, ranked, model, self.settings.max_answer_sentences, first_search)

    def second_look(self, retriever: Retriever, ranked: Ranked, hits: list[Retrieved], model: Model) -> Ranked:
        """``ranked`` with the sentences of a second search, made with the best sentence itself
        (its own document left out), ranked after its own: near-copies in other documents that
        the question alone did not bring back, which may state another value."""
        if ranked.best is None:
            return ranked
        snapshot = retriever.snapshot
        found = {h.chunk.chunk_id for h in hits}
        seen = {(c.doc_id, c.span.start) for c in ranked.candidates}
        more = retriever.search(ranked.best.span.text, self.settings.top_k, exclude=frozenset({ranked.best.doc_id}))
        new = [
            c
            for c in candidates(snapshot, [h for h in more if h.chunk.chunk_id not in found])
            if (c.doc_id, c.span.start) not in seen
        ]
        return extend(snapshot, ranked, new, model)

    def warm(self) -> None:
        """Pay the first question's one-time costs before anyone asks (a server calls this as
        it starts): Chroma loads its HNSW graph at the first query (0.5 s at 113,780 chunks), the
        antonym index is built, a large corpus is calibrated. Nothing is composed, no LLM is asked."""
        self.examine(WARM_QUESTION)

    def examine(self, question: str) -> tuple[Ranked, int]:
        """What the offline answer is composed from, for fitting the decisions made on it: the
        ranked candidates with the second search's after them, and how many came first."""
        retriever = self.retriever
        model = self.model_for(retriever)
        hits = retriever.search(question, self.settings.top_k)
        ranked = rank(retriever.snapshot, analyse_question(question), hits, model)
        return self.second_look(retriever, ranked, hits, model), len(ranked.candidates)

    def model_for(self, retriever: Retriever) -> Model:
        """The model with this corpus's relevance threshold: the fitted one, or for a corpus
        larger than any it was fitted on, one measured on the corpus (:mod:`calibration`)."""
        snapshot = retriever.snapshot
        if len(snapshot.chunks) <= self.model.calibrate_above:
            return self.model
        known = self._calibrated
        if known is not None and known[0] == snapshot.name and known[1] is self.model:
            return known[2]
        with self._calibrating:
            model = self.model
            threshold = self._calibration(retriever, model)
            calibrated = replace(model, relevance_threshold=threshold)
            self._calibrated = (snapshot.name, model, calibrated)
            return calibrated

    def _calibration(self, retriever: Retriever, model: Model) -> float:
        """The corpus's relevance threshold, from ``index/calibration.json`` while it holds for
        this corpus and these weights, else measured now (a few seconds) and written there."""
        snapshot, path = retriever.snapshot, Path(self.settings.index_dir) / CALIBRATION
        weights = _weights_id(model)
        saved = _saved_threshold(path, weights, len(snapshot.chunks))
        if saved is not None:
            return max(model.relevance_threshold, saved)
        scores = []
        for question in calibration.bank():
            hits = retriever.search(question, self.settings.top_k)
            scores.append(rank(snapshot, analyse_question(question), hits, model).relevance)
        threshold = calibration.threshold(scores, model.relevance_threshold, model.calibration_quantile)
        record = {"weights": weights, "chunks": len(snapshot.chunks), "threshold": threshold, "snapshot": snapshot.name}
        snapshots.replace_text(path, json.dumps(record) + "\n")
        return threshold

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


CALIBRATION = "calibration.json"  # in the index folder: a large corpus's relevance threshold


def _weights_id(model: Model) -> str:
    return str(model.meta.get("data", {}).get("fit_sha256", ""))


def _saved_threshold(path: Path, weights: str, chunks: int) -> float | None:
    """The threshold saved for these weights, while it holds for a corpus of ``chunks``."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("weights") == weights and calibration.still_valid(int(saved["chunks"]), chunks):
            return float(saved["threshold"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def needs_calibration(settings: Settings, chunks: int) -> bool:
    """Whether a corpus of ``chunks`` needs its relevance threshold measured (it is larger than
    the fitted model's corpora, and none saved holds for it)."""
    model = load()
    if chunks <= model.calibrate_above:
        return False
    return _saved_threshold(Path(settings.index_dir) / CALIBRATION, _weights_id(model), chunks) is None


def calibrate(settings: Settings) -> None:
    """Measure and save the corpus's relevance threshold now."""
    assistant = Assistant(settings)
    assistant.model_for(assistant.retriever)


_CALIBRATE = (
    "import json, sys\n"
    "from assistant.pipeline import calibrate\n"
    "from assistant.settings import Settings\n"
    "calibrate(Settings.model_validate(json.loads(sys.stdin.read())))\n"
)


def calibrate_in_child(settings: Settings) -> str | None:
    """:func:`calibrate` in a child process, for a process that answers no questions itself (a
    server's folder watcher): the next question, or a worker's start, then does not pay for it
    (3 s at 113,780 chunks). Returns why it failed, or None (then the first question measures
    it)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _CALIBRATE], input=settings.handoff(), text=True, capture_output=True, check=False
    )
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
