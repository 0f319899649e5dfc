"""A corpus larger than any the relevance gate was fitted on gets its own threshold, measured by
asking it questions about other things; the measurement is kept beside the index and reused
while the corpus stays about the same size."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from assistant.answering import calibration
from assistant.answering.model import load
from assistant.pipeline import Assistant
from assistant.settings import Settings

from .conftest import assistant_over

DOCS = {
    "river.txt": "The Aske rises in the hills above Tarvel and reaches the sea at Brenmouth after 80 kilometres.\n",
    "market.txt": "Tarvel's market is held in the square every Thursday; stalls open at 8 am.\n",
}


def test_the_threshold_refuses_most_questions_about_other_things_and_never_drops_below_the_fitted_one() -> None:
    assert calibration.threshold([0.1, 0.2, 0.3], fitted=0.5, quantile=0.9) == 0.5
    assert calibration.threshold([0.0] * 96 + [0.9, 0.92, 0.95, 0.97], fitted=0.1, quantile=0.98) > 0.8
    assert calibration.threshold([], fitted=0.4, quantile=0.98) == 0.4
    assert len(calibration.bank()) >= 100 and all(q.endswith("?") for q in calibration.bank())


def test_a_large_corpus_is_calibrated_once_and_the_measurement_is_reused(tmp_path: Path) -> None:
    small = assistant_over(tmp_path, DOCS)
    fitted = load()
    assert small.model_for(small.retriever) is small.model  # small: the fitted threshold, nothing measured
    assert not (tmp_path / "index" / "calibration.json").exists()

    larger = dataclasses.replace(fitted, calibrate_above=0)  # as if the corpus were larger than any fitted on
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path / "corpus")
    first = Assistant(settings, larger)
    model = first.model_for(first.retriever)
    saved = json.loads((tmp_path / "index" / "calibration.json").read_text())
    assert model.relevance_threshold == saved["threshold"] >= fitted.relevance_threshold
    assert saved["chunks"] == len(first.retriever.snapshot.chunks)

    assert not first.ask("On which day is the market held?").refused

    # A new process reads the measurement instead of asking again, and applies it: a threshold
    # no question can clear (written here in its place) refuses the question answered above.
    (tmp_path / "index" / "calibration.json").write_text(json.dumps({**saved, "threshold": 1.0}))
    again = Assistant(settings, larger)
    assert again.model_for(again.retriever).relevance_threshold == 1.0
    assert again.ask("On which day is the market held?").refused


def test_ingest_measures_a_large_corpus_so_its_first_question_does_not(tmp_path: Path) -> None:
    """`assistant ingest` measures the threshold of a corpus above the fitted sizes as it ends
    (in a child process); the first `ask` then reads it, and an unchanged re-ingest keeps it."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {
        "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
        "ASSISTANT_CORPUS_DIR": str(ROOT / "evals/squad/corpus-fit"),
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    first = cli("ingest")
    assert "measuring the relevance threshold" in first.stderr
    saved_path = tmp_path / "index" / "calibration.json"
    saved = json.loads(saved_path.read_text())
    assert saved["chunks"] > load().calibrate_above and saved["threshold"] >= load().relevance_threshold
    written = saved_path.stat().st_mtime_ns
    cli("ask", "When did the Normans reach Italy?")
    again = cli("ingest")
    assert "measuring" not in again.stderr and saved_path.stat().st_mtime_ns == written
