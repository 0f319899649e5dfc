"""Fitting the claim check's two thresholds (``assistant fit --claims``).

Data: the fitting half of the labelled claims (:mod:`claims`): the fitting seed document's
hand-written paraphrases and falsified claims (plus each paraphrase cited to another fact's
passage), and the fitting SQuAD articles' sentences as they stand and with their answer
swapped. The validation half is never read here. Each source weighs the same.

- ``related``: support below which a citation is taken to point at something else and the
  sentence is dropped. The highest value that drops at most :data:`FAITHFUL_DROP` of the
  faithful claims that no contradiction drops: a faithful sentence is dropped only by a
  checkable error, not by a doubt.
- ``confirm``: support from which a sentence without contradiction or doubt is shown as
  confirmed. The lowest value at which at most :data:`FALSE_CONFIRM` of the unsupported
  claims are confirmed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from ..answering import check
from ..indexing import snapshot as snapshots
from ..settings import Settings
from . import claims
from .corpora import index_settings

FAITHFUL_DROP = 0.02
FALSE_CONFIRM = 0.05
SOURCES = {
    "seeds": (Path("evals/claims/seeds.jsonl"), Path("seeds")),
    "squad": (Path("evals/conflicts/{part}-swapped.jsonl"), Path("evals/squad/corpus-{part}")),
}
THRESHOLDS_FILE = Path(__file__).resolve().parent.parent / "answering" / check.THRESHOLDS


@dataclass(frozen=True)
class Read:
    """A labelled claim and its reading against the passage around its evidence."""

    claim: claims.LabelledClaim
    source: str
    reading: check.Reading


def gather(settings: Settings, part: str) -> list[Read]:
    out = []
    for source, (golden, corpus) in SOURCES.items():
        path, folder = Path(str(golden).format(part=part)), Path(str(corpus).format(part=part))
        snapshot = snapshots.load(Path(index_settings(settings, folder).index_dir))
        out += [Read(c, source, claims.judge(snapshot, c)) for c in claims.load(path, part)]
    return out


def _weights(reads: list[Read]) -> np.ndarray:
    """Each source weighs the same."""
    counts = {s: sum(r.source == s for r in reads) for s in {r.source for r in reads}}
    return np.array([1.0 / counts[r.source] for r in reads])


def choose(reads: list[Read]) -> tuple[float, float]:
    """(related, confirm) from the fitting claims."""
    faithful = [r for r in reads if r.claim.supported and r.reading.contradiction is None]
    support, weights = np.array([r.reading.support for r in faithful]), _weights(faithful)
    order = np.argsort(support)
    below = support[order][np.cumsum(weights[order]) / weights.sum() <= FAITHFUL_DROP]
    related = float(below.max()) if len(below) else 0.0
    unsupported = [r for r in reads if not r.claim.supported]
    weights = _weights(unsupported)
    open_to_confirm = np.array([r.reading.contradiction is None and r.reading.doubt is None for r in unsupported])
    support = np.array([r.reading.support for r in unsupported])
    for threshold in sorted({*support[open_to_confirm].tolist(), 1.0}):
        if weights[open_to_confirm & (support >= threshold)].sum() / weights.sum() <= FALSE_CONFIRM:
            return related, max(threshold, related)
    return related, 1.0


def fit(settings: Settings, out: TextIO = sys.stdout, write: Path | None = THRESHOLDS_FILE) -> check.Thresholds:
    reads = gather(settings, "fit")
    related, confirm = choose(reads)
    limits = check.Thresholds(confirm, related, {})
    statuses = [r.reading.status(limits) for r in reads]
    figures = {f"fit:{k}": v for k, v in claims.status_metrics([r.claim for r in reads], statuses).items()}
    meta = {
        "command": "assistant fit --claims",
        "data": "fitting halves of evals/claims/seeds.jsonl and evals/conflicts/fit-swapped.jsonl",
        "rule": f"related: drop at most {FAITHFUL_DROP:.0%} of faithful claims; "
        f"confirm: at most {FALSE_CONFIRM:.0%} of unsupported claims confirmed",
        "figures": figures,
    }
    limits = check.Thresholds(confirm, related, meta)
    print(f"claim check: related {related:.4f}, confirm {confirm:.4f} (from {len(reads)} fitting claims)", file=out)
    for name, value in figures.items():
        print(f"  {name:<40} {value}", file=out)
    if write is not None:
        import json

        write.write_text(json.dumps(limits.to_json(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {write}", file=out)
    return limits
