"""What an operator of a running server sees: request ids, one JSON log line per request, and
Prometheus metrics whose counts agree with the requests made, across workers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from assistant.settings import Settings

from .web_support import assistant_server

pytestmark = pytest.mark.server

OPERATOR_TOKEN = "s3cret-operator-token"  # an admin token long enough to be accepted
QUESTIONS = ["Which city hosted the talks?", "What is the boiling point of mercury?", "Who leads Russia's team?"]


def _lines(log: Path) -> list[dict]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def test_each_request_gets_an_id_and_one_json_line(tmp_path: Path, seed_settings: Settings) -> None:
    env = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir)}
    with assistant_server(tmp_path, env) as url:
        given = httpx.post(url + "/api/ask", json={"question": QUESTIONS[0]}, headers={"X-Request-ID": "trace-42"})
        assert given.status_code == 200 and given.headers["x-request-id"] == "trace-42"
        made = httpx.post(url + "/api/ask", json={"question": QUESTIONS[1]}, headers={"X-Request-ID": "x" * 300})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])  # an unusable id is replaced
        bad = httpx.post(url + "/api/ask", json={"question": ""})
        assert bad.status_code == 400 and bad.headers["x-request-id"]
        with httpx.stream("POST", url + "/api/ask/stream", json={"question": QUESTIONS[2]}) as r:
            rid = r.headers["x-request-id"]
            assert "event: answer" in "".join(r.iter_text())
    lines = {line.get("request_id"): line for line in _lines(tmp_path / "server.log") if line.get("event") == "request"}
    first = lines["trace-42"]
    assert first["route"] == "/api/ask" and first["status"] == 200 and first["method"] == "POST"
    assert first["outcome"] == "answered" and first["backend"] == "extractive" and first["duration_ms"] > 0
    assert lines[made.headers["x-request-id"]]["outcome"] == "refused"
    assert lines[bad.headers["x-request-id"]]["status"] == 400
    assert lines[rid]["route"] == "/api/ask/stream" and lines[rid]["outcome"] in ("answered", "disagreement")
    assert all("question" not in line for line in lines.values())  # not logged unless asked for
    assert "time" in first and first["levelname"] == "INFO"
    ready = [x for x in _lines(tmp_path / "server.log") if x.get("event") == "worker_ready"]
    assert len(ready) == 1 and ready[0]["documents"] == 2 and ready[0]["snapshot"]  # start-up, same format


def test_questions_are_logged_only_when_asked_for(tmp_path: Path, seed_settings: Settings) -> None:
    env = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir), "ASSISTANT_LOG_QUESTIONS": "true"}
    with assistant_server(tmp_path, env) as url:
        rid = httpx.post(url + "/api/ask", json={"question": QUESTIONS[0]}).headers["x-request-id"]
    line = next(x for x in _lines(tmp_path / "server.log") if x.get("request_id") == rid)
    assert line["question"] == QUESTIONS[0]


def test_metrics_are_off_public_or_behind_the_admin_token(tmp_path: Path, seed_settings: Settings) -> None:
    base = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir)}
    for name in ("off", "token", "open"):
        (tmp_path / name).mkdir()
    with assistant_server(tmp_path / "off", base) as url:
        off = httpx.get(url + "/metrics")
        assert off.status_code == 404 and "ASSISTANT_METRICS=true" in off.json()["error"]
    with assistant_server(tmp_path / "token", base | {"ASSISTANT_ADMIN_TOKEN": OPERATOR_TOKEN}) as url:
        assert httpx.get(url + "/metrics").status_code == 401
        assert httpx.get(url + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
        assert ok.status_code == 200 and "assistant_index_documents 2.0" in ok.text
    with assistant_server(tmp_path / "open", base | {"ASSISTANT_METRICS": "true"}) as url:
        assert httpx.get(url + "/metrics").status_code == 200


def test_metrics_count_every_request_across_two_workers(tmp_path: Path, seed_settings: Settings) -> None:
    """Two worker processes behind one port; the counts add up to the requests made, whichever
    worker served each (multiprocess mode)."""
    env = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir), "ASSISTANT_METRICS": "true", "ASSISTANT_WORKERS": "2",
           "ASSISTANT_RATE_LIMIT": "100000/minute"}  # fmt: skip
    with assistant_server(tmp_path, env) as url:
        outcomes = {"answered": 0, "refused": 0, "disagreement": 0}
        with httpx.Client(timeout=60) as client:
            for i in range(200):
                data = client.post(url + "/api/ask", json={"question": QUESTIONS[i % 3]}).json()
                outcomes["refused" if data["refused"] else "disagreement" if data["conflict"] else "answered"] += 1
            client.post(url + "/api/ask", json={"question": ""})
            text = client.get(url + "/metrics").text
    assert _metric(text, "assistant_http_requests_total", route="/api/ask", status="200") == 200
    assert _metric(text, "assistant_http_requests_total", route="/api/ask", status="400") == 1
    for outcome, n in outcomes.items():
        assert _metric(text, "assistant_answers_total", outcome=outcome) == n, outcome
    assert _metric(text, "assistant_http_request_duration_seconds_count", route="/api/ask") == 201
    assert _metric(text, "assistant_stage_duration_seconds_count", stage="retrieve") == 200
    assert _metric(text, "assistant_index_chunks") > 0
    lines = [x for x in _lines(tmp_path / "server.log") if x.get("route") == "/api/ask"]
    assert len(lines) == 201  # one JSON line per request, whichever worker wrote it
    print(
        f"200 questions + 1 bad request, scraped: {outcomes}, http 200/400 = "
        f"{_metric(text, 'assistant_http_requests_total', route='/api/ask', status='200'):.0f}/"
        f"{_metric(text, 'assistant_http_requests_total', route='/api/ask', status='400'):.0f}"
    )


def test_workers_get_the_admin_token_itself_not_its_mask(tmp_path: Path, seed_settings: Settings) -> None:
    """`serve --workers N` hands each worker its settings as JSON; pydantic masks secrets in its
    own dump, which once made every worker's token "**********"."""
    env = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir), "ASSISTANT_WORKERS": "2",
           "ASSISTANT_ADMIN_TOKEN": OPERATOR_TOKEN}  # fmt: skip
    with assistant_server(tmp_path, env) as url, httpx.Client(timeout=30) as client:
        for _ in range(4):  # whichever worker answers
            assert client.get(url + "/metrics", headers={"Authorization": "Bearer **********"}).status_code == 401
            assert (
                client.get(url + "/metrics", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}).status_code == 200
            )
