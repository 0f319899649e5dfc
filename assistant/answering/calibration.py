"""The relevance threshold of one corpus: how high a question about something else scores on it.

The relevance gate's threshold is fitted on corpora of one to a few articles. On a larger
corpus a question about something the documents never mention finds more that looks like it
(measured: questions refused at the fitted threshold fell from 99% on one-article corpora to
89% on nine-article ones), so the same probability does not mean the same there. For a corpus
larger than any it was fitted on, the threshold is therefore measured on the corpus itself: the
questions of ``offtopic.txt`` (general knowledge about other things) are asked of it, and the
threshold is raised, if need be, to refuse a share of them (``Model.calibration_quantile``,
fitted by ``assistant fit`` on a corpus of all the fitting articles: the share that costs least
between answerable questions lost and questions about other things answered). The fitted
threshold is a floor: a corpus never becomes easier to answer from than the fitting corpora were.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

import numpy as np

BANK = "offtopic.txt"
REUSE_WITHIN = 0.1  # a calibration stays valid while the corpus's chunk count changes less than this share


@functools.cache
def bank() -> tuple[str, ...]:
    """The questions about other things, shipped with the package."""
    text = resources.files("assistant.answering").joinpath(BANK).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def threshold(scores: Sequence[float], fitted: float, quantile: float) -> float:
    """The relevance threshold for a corpus on which the bank's questions scored ``scores``:
    refuse ``quantile`` of them, and never less than the ``fitted`` threshold."""
    if not len(scores):
        return fitted
    return max(fitted, float(np.quantile(np.asarray(scores, dtype=float), quantile)))


def still_valid(calibrated_chunks: int, chunks: int) -> bool:
    """Whether a calibration made at ``calibrated_chunks`` still holds for a corpus of ``chunks``."""
    return calibrated_chunks > 0 and abs(chunks - calibrated_chunks) <= REUSE_WITHIN * calibrated_chunks
