"""Many workers, one index: two `assistant serve` processes behind one Chroma server, one Redis
and one shared index folder, as several hosts behind a load balancer would run them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from assistant.indexing.ingest import ingest
from assistant.settings import Settings

from .conftest import ROOT, SEEDS
from .servers import free_port
from .test_retrieval import chroma_server  # noqa: F401  (a fixture: `chroma run` on loopback)
from .test_web import browser  # noqa: F401  (a fixture: Debian's chromium through Playwright)
from .web_support import assistant_server

SITE_LIMIT = 10
NEW_DOC = "harbour-note.txt"
NEW_TEXT = "Minutes of the harbour board.\n\nThe harbour board elected Marta Quillfeather as its chair on Monday.\n"
QUESTION = "Who chairs the harbour board?"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's redis-server on a loopback port, without persistence."""
    server = shutil.which("redis-server")
    assert server, "redis-server is installed by `make system-deps` (Debian package redis-server)"
    import redis

    port = free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    cmd = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start:\n" + log.read_text()) from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, chroma_server: str, redis_url: str) -> Iterator[dict[str, object]]:  # noqa: F811
    work = tmp_path_factory.mktemp("workers")
    corpus = work / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = Settings(index_dir=work / "index", corpus_dir=corpus, chroma_url=chroma_server)
    ingest(settings, progress=False)
    (work / "sites.toml").write_text(
        f'[sites.shared]\norigins = ["http://intranet.example"]\nrate_limit = "{SITE_LIMIT}/minute"\n'
    )
    env = {
        "ASSISTANT_INDEX_DIR": str(work / "index"),
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_CHROMA_URL": chroma_server,
        "ASSISTANT_REDIS_URL": redis_url,
        "ASSISTANT_SITES_FILE": str(work / "sites.toml"),
        "ASSISTANT_RATE_LIMIT": "100000/minute",
    }
    with ExitStack() as stack:
        urls = []
        for host in ("host1", "host2"):
            (work / host).mkdir()
            urls.append(stack.enter_context(assistant_server(work / host, env)))
        yield {"urls": urls, "settings": settings, "corpus": corpus, "work": work}


def _ask(url: str, question: str, **extra: object) -> httpx.Response:
    headers = {"Origin": "http://intranet.example"} if "site" in extra else {}
    return httpx.post(f"{url}/api/ask", json={"question": question, **extra}, headers=headers, timeout=60)


def test_both_answer_and_pick_up_an_ingest_while_serving(pair: dict) -> None:
    urls: list[str] = pair["urls"]
    for url in urls:
        body = _ask(url, "Who leads the Ukrainian delegation?").json()
        assert "Umerov" in body["answer"] and body["citations"]
        assert "Quillfeather" not in _ask(url, QUESTION).json()["answer"]

    errors: list[str] = []
    served = [0]
    stop = threading.Event()

    def traffic() -> None:  # both hosts keep answering while the ingest runs
        i = 0
        while not stop.is_set():
            r = _ask(urls[i % 2], "Where did Zelensky meet Erdogan?")
            served[0] += 1
            if r.status_code != 200 or "Ankara" not in r.json()["answer"]:
                errors.append(f"{r.status_code} {r.text[:200]}")
            i += 1

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        (pair["corpus"] / NEW_DOC).write_text(NEW_TEXT, encoding="utf-8")
        ingest(pair["settings"], progress=False)
        swapped = time.monotonic()
        seen: dict[str, float] = {}
        while len(seen) < 2 and time.monotonic() - swapped < 10:
            for url in urls:
                if url not in seen and "Quillfeather" in _ask(url, QUESTION).json()["answer"]:
                    seen[url] = time.monotonic() - swapped
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join()
    assert len(seen) == 2, f"only {list(seen)} answered from the new snapshot within 10 s"
    assert max(seen.values()) < 2.0, seen  # each worker notices the new CURRENT on its next request
    assert served[0] > 0 and not errors, errors[:3]


def test_a_site_rate_limit_holds_across_both_hosts(pair: dict) -> None:
    urls: list[str] = pair["urls"]
    statuses = [_ask(urls[i % 2], "Who is Medinsky?", site="shared").status_code for i in range(SITE_LIMIT + 4)]
    assert statuses[:SITE_LIMIT] == [200] * SITE_LIMIT  # spread over both: each host counted the other's
    assert statuses[SITE_LIMIT:] == [429] * 4


def test_a_panel_opened_on_one_host_is_accepted_by_the_other(pair: dict) -> None:
    urls: list[str] = pair["urls"]
    panel = httpx.get(
        f"{urls[0]}/widget/panel", params={"site": "shared"}, headers={"Referer": "http://intranet.example/"}
    )
    assert panel.status_code == 200
    token = re.search(r'data-token="([^"]+)"', panel.text)
    assert token
    r = httpx.post(
        f"{urls[1]}/api/ask",
        json={"question": "Who is Medinsky?", "site": "shared"},
        headers={"Authorization": f"Bearer {token.group(1)}"},
        timeout=60,
    )
    assert r.status_code in (200, 429), r.text  # accepted (429 only if the limit test ran first)
    assert r.status_code != 401


def test_serve_with_workers_shares_one_port(tmp_path: Path, redis_url: str) -> None:
    """`assistant serve --workers 2`: two processes behind one port, sharing Redis."""
    env = {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_CORPUS_DIR": str(SEEDS)}
    ingest(Settings(index_dir=tmp_path / "index", corpus_dir=SEEDS), progress=False)
    env |= {"ASSISTANT_WORKERS": "2", "ASSISTANT_REDIS_URL": redis_url, "ASSISTANT_RATE_LIMIT": "7/minute"}
    with assistant_server(tmp_path, env, keep_process=True) as (url, proc):
        children = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "pid="], capture_output=True, text=True)
        workers = [line for line in children.stdout.split() if line.strip()]
        assert len(workers) >= 2, children.stdout  # uvicorn's worker processes
        statuses = []
        for _ in range(9):  # a new connection each time, so the kernel spreads them over the workers
            with httpx.Client(timeout=60) as client:
                statuses.append(client.post(f"{url}/api/ask", json={"question": "Who is Medinsky?"}).status_code)
        assert statuses == [200] * 7 + [429] * 2


@pytest.mark.server
def test_unreachable_redis_stops_serve_with_a_plain_message(tmp_path: Path) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--port", str(free_port()), "--redis-url", nobody],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ASSISTANT_INDEX_DIR": str(tmp_path / "index")},
    )
    assert result.returncode == 2, result.stderr
    assert "ASSISTANT_REDIS_URL: cannot reach Redis" in result.stderr
    assert "Traceback" not in result.stderr


def _throughput(urls: list[str], requests: int = 120, clients: int = 8) -> tuple[float, int]:
    """Requests per second with ``clients`` concurrent clients spread over ``urls``, and errors."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["Who leads the Ukrainian delegation?", "Where did Zelensky meet Erdogan?", "Who is Medinsky?"]

    def one(i: int) -> bool:
        r = httpx.post(f"{urls[i % len(urls)]}/api/ask", json={"question": questions[i % 3]}, timeout=120)
        return r.status_code == 200 and bool(r.json()["citations"])

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(clients)))  # warm-up
        t0 = time.perf_counter()
        ok = list(pool.map(one, range(requests)))
        seconds = time.perf_counter() - t0
    return requests / seconds, ok.count(False)


def test_two_hosts_serve_more_than_one_and_fail_nothing(pair: dict) -> None:
    """Throughput through one host against both (reported in evals/reports/workers.json; speed is
    measured, not asserted: the machine is shared), with no failed request either way."""
    urls: list[str] = pair["urls"]
    one_rate, one_errors = _throughput(urls[:1])
    two_rate, two_errors = _throughput(urls)
    assert one_errors == 0 and two_errors == 0
    report = ROOT / "evals" / "reports"
    report.mkdir(parents=True, exist_ok=True)
    figures = {"one_host_rps": round(one_rate, 1), "two_hosts_rps": round(two_rate, 1),
               "ratio": round(two_rate / one_rate, 2), "requests": 120, "clients": 8, "errors": 0}  # fmt: skip
    (report / "workers.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- behind Debian's nginx

PREFIX = "/assistant"
FIRST_PARTY_LIMIT = 20


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[dict[str, object]]:
    """Two `assistant serve` processes under /assistant behind nginx, sharing Redis: what an
    intranet runs."""
    from .web_support import nginx

    work = tmp_path_factory.mktemp("nginx")
    ingest(Settings(index_dir=work / "index", corpus_dir=SEEDS), progress=False)
    ports = [free_port(), free_port()]
    origin = f"http://127.0.0.1:{free_port()}"  # nginx's, named in the sites file before it starts
    env = {
        "ASSISTANT_INDEX_DIR": str(work / "index"), "ASSISTANT_CORPUS_DIR": str(SEEDS),
        "ASSISTANT_ROOT_PATH": PREFIX, "ASSISTANT_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "ASSISTANT_REDIS_URL": redis_url, "ASSISTANT_RATE_LIMIT": f"{FIRST_PARTY_LIMIT}/minute",
        "ASSISTANT_WIDGET_DEMO": "true", "ASSISTANT_SITES_FILE": str(work / "sites.toml"),
    }  # fmt: skip
    (work / "sites.toml").write_text(f'[sites.demo]\norigins = ["{origin}"]\n')
    with ExitStack() as stack:
        urls = []
        for i, port in enumerate(ports):
            (work / f"host{i}").mkdir()
            urls.append(stack.enter_context(assistant_server(work / f"host{i}", env | {"ASSISTANT_PORT": str(port)})))
        public = stack.enter_context(nginx(work / "nginx", urls, PREFIX, port=int(origin.rsplit(":", 1)[1])))
        yield {"public": public, "urls": urls, "work": work}


def _from(address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (another loopback address)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def test_rate_limits_use_the_address_nginx_forwards(behind_nginx: dict) -> None:
    """Each client address gets its own limit, whichever server answers; an X-Forwarded-For the
    client writes itself changes nothing (nginx sets the header, the servers trust only nginx)."""
    public = behind_nginx["public"]
    with _from("127.0.0.2") as alice, _from("127.0.0.3") as bob:
        first = [
            alice.post(f"{public}/api/ask", json={"question": "Who is Medinsky?"}) for _ in range(FIRST_PARTY_LIMIT)
        ]
        assert [r.status_code for r in first] == [200] * FIRST_PARTY_LIMIT
        assert re.fullmatch(r"[0-9a-f]{32}", first[0].headers["x-request-id"])  # nginx's $request_id, kept
        spoofed = alice.post(
            f"{public}/api/ask", json={"question": "Who is Medinsky?"}, headers={"X-Forwarded-For": "10.9.8.7"}
        )
        assert spoofed.status_code == 429 and spoofed.headers.get("retry-after")
        assert bob.post(f"{public}/api/ask", json={"question": "Who is Medinsky?"}).status_code == 200


def test_the_page_and_the_widget_work_through_nginx(browser, behind_nginx: dict) -> None:  # noqa: F811
    from .test_web import ZELENSKY_ERDOGAN, ask_page, ask_widget, open_widget

    public = behind_nginx["public"]
    context = browser.new_context()
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(public + "/")
    assert "Ankara" in ask_page(pg, ZELENSKY_ERDOGAN).inner_text()
    assert all(u.startswith(public) for u in requests if not u.startswith(("data:", "blob:"))), requests
    pg.goto(public + "/widget/demo")
    assert "Ankara" in ask_widget(open_widget(pg), ZELENSKY_ERDOGAN).inner_text()
    context.close()


def test_streamed_answers_are_not_buffered_by_nginx(tmp_path: Path, llm_url: str, seed_settings: Settings) -> None:
    """With a model that takes seconds to write, the first token reaches a client through nginx
    long before the answer ends, as it does directly."""
    from .llm_server import MODEL_ALIAS
    from .web_support import nginx

    env = {
        "ASSISTANT_INDEX_DIR": str(seed_settings.index_dir), "ASSISTANT_ROOT_PATH": PREFIX,
        "ASSISTANT_BACKEND": "openai", "OPENAI_BASE_URL": llm_url, "ASSISTANT_LLM_MODEL": MODEL_ALIAS,
        "ASSISTANT_SECOND_READER": "false", "ASSISTANT_LLM_MAX_TOKENS": "120",
    }  # fmt: skip
    timings = {}
    question = "Summarise everything the documents say about the talks in Istanbul."
    with assistant_server(tmp_path, env) as direct, nginx(tmp_path / "nginx", [direct], PREFIX) as public:
        for name, base in (("cold", direct), ("direct", direct), ("nginx", public)):  # cold: the prompt uncached
            started = time.monotonic()
            first = end = None
            with httpx.stream("POST", f"{base}/api/ask/stream", json={"question": question}, timeout=300) as r:
                for line in r.iter_lines():
                    if line == "event: token" and first is None:
                        first = time.monotonic() - started
                    if line == "event: answer":
                        end = time.monotonic() - started
            assert first is not None and end is not None, name
            timings[name] = (first, end)
    print(f"first token / answer, seconds: {timings}")
    for name in ("direct", "nginx"):
        first, end = timings[name]
        assert first < end / 2 and end - first > 1.0, (name, timings)  # tokens came while the model wrote
