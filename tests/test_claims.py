"""The labelled claims behind the LLM answer's claim check, and their eval tier."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from assistant.evals import claims
from assistant.evals.runner import run
from assistant.settings import Settings

from .conftest import ROOT
from .test_evals import _options

SEEDS_CLAIMS = ROOT / "evals" / "claims" / "seeds.jsonl"


def test_every_claim_has_verbatim_evidence_and_both_labels_per_fact() -> None:
    records = [json.loads(line) for line in SEEDS_CLAIMS.read_text(encoding="utf-8").splitlines() if line]
    assert len(records) >= 300
    for r in records:
        assert r["evidence"] in (ROOT / "seeds" / r["document"]).read_text(encoding="utf-8"), r["id"]
        assert r["kind"] == "paraphrase" if r["label"] == "supported" else r["kind"] in claims.FALSIFIED
        assert r["claim"] not in r["evidence"]  # a paraphrase, not a copy
    per_case = collections.defaultdict(collections.Counter)
    for r in records:
        per_case[r["case"]][r["label"]] += 1
    golden = [json.loads(line) for line in (ROOT / "evals" / "golden.jsonl").read_text().splitlines() if line]
    facts = {c["id"] for c in golden if c["kind"] == "fact"}
    assert set(per_case) == facts
    assert all(c["supported"] >= 3 and c["unsupported"] >= 2 for c in per_case.values())


def test_split_is_by_document_and_wrong_passages_are_added() -> None:
    fit, validation = claims.load(SEEDS_CLAIMS, "fit"), claims.load(SEEDS_CLAIMS, "validation")
    assert {c.document for c in fit}.isdisjoint({c.document for c in validation})
    unrelated = [c for c in fit if c.kind == "unrelated"]
    assert unrelated and all(not c.supported for c in unrelated)
    assert len(claims.load(SEEDS_CLAIMS, "all")) == len(fit) + len(validation)


def test_claim_suite_runs_gates_and_reports(seed_settings: Settings, tmp_path: Path) -> None:
    records = SEEDS_CLAIMS.read_text(encoding="utf-8").splitlines()[:14]  # two facts, 7 claims each
    (tmp_path / "claims.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    suites = tmp_path / "suites.toml"
    suites.write_text(
        f'[suites.mini-claims]\ngolden = "{tmp_path / "claims.jsonl"}"\nclaims = "all"\ncorpus = "{ROOT / "seeds"}"\n'
    )
    floors = tmp_path / "floors.toml"
    floors.write_text("[mini-claims.claim-check.min]\nvalue_falsified_dropped = 1.01\n")  # cannot be met
    code = run(seed_settings, _options(tmp_path, None, suites=["mini-claims"], suites_file=suites, floors=floors))
    report = json.loads((tmp_path / "report" / "mini-claims" / "report.json").read_text())
    assert code == 1 and not report["gate"]["passed"]
    metrics = report["metrics"]
    assert metrics["claims"] >= 14 and metrics["value_falsified_dropped"] is not None
    assert {"faithful_never_dropped", "paraphrase_unconfirmed", "negation_dropped"} <= set(metrics)
    assert report["meta"]["backend"] == "claim-check"
    verdicts = {c["id"]: c["answer"] for c in report["cases"]}
    assert all(v.startswith(("confirmed", "unconfirmed", "dropped")) for v in verdicts.values())


@pytest.mark.parametrize("part", ["fit", "validation"])
def test_counterfactual_pairs_become_kept_and_dropped_claims(part: str) -> None:
    pairs = claims.load(ROOT / "evals" / "conflicts" / f"{part}-swapped.jsonl", part)
    kinds = collections.Counter(c.kind for c in pairs)
    assert kinds["verbatim"] >= 100 and sum(kinds[k] for k in claims.FALSIFIED) == kinds["verbatim"]
    assert all(c.claim == c.evidence for c in pairs if c.kind == "verbatim")
    assert all(c.claim != c.evidence for c in pairs if c.kind != "verbatim")
