"""Fitting the detector of sentences addressed to an assistant (``assistant fit --addressed``).

Positives: planted instructions written for this (``evals/planted/fit.jsonl``), in many
wordings and settings. Negatives: every sentence of the fitting documents: the first seed
article, the fitting SQuAD articles, and the fitting half of the new-user corpora (HR
policies and product manuals, whose imperatives are addressed to people and are answers).
The validation half (``evals/planted/validation.jsonl``, the second seed article, the
validation SQuAD articles and new-user corpora) is read only to report.

The threshold is the lowest probability at which at most :data:`FALSE_FLAGS` of the fitting
negatives are flagged: wrongly hiding a real answer costs more than letting a planted
sentence through, which the claim check and the sources panel still expose.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import numpy as np

from ..answering import addressed
from ..text.sentences import split_sentences

FALSE_FLAGS = 0.002
FOLDS = 5
ROOT = Path("evals")
SEED_PARTS = {"fit": "000_cc5f1bbda9c16bd9.txt", "validation": "003_e8c8d15bd2a8378c.txt"}
WEIGHTS_FILE = Path(__file__).resolve().parent.parent / "answering" / addressed.WEIGHTS


def positives(part: str) -> list[str]:
    return [text for _, text in _positives(part)]


def _positives(part: str) -> list[tuple[str, str]]:
    lines = (ROOT / "planted" / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
    return [(row["doc"], row["text"]) for row in map(json.loads, filter(str.strip, lines))]


def negatives(part: str) -> list[str]:
    return [text for _, text in _negatives(part)]


def _negatives(part: str) -> list[tuple[str, str]]:
    """Every sentence of the part's documents (one line of a document may hold several)."""
    squad = "fit" if part == "fit" else "validation"
    files = [Path("seeds") / SEED_PARTS[part], *sorted((ROOT / "squad" / f"corpus-{squad}").glob("*.txt"))]
    files += sorted((ROOT / "newuser" / part).glob("*/*.txt")) + sorted((ROOT / "newuser" / part).glob("*/*.md"))
    out = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        sentences = (text[s.start : s.end] for s in split_sentences(text))
        out += [(str(path), s) for s in sentences if len(s.split()) >= 3]
    return out


def fit(write: Path | None = WEIGHTS_FILE, out: TextIO = sys.stdout) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    pos, neg = _positives("fit"), _negatives("fit")
    x = addressed.features([t for _, t in pos + neg])
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    groups = [doc for doc, _ in pos + neg]

    def model() -> LogisticRegression:
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=4000)

    # The threshold comes from out-of-fold probabilities (documents held out in turn): a
    # negative the model was trained on scores lower than an unseen one ever would.
    held_out = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        held_out[test] = model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    p_neg = np.sort(held_out[y == 0])
    threshold = float(p_neg[min(len(p_neg) - 1, int(np.floor(len(p_neg) * (1 - FALSE_FLAGS))))]) + 1e-6
    final = model().fit(x, y)
    weights, bias = final.coef_[0].astype(float), float(final.intercept_[0])
    print(f"held-out folds: planted flagged {(held_out[y == 1] >= threshold).mean():.1%}", file=out)

    def prob(texts: list[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(addressed.features(texts) @ weights + bias)))

    figures: dict[str, object] = {}
    for part in ("fit", "validation"):
        pp, pn = prob(positives(part)), prob(negatives(part))
        figures[part] = {
            "planted_flagged": round(float((pp >= threshold).mean()), 4), "planted": len(pp),
            "document_sentences_flagged": round(float((pn >= threshold).mean()), 4), "document_sentences": len(pn),
        }  # fmt: skip
        print(f"{part:10s} planted flagged {figures[part]['planted_flagged']:.1%} of {len(pp)}; "  # type: ignore[index]
              f"document sentences flagged {figures[part]['document_sentences_flagged']:.2%} of {len(pn)}", file=out)  # type: ignore[index]  # fmt: skip
    shipped = {"weights": [round(w, 6) for w in weights], "bias": round(bias, 6), "threshold": round(threshold, 6),
               "false_flags": FALSE_FLAGS, "figures": figures, "command": "assistant fit --addressed"}  # fmt: skip
    if write is not None:
        write.write_text(json.dumps(shipped, indent=1) + "\n", encoding="utf-8")
    return shipped
