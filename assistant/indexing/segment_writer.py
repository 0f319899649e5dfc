"""A batch's segment written beside its embedding, in a child process, when the batch is large.

With embedded Chroma an add holds Python's lock almost throughout (measured: a pure-Python
thread ran at 3% of its own speed during one), so the BM25 analysis of a batch (about 1.2 s per
25,000 chunks, Python all the way) could not overlap the adds in the ingest's process: it ran
between them with one core idle, 12% of a first ingest of 113,780 chunks. A child process
analyses and writes the segment while the ingest embeds and adds.

Small batches (an edit, an upload) are written in the ingest's own process: a child's start
costs more than their analysis. A child that dies is replaced by writing in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from . import snapshot
from .batch import Batch

IN_CHILD_FROM = 5_000  # chunks: below this a batch's analysis (0.25 s) costs less than a child's start

log = logging.getLogger("assistant.ingest")

Written = Callable[[], tuple[str, snapshot.SegmentInfo]]


class SegmentWriter:
    """Writes segments of one ingest; :meth:`close` ends its child, if one was started."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._pool: ProcessPoolExecutor | None = None

    def write(self, batch: Batch) -> tuple[str, snapshot.SegmentInfo]:
        """Write ``batch``'s segment now, in this process."""
        return _write(self.index_dir, batch)

    def start(self, batch: Batch) -> Written:
        """Begin writing ``batch``'s segment; the returned call waits for it. ``batch`` must not
        change until then."""
        if len(batch) < IN_CHILD_FROM:
            done = self.write(batch)
            return lambda: done
        try:
            future: Future[tuple[str, snapshot.SegmentInfo]] = self._child().submit(_write, self.index_dir, batch)
        except BrokenProcessPool:
            done = self._instead(batch)
            return lambda: done

        def wait() -> tuple[str, snapshot.SegmentInfo]:
            try:
                return future.result()
            except BrokenProcessPool:
                return self._instead(batch)

        return wait

    def _instead(self, batch: Batch) -> tuple[str, snapshot.SegmentInfo]:
        """The child died (killed, out of memory): this process writes the segment."""
        log.warning("the segment writer's child died; writing in-process", extra={"event": "segment_child_died"})
        self.close()
        return self.write(batch)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _child(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the ingest's process runs Chroma's and the embedder's threads, which fork
            # would copy mid-flight
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool


def _write(index_dir: Path, batch: Batch) -> tuple[str, snapshot.SegmentInfo]:
    return snapshot.write_segment(index_dir, batch, batch.texts)
