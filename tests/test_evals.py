"""The eval suite's scoring rules and gate, and the runner end to end on the seed index."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from assistant.evals import gate, golden
from assistant.evals.runner import EvalOptions, run
from assistant.evals.scoring import (
    CaseResult,
    answer_sentences,
    citation_valid,
    fact_coverage,
    group_matched,
    score_case,
    uncited,
)
from assistant.settings import Settings

from .conftest import DOC_A, ROOT

GOLDEN = ROOT / "evals" / "golden.jsonl"


def case(**overrides: object) -> golden.Case:
    data = {"id": "t1", "question": "Who leads?", "facts": [["Umerov"]], "sources": [DOC_A], "kind": "fact"}
    data.update(overrides)
    return golden.Case(**data)  # type: ignore[arg-type]


def test_fact_group_matches_through_an_alias() -> None:
    assert group_matched("The defence minister leads it.", ["Defense Minister", "defence minister"])
    assert not group_matched("The minister leads it.", ["Defense Minister", "defence minister"])


def test_fact_group_matches_through_accent_folding_and_punctuation() -> None:
    assert group_matched("He met Recep Tayyip Erdoğan in Ankara. [1]", ["Erdogan"])
    assert group_matched("Reporters stood outside Dolmabahce Palace.", ["Dolmabahçe Palace"])
    assert group_matched("“nothing’s going to transpire,” he said", ["nothing's going to transpire"])
    assert group_matched("a Western-supported 30-day ceasefire", ["30 day"])
    assert not group_matched("Erdoganistan", ["Erdogan"])  # whole words only


def test_fact_coverage_counts_groups() -> None:
    assert fact_coverage("Galuzin and Fomin", [["Galuzin"], ["Fomin"], ["Kostyukov"]]) == pytest.approx(2 / 3)


def test_wrong_offset_is_caught() -> None:
    texts = {DOC_A: "Alpha beta gamma."}
    good = {"doc_id": DOC_A, "quote": "beta", "start": 6, "end": 10}
    assert citation_valid(good, texts)
    assert not citation_valid({**good, "start": 5, "end": 9}, texts)
    assert not citation_valid({**good, "doc_id": "other.txt"}, texts)
    answer = {"answer": "Beta. [1]", "refused": False, "citations": [{**good, "n": 1, "start": 7, "end": 11}]}
    result = score_case(case(facts=[["beta"]]), answer, ["Alpha beta gamma."], texts, 1.0)
    assert not result.passed and result.citations_valid == 0
    assert any("do not match the text" in r for r in result.reasons)


def test_refusal_on_an_answerable_case_fails_it() -> None:
    answer = {"answer": "The documents don't say.", "refused": True, "citations": [], "retrieved": []}
    result = score_case(case(), answer, [], {}, 1.0)
    assert not result.passed and "refused an answerable question" in result.reasons


def test_answering_an_unanswerable_case_fails_it() -> None:
    answer = {"answer": "Paris. [1]", "refused": False, "citations": [], "retrieved": []}
    result = score_case(case(kind="unanswerable", facts=[], sources=[]), answer, [], {}, 1.0)
    assert not result.passed and "answered a question the documents do not answer" in result.reasons


def test_answer_sentences_keep_markers_with_their_sentence() -> None:
    text = "The sources disagree: he “would not go.” [1] Zelensky is attending. [2] Unsupported claim."
    assert answer_sentences(text) == [
        "The sources disagree: he “would not go.” [1]",
        "Zelensky is attending. [2]",
        "Unsupported claim.",
    ]
    assert uncited(text) == (1, 3)


def test_regression_against_the_baseline_fails_the_gate() -> None:
    now = CaseResult("q01", "fact", "Q", "A", False, False, False, ["missing facts: Umerov"], 1.0)
    floors = gate.Floors({}, {})
    base = {"backend": "extractive", "cases": {"q01": {"passed": True}}}
    assert gate.check({}, floors, [now], base) == [
        "regression: q01 passed in the baseline and fails now (missing facts: Umerov)"
    ]
    assert gate.check({}, floors, [now], {**base, "cases": {"q01": {"passed": False}}}) == []
    assert gate.check({}, floors, [now], base, backend="openai") == []  # another backend's baseline


def test_floors_and_ceilings() -> None:
    floors = gate.Floors({"pass_rate": 0.9}, {"uncited_sentence_share": 0.0})
    assert gate.check({"pass_rate": 0.95, "uncited_sentence_share": 0.0}, floors, [], None) == []
    failures = gate.check({"pass_rate": 0.8, "uncited_sentence_share": 0.1}, floors, [], None)
    assert failures == [
        "pass_rate = 0.8 is below its floor 0.9",
        "uncited_sentence_share = 0.1 is above its ceiling 0.0",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "x", "question": "Q", "facts": [], "sources": [], "kind": "maybe"}', "'kind' must be one of"),
        ('{"id": "x", "question": "Q", "facts": [["a"]], "sources": []}', "missing the field 'kind'"),
        ('{"id": "x", "question": "Q", "facts": ["a"], "sources": [], "kind": "fact"}', "'facts' must be a list"),
        ('{"id": "x", "question": "Q", "facts": [["a"]], "sources": ["d"], "kind": "unanswerable"}', "empty 'facts'"),
        (
            '{"id": "x", "question": "B", "facts": [["a"]], "sources": [], "kind": "followup", "turns": ["A", "C"]}',
            "last of",
        ),
    ],
)
def test_malformed_golden_line_names_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "g.jsonl"
    good = '{"id": "ok", "question": "Who?", "facts": [["a"]], "sources": [], "kind": "fact"}'
    path.write_text(good + "\n\n" + line + "\n")
    with pytest.raises(golden.GoldenError) as info:
        golden.load(path)
    assert f"{path}:3:" in str(info.value) and message in str(info.value)


def test_shipped_golden_set_is_valid_and_broad() -> None:
    cases = golden.load(GOLDEN)
    assert len(cases) >= 50
    kinds = {c.kind for c in cases}
    assert kinds == {"fact", "conflict", "unanswerable", "followup"}
    assert any(len(c.facts) >= 4 for c in cases)  # lists
    assert {s for c in cases for s in c.sources} == {DOC_A, "003_e8c8d15bd2a8378c.txt"}


def _options(tmp_path: Path, golden_path: Path | None = GOLDEN, **kw: object) -> EvalOptions:
    return EvalOptions(
        golden=golden_path,
        suites=list(kw.get("suites", [])),  # type: ignore[call-overload]
        suites_file=kw.get("suites_file", ROOT / "evals" / "suites.toml"),  # type: ignore[arg-type]
        report_dir=tmp_path / "report",
        floors=kw.get("floors", ROOT / "evals" / "floors.toml"),  # type: ignore[arg-type]
        baseline=kw.get("baseline", ROOT / "evals" / "baseline.json"),  # type: ignore[arg-type]
        update_baseline=bool(kw.get("update_baseline", False)),
        judge_cache=tmp_path / "cache",
    )


def _mini_suites(tmp_path: Path) -> Path:
    """Two small suites on the seeds: three golden facts, and questions that must be refused."""
    facts = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()]
    (tmp_path / "facts.jsonl").write_text(
        "".join(json.dumps(c) + "\n" for c in facts if c["id"] in ("q03", "q22", "q23"))
    )
    off = [
        {
            "id": "o1",
            "question": "What did Xi Jinping say about the talks?",
            "facts": [["x"]],
            "sources": [],
            "kind": "fact",
        },
        {"id": "o2", "question": "What is the population of Ankara?", "facts": [["x"]], "sources": [], "kind": "fact"},
    ]
    (tmp_path / "off.jsonl").write_text("".join(json.dumps(c) + "\n" for c in off))
    suites = tmp_path / "suites.toml"
    suites.write_text(
        f'[suites.facts]\ngolden = "{tmp_path / "facts.jsonl"}"\ncorpus = "{ROOT / "seeds"}"\nheld_out = true\n'
        f'[suites.off]\ngolden = "{tmp_path / "off.jsonl"}"\ncorpus = "{ROOT / "seeds"}"\nexpect_refusal = true\n'
    )
    return suites


def test_suites_run_each_on_its_corpus_and_write_reports(seed_settings: Settings, tmp_path: Path, capsys) -> None:
    floors = tmp_path / "floors.toml"
    floors.write_text(
        "[facts.extractive.min]\ncitation_validity = 1.0\n[off.extractive.min]\nrefusal_rate_unanswerable = 1.0\n"
    )
    options = _options(tmp_path, None, suites_file=_mini_suites(tmp_path), floors=floors)
    assert run(seed_settings, options) == 0
    out = capsys.readouterr().out
    assert "== facts (held out; extractive): 3/3 passed" in out
    assert "== off (not held out; extractive): 2/2 passed" in out
    suite = ET.parse(tmp_path / "report" / "facts" / "junit.xml").getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "0"
    data = json.loads((tmp_path / "report" / "facts" / "report.json").read_text())
    assert data["meta"]["suite"] == "facts" and data["meta"]["held_out"] is True
    assert data["meta"]["backend"] == "extractive" and data["meta"]["weights"]
    assert data["metrics"]["citation_validity"] == 1.0 and data["gate"]["passed"]
    assert {"answer", "citations", "retrieved", "fact_coverage", "passed"} <= set(data["cases"][0])
    off = json.loads((tmp_path / "report" / "off" / "report.json").read_text())
    assert off["metrics"]["refusal_rate_unanswerable"] == 1.0  # the facts were dropped: all must be refused
    index = (tmp_path / "report" / "summary.md").read_text()
    assert "| facts | yes | pass |" in index and "| off | no | pass |" in index


def test_a_floor_missed_fails_the_run(seed_settings: Settings, tmp_path: Path, capsys) -> None:
    floors = tmp_path / "floors.toml"
    floors.write_text("[facts.extractive.max]\nlatency_median_ms = 0.0\n")
    options = _options(tmp_path, None, suites_file=_mini_suites(tmp_path), floors=floors, suites=["facts"])
    assert run(seed_settings, options) == 1
    out = capsys.readouterr().out
    assert "is above its ceiling 0.0" in out and "gate: FAILED in facts" in out


def test_a_regressed_case_fails_the_run(seed_settings: Settings, tmp_path: Path, capsys) -> None:
    cases = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line.strip()][:3]
    cases[0]["facts"] = [["Zzyzx"]]  # the answer can't contain this: the case now fails
    path = tmp_path / "golden.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps({"suites": {"golden": {"backend": "extractive", "cases": {cases[0]["id"]: {"passed": True}}}}})
    )
    floors = tmp_path / "floors.toml"
    floors.write_text("")
    code = run(seed_settings, _options(tmp_path, path, floors=floors, baseline=baseline))
    assert code == 1
    out = capsys.readouterr().out
    assert f"regression: {cases[0]['id']} passed in the baseline and fails now" in out
    md = (tmp_path / "report" / "golden" / "summary.md").read_text()
    assert "## Failed cases" in md and "Zzyzx" in md


def test_update_baseline_is_the_only_way_it_changes(seed_settings: Settings, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    path = tmp_path / "golden.jsonl"
    path.write_text(GOLDEN.read_text().splitlines()[2] + "\n")
    floors = tmp_path / "floors.toml"
    floors.write_text("")
    assert run(seed_settings, _options(tmp_path, path, floors=floors, baseline=baseline)) == 0
    assert not baseline.exists()
    assert run(seed_settings, _options(tmp_path, path, floors=floors, baseline=baseline, update_baseline=True)) == 0
    assert json.loads(baseline.read_text())["suites"]["golden"]["cases"] == {"q03": {"passed": True}}


def test_cli_exit_code_2_for_a_bad_golden_file(seed_settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "Q", "facts": [["x"]], "sources": [], "kind": "fact"}\n{oops\n')
    env = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "eval", "--golden", str(bad), "--report", str(tmp_path / "r")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert f"{bad}:2: not valid JSON" in proc.stderr and "Traceback" not in proc.stderr


def test_a_suite_of_sets_asks_each_set_of_its_own_corpus(seed_settings: Settings, tmp_path: Path, capsys) -> None:
    """Each folder of a ``sets`` suite is its own small corpus: a question is asked of its own
    set's documents only, and the report counts every set's cases, by category."""
    sets = tmp_path / "sets"
    for name, doc, question, fact in (
        (
            "a",
            "The ferry to Balnacraig leaves Portskerry at 7 am every day.",
            "When does the ferry leave Portskerry?",
            "7 am",
        ),
        ("b", "The museum in Dunholm is closed on Mondays.", "On which day is the Dunholm museum closed?", "Mondays"),
    ):
        (sets / name).mkdir(parents=True)
        (sets / name / "notice.txt").write_text(doc + "\n")
        line = {"id": f"{name}-q1", "question": question, "facts": [[fact]], "sources": ["notice.txt"],
                "kind": "fact", "category": "other-group"}  # fmt: skip
        (sets / name / "questions.jsonl").write_text(json.dumps(line) + "\n")
    suites = tmp_path / "suites.toml"
    suites.write_text(f'[suites.mine]\nsets = "{sets}"\nheld_out = true\n')
    floors = tmp_path / "floors.toml"
    floors.write_text("[mine.extractive.min]\npass_rate = 1.0\n")
    options = _options(tmp_path, None, suites_file=suites, floors=floors)
    assert run(seed_settings, options) == 0
    out = capsys.readouterr().out
    assert "== mine (held out; extractive): 2/2 passed" in out
    data = json.loads((tmp_path / "report" / "mine" / "report.json").read_text())
    assert data["meta"]["corpus"] == f"each folder of {sets}"
    assert data["meta"]["by_category"]["other-group"]["cases"] == 2
    assert {c["citations"][0]["doc_id"] for c in data["cases"]} == {"notice.txt"}
