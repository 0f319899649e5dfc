"""The chat page, the HTTP API and the widget, as people and programs meet them: a real
server, a real HTTP client, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from assistant.indexing.ingest import ingest
from assistant.settings import Settings
from assistant.web.bench_ui import CHROMIUM_ARGS

from .conftest import DOC_A, SEEDS
from .web_support import CHROMIUM, REPORT_DIR, assistant_server, axe_violations, prefix_proxy, static_site

pytestmark = pytest.mark.server
# Questions worded apart from the golden and paraphrase sets.
ZELENSKY_ERDOGAN = "In which city did Zelensky meet Erdogan?"
LULA = "What phrase did Brazil's president use to address Putin?"
SECRET = "hr-widget-secret-for-tests-0123456789abcdef"
XSS_DOC = "zz_field_notes.txt"
XSS_TEXT = (
    "Field notes from the Istanbul envoy.\n"
    "The envoy's notebook contained the string <img src=x onerror=alert('doc')> and "
    "<script>window.pwnedByDoc=1</script> scribbled beside the seating plan.\n"
)


# A wire copy of one seed paragraph stating another figure: a disagreement the page must show.
WIRE_DOC = "zz_wire_update.txt"
WIRE_TEXT = (
    "Wire update: sanctions and tariffs\n\n"
    "The European Union has already passed new sanctions targeting Russia's shadow oil fleet. In March, Trump "
    "proposed imposing tariffs on Russian oil exports, and US Senator Lindsey Graham pushed for a 300% tariff on "
    "imports from countries that keep buying Russian energy.\n"
)
TARIFF = "How large a tariff did Lindsey Graham push for on buyers of Russian energy?"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The assistant (seeds plus a document full of markup) and two host sites, one allowed."""
    work = tmp_path_factory.mktemp("web")
    corpus = work / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / XSS_DOC).write_text(XSS_TEXT, encoding="utf-8")
    (corpus / WIRE_DOC).write_text(WIRE_TEXT, encoding="utf-8")
    ingest(Settings(index_dir=work / "index", corpus_dir=corpus), progress=False)
    allowed_dir, other_dir = work / "allowed", work / "other"
    allowed_dir.mkdir()
    other_dir.mkdir()
    with static_site(allowed_dir) as allowed, static_site(other_dir) as other:
        (work / "sites.toml").write_text(
            f'[sites.intranet-hr]\norigins = ["{allowed}"]\nrate_limit = "200/minute"\n\n'
            f'[sites.secure]\norigins = ["{allowed}"]\nrate_limit = "200/minute"\nsecret = "{SECRET}"\n\n'
            f'[sites.tight]\norigins = ["{allowed}"]\nrate_limit = "3/minute"\n'
        )
        env = {
            "ASSISTANT_INDEX_DIR": str(work / "index"),
            "ASSISTANT_CORPUS_DIR": str(corpus),
            "ASSISTANT_SITES_FILE": str(work / "sites.toml"),
            "ASSISTANT_FEEDBACK_FILE": str(work / "feedback.jsonl"),
        }
        with assistant_server(work, env) as url:
            yield {"url": url, "allowed": allowed, "other": other, "allowed_dir": str(allowed_dir),
                   "other_dir": str(other_dir), "work": str(work)}  # fmt: skip
        log = work / "net.log"
        assert not log.exists() or not log.read_text(), f"the server tried to reach the network: {log.read_text()}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, web) -> Iterator[object]:
    """A fresh page that records every request it makes and fails on any dialog (alert)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.requests = []  # type: ignore[attr-defined]
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    context.on("page", lambda p: p.on("request", lambda r: pg.requests.append(r.url)))
    yield pg
    off_machine = [u for u in pg.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))]
    assert off_machine == [], off_machine
    assert pg.dialogs == [], pg.dialogs
    context.close()


def ask_page(pg, question: str) -> object:
    """Type a question, press Enter, wait for the finished reply; returns its element."""
    box = pg.locator("#question textarea, #question input").first
    before = pg.locator("#chat .reply:not(.reply-streaming)").count()
    box.fill(question)
    box.press("Enter")
    pg.wait_for_function(
        "n => document.querySelectorAll('#chat .reply:not(.reply-streaming)').length > n", arg=before, timeout=30_000
    )
    return pg.locator("#chat .reply:not(.reply-streaming)").last


# ---------------------------------------------------------------- HTTP API


def test_health_reports_limits(web) -> None:
    data = httpx.get(f"{web['url']}/api/health").json()
    assert data["status"] == "ok" and data["documents"] == 4  # the seeds, the markup notes, the wire copy
    assert data["limits"] == {"max_question_chars": 1000, "max_request_bytes": 16384, "max_history_turns": 20}


def test_api_ask_returns_the_cli_object(web) -> None:
    r = httpx.post(f"{web['url']}/api/ask", json={"question": "In which city did Zelensky meet Erdogan?"}, timeout=30)
    assert r.status_code == 200
    data = r.json()
    assert "Ankara" in data["answer"] and data["citations"][0]["doc_id"] == DOC_A
    assert set(data) >= {"question", "answer", "refused", "citations", "conflict", "retrieved", "backend", "timings_ms"}


def test_api_follow_up_with_history(web) -> None:
    history = [
        {"role": "user", "content": "Which Ukrainian minister was in Antalya on Thursday?"},
        {"role": "assistant", "content": "Ukrainian Foreign Minister Andriy Sybiha was in Antalya. [1]"},
    ]
    data = httpx.post(
        f"{web['url']}/api/ask", json={"question": "Who did he talk with there?", "history": history}, timeout=30
    ).json()
    assert data["standalone_question"] == "Who did Foreign Minister Andriy Sybiha talk with in Antalya?"
    assert "Rubio" in data["answer"]


def test_api_stream_sends_tokens_then_the_answer(web) -> None:
    events = []
    with httpx.stream("POST", f"{web['url']}/api/ask/stream", json={"question": LULA}, timeout=30) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for block in r.read().decode().split("\n\n"):
            if block.strip():
                kind = block.split("\n")[0].removeprefix("event: ")
                events.append((kind, json.loads(block.split("\n")[1].removeprefix("data: "))))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and kinds.count("token") > 5
    text = "".join(v["text"] for k, v in events if k == "token")
    assert text.strip() == events[-1][1]["answer"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"question": ""}, 400, "The question is empty"),
        ({"question": "x" * 1001}, 400, "the limit is 1,000"),
        ({"question": "Who?", "history": [{"role": "robot", "content": 1}]}, 400, '"history" must be a list'),
        ({"nothing": 1}, 400, 'a "question" string'),
        ({"question": "y" * 20_000}, 413, "larger than 16384 bytes"),
    ],
)
def test_api_bad_input_in_plain_words(web, body: dict, status: int, message: str) -> None:
    r = httpx.post(f"{web['url']}/api/ask", json=body, timeout=30)
    assert r.status_code == status and message in r.json()["error"]


def test_api_rejects_invalid_json(web) -> None:
    r = httpx.post(
        f"{web['url']}/api/ask", content=b"{not json", headers={"Content-Type": "application/json"}, timeout=30
    )
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]


def test_gradio_api_still_works(web) -> None:
    from gradio_client import Client

    client = Client(web["url"] + "/", verbose=False)
    data = client.predict("In which city did Zelensky meet Erdogan?", "[]", api_name="/ask")
    assert "Ankara" in data["answer"] and data["citations"]


# ---------------------------------------------------------------- the page


def test_page_streams_cites_and_follows_up(page, web) -> None:
    page.goto(web["url"] + "/")
    page.wait_for_selector("#question")
    page.evaluate(
        """() => { window.__seen = new Set();
        new MutationObserver(() => document.querySelectorAll('#chat .reply').forEach(
            r => r.classList.forEach(c => window.__seen.add(c))))
          .observe(document.body, {subtree: true, childList: true}); }"""
    )
    reply = ask_page(page, "Which Ukrainian minister met Rubio in Antalya?")
    assert "reply-streaming" in page.evaluate("() => [...window.__seen]")  # the answer arrived in pieces
    assert "reply-answer" in reply.get_attribute("class")
    assert "Sybiha" in reply.inner_text()
    link = reply.locator("a.cite").first
    target = link.get_attribute("href")
    assert target == "#src-0-1"
    source = page.locator(target)
    assert source.count() == 1
    mark = source.locator("mark").inner_text()
    assert "Sybiha" in mark and len(source.locator(".source-passage").inner_text()) > len(mark)
    link.click()
    follow = ask_page(page, "Where was he on Thursday?")
    assert "Antalya" in follow.inner_text()
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPORT_DIR / "page.png"), full_page=True)


def test_refusal_and_conflict_look_different(page, web) -> None:
    page.goto(web["url"] + "/")
    refusal = ask_page(page, "What did the Chinese foreign ministry say about the ceasefire?")
    assert "reply-refusal" in refusal.get_attribute("class")
    assert refusal.locator(".badge-refusal").inner_text() == "Not in the documents"
    conflict = ask_page(page, TARIFF)
    assert "reply-conflict" in conflict.get_attribute("class")
    assert conflict.locator(".badge-conflict").inner_text() == "The sources disagree"
    colours = page.evaluate(
        """() => [...document.querySelectorAll('#chat .reply')].map(r => getComputedStyle(r).borderLeftColor)"""
    )
    assert len(set(colours)) == 2  # grey for a refusal, amber for a disagreement
    page.screenshot(path=str(REPORT_DIR / "page-refusal-conflict.png"), full_page=True)


def test_errors_are_shown_in_plain_words(page, web) -> None:
    page.goto(web["url"] + "/")
    reply = ask_page(page, "z" * 1200)
    assert "reply-error" in reply.get_attribute("class")
    assert "the limit is 1,000" in reply.inner_text()
    assert "Traceback" not in page.content()


def test_thumbs_feedback_is_written_to_disk(page, web) -> None:
    page.goto(web["url"] + "/")
    ask_page(page, ZELENSKY_ERDOGAN)
    page.locator("#chat button[aria-label='Like'], #chat button[title='Like']").last.click()
    page.wait_for_selector("#feedback-status .feedback-status")
    path = Path(web["work"]) / "feedback.jsonl"
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    entry = json.loads(path.read_text().splitlines()[-1])
    assert entry["rating"] == "up" and entry["question"] == ZELENSKY_ERDOGAN
    assert "Ankara" in entry["answer"] and entry["citations"][0]["doc_id"] == DOC_A


def test_export_markdown_and_json(page, web) -> None:
    page.goto(web["url"] + "/")
    ask_page(page, ZELENSKY_ERDOGAN)
    with page.expect_download() as info:
        page.locator("#export-md").click()
    markdown = Path(info.value.path()).read_text()
    assert f"## Q1. {ZELENSKY_ERDOGAN}" in markdown and "Ankara" in markdown
    assert f"[1] {DOC_A}" in markdown
    with page.expect_download() as info:
        page.locator("#export-json").click()
    data = json.loads(Path(info.value.path()).read_text())
    assert data["turns"][0]["answer"]["citations"][0]["doc_id"] == DOC_A


def test_clear_chat(page, web) -> None:
    page.goto(web["url"] + "/")
    ask_page(page, ZELENSKY_ERDOGAN)
    page.locator("#clear").click()
    page.wait_for_function("() => document.querySelectorAll('#chat .reply').length === 0")
    assert "Sources for each answer appear here" in page.locator("#sources").inner_text()


def test_markup_in_questions_and_documents_is_inert_on_the_page(page, web) -> None:
    page.goto(web["url"] + "/")
    ask_page(page, "Who leads <img src=x onerror=alert('q')><script>window.pwnedByQ=1</script>?")
    assert "<img src=x onerror=alert('q')><script>window.pwnedByQ=1</script>" in page.locator("#chat").inner_text()
    reply = ask_page(page, "What did the envoy's notebook contain?")
    assert "<script>window.pwnedByDoc=1</script>" in reply.inner_text()
    assert "<img src=x onerror=alert('doc')>" in page.locator("#sources mark").first.inner_text()
    assert page.evaluate("() => [window.pwnedByQ, window.pwnedByDoc]") == [None, None]
    changes = page.evaluate(  # a label whose text holds "<" is set once, not fought over forever
        """() => new Promise(done => { let n = 0;
          new MutationObserver(m => { n += m.length; }).observe(document.querySelector('#chat'),
            {subtree: true, attributes: true, attributeFilter: ['aria-label']});
          setTimeout(() => done(n), 500); })"""
    )
    assert changes == 0
    assert page.locator("#chat img[src='x'], #sources img[src='x']").count() == 0


# ---------------------------------------------------------------- the widget


def host_page(folder: str, name: str, app: str, **data: str) -> str:
    attrs = " ".join(f'data-{k}="{v}"' for k, v in data.items())
    Path(folder, name).write_text(
        f"<!doctype html><html><head><title>Intranet</title></head><body><h1>HR intranet</h1>"
        f'<p>Benefits, holidays and news.</p><script src="{app}/widget.js" {attrs} async></script></body></html>'
    )
    return name


def open_widget(pg) -> object:
    pg.locator("[data-istanbul-assistant]").locator("button").click()
    frame = pg.frame_locator("[data-istanbul-assistant] >> iframe")
    return frame


def ask_widget(frame, question: str) -> object:
    """Ask in the panel and wait for a new finished reply (not the previous one)."""
    done = frame.locator(".msg.bot:not(.streaming):not(.greeting)")
    before = done.count()
    frame.locator("#question").fill(question)
    frame.locator("#question").press("Enter")
    done.nth(before).wait_for(timeout=30_000)
    return done.nth(before)


def test_widget_on_an_allowed_host_page(page, web) -> None:
    name = host_page(web["allowed_dir"], "hr.html", web["url"], site="intranet-hr", title="HR help desk",
                     greeting="Hi! Ask about the Istanbul talks.", color="#0f766e", position="bottom-left")  # fmt: skip
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto(f"{web['allowed']}/{name}")
    frame = open_widget(page)
    from playwright.sync_api import expect

    # retried: innerText is "" while the panel opening is still hidden (CI saw it once)
    expect(frame.locator("header")).to_have_text("HR help desk")
    assert frame.locator("header h1").count() == 1 and frame.locator("main #log").count() == 1  # landmarks
    assert frame.locator("#question").get_attribute("maxlength") == "1000"  # the server's question limit
    assert "Ask about the Istanbul talks" in frame.locator(".greeting").inner_text()
    answer = ask_widget(frame, "Which Ukrainian minister met Rubio in Antalya?")
    assert "Sybiha" in answer.inner_text()
    frame.locator("a.cite").first.click()
    assert "Sybiha" in frame.locator(".source.active mark").inner_text()
    panel = next(r for r in responses if "/widget/panel?" in r.url)
    assert panel.status == 200
    assert f"frame-ancestors {web['allowed']}" in panel.headers["content-security-policy"]
    follow = ask_widget(frame, "Where was he on Thursday?")
    assert "Antalya" in follow.inner_text()
    bubble = page.locator("[data-istanbul-assistant]").locator("button")
    assert bubble.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(15, 118, 110)"
    assert bubble.evaluate("b => getComputedStyle(b).left") == "20px"
    page.screenshot(path=str(REPORT_DIR / "widget.png"))


def test_widget_refused_on_a_page_from_another_origin(page, web) -> None:
    name = host_page(web["other_dir"], "evil.html", web["url"], site="intranet-hr")
    statuses = {}
    page.on("response", lambda r: statuses.setdefault(r.url.split("?")[0], r.status))
    page.goto(f"{web['other']}/{name}")
    with page.expect_response(lambda r: r.url.startswith(f"{web['url']}/widget/panel")) as panel:
        open_widget(page)
    assert panel.value.status == 403
    assert statuses[f"{web['url']}/widget/panel"] == 403
    r = httpx.post(f"{web['url']}/api/ask", json={"question": "Who?", "site": "intranet-hr"},
                   headers={"Origin": web["other"]})  # fmt: skip
    assert r.status_code == 403 and "allowed origins" in r.json()["error"]
    assert "access-control-allow-origin" not in r.headers


def test_cross_origin_api_from_an_allowed_origin(web) -> None:
    headers = {"Origin": web["allowed"]}
    pre = httpx.options(f"{web['url']}/api/ask", headers={**headers, "Access-Control-Request-Method": "POST"})
    assert pre.headers["access-control-allow-origin"] == web["allowed"]
    r = httpx.post(f"{web['url']}/api/ask", json={"question": LULA, "site": "intranet-hr"},
                   headers=headers, timeout=30)  # fmt: skip
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == web["allowed"]


def _token(secret: str, seconds: int, site: str = "secure") -> str:
    now = int(time.time())
    return jwt.encode({"site": site, "iat": now, "exp": now + seconds}, secret, algorithm="HS256")


def test_signed_tokens(page, web) -> None:
    url = f"{web['url']}/api/ask"
    body = {"question": "In which city did Zelensky meet Erdogan?", "site": "secure"}
    assert httpx.post(url, json=body).status_code == 401  # missing
    wrong = "wrong-secret-but-long-enough-0123456789"
    forged = httpx.post(url, json=body, headers={"Authorization": f"Bearer {_token(wrong, 300)}"})
    assert forged.status_code == 401 and "not valid" in forged.json()["error"]
    expired = httpx.post(url, json=body, headers={"Authorization": f"Bearer {_token(SECRET, -30)}"})
    assert expired.status_code == 401 and "expired" in expired.json()["error"]
    other_site = httpx.post(url, json=body, headers={"Authorization": f"Bearer {_token(SECRET, 300, 'intranet-hr')}"})
    assert other_site.status_code == 401
    good = httpx.post(url, json=body, headers={"Authorization": f"Bearer {_token(SECRET, 300)}"}, timeout=30)
    assert good.status_code == 200 and "Ankara" in good.json()["answer"]
    assert (
        httpx.get(f"{web['url']}/widget/panel", params={"site": "secure", "token": _token(wrong, 300)}).status_code
        == 401
    )
    name = host_page(web["allowed_dir"], "secure.html", web["url"], site="secure", token=_token(SECRET, 300))
    page.goto(f"{web['allowed']}/{name}")
    answer = ask_widget(open_widget(page), "Which officials make up the Kremlin's negotiating team?")
    assert "Medinsky" in answer.inner_text()


def test_rate_limit_gives_429_with_retry_after(web) -> None:
    headers = {"Origin": web["allowed"]}
    body = {"question": LULA, "site": "tight"}
    codes = [httpx.post(f"{web['url']}/api/ask", json=body, headers=headers, timeout=30) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert int(codes[-1].headers["retry-after"]) >= 1
    assert "Too many questions" in codes[-1].json()["error"]


def test_markup_is_inert_in_the_widget(page, web) -> None:
    name = host_page(web["allowed_dir"], "xss.html", web["url"], site="intranet-hr")
    page.goto(f"{web['allowed']}/{name}")
    frame = open_widget(page)
    ask_widget(frame, "Who leads <img src=x onerror=alert('w')>?")
    assert "<img src=x onerror=alert('w')>" in frame.locator(".msg.user").last.inner_text()
    answer = ask_widget(frame, "What did the envoy's notebook contain?")
    assert "<script>window.pwnedByDoc=1</script>" in answer.inner_text()
    assert "onerror=alert('doc')" in answer.locator(".source mark").first.inner_text()
    assert frame.locator("img").count() == 0
    page.screenshot(path=str(REPORT_DIR / "widget-markup.png"))


def test_a_question_typed_while_the_panel_script_loads_is_not_lost(page, web) -> None:
    """CI once saw a widget question vanish: Enter pressed before panel.js had taken over the form
    sent it natively, reloading the panel without its site and token. Here panel.js is held back
    while a user tries to type and send; then it loads and the question gets its answer."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    held: list = []
    page.route("**/widget/panel.js", lambda route: held.append(route))
    name = host_page(web["allowed_dir"], "slow.html", web["url"], site="secure", token=_token(SECRET, 300))
    page.goto(f"{web['allowed']}/{name}")
    frame = open_widget(page)
    question = "Which Ukrainian minister met Rubio in Antalya?"
    expect(frame.locator("#question")).to_be_attached()
    try:  # too early: the field does not take the question yet
        frame.locator("#question").fill(question, timeout=1500)
        frame.locator("#question").press("Enter")
    except PlaywrightTimeout:
        pass
    assert held, "the panel never asked for its script"
    for route in held:
        route.continue_()
    answer = ask_widget(frame, question)
    assert "Sybiha" in answer.inner_text()


def test_an_answer_cut_off_midway_says_so_in_the_widget(page, web) -> None:
    """The server's stream ends (a proxy timeout, a restart) after some tokens but before the
    answer: the bubble says so instead of spinning forever."""

    def cut(route) -> None:
        response = route.fetch()
        body = response.text()
        route.fulfill(response=response, body=body[: body.index("event: answer")])

    page.route("**/api/ask/stream", cut)
    name = host_page(web["allowed_dir"], "cut.html", web["url"], site="intranet-hr")
    page.goto(f"{web['allowed']}/{name}")
    reply = ask_widget(open_widget(page), "Which Ukrainian minister met Rubio in Antalya?")
    assert "cut off" in reply.inner_text() and "error" in (reply.get_attribute("class") or "")


def test_page_behind_a_reverse_proxy_with_a_root_path(browser, tmp_path: Path, seed_settings: Settings) -> None:
    """`--root-path /assistant` behind a proxy that strips the prefix: the page, its assets and
    its streaming all work under the prefix, and so does the widget script."""
    env = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir), "ASSISTANT_ROOT_PATH": "/assistant"}
    with assistant_server(tmp_path, env) as url, prefix_proxy(url, "/assistant") as public:
        context = browser.new_context()
        pg = context.new_page()
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(public + "/")
        reply = ask_page(pg, ZELENSKY_ERDOGAN)
        assert "Ankara" in reply.inner_text()
        assert all(u.startswith(public) for u in requests if not u.startswith(("data:", "blob:"))), requests
        assert httpx.get(public + "/widget.js").status_code == 200
        context.close()


def test_page_says_in_plain_words_when_the_llm_is_down(browser, tmp_path: Path, seed_settings: Settings) -> None:
    from .servers import free_port

    env = {
        "ASSISTANT_INDEX_DIR": str(seed_settings.index_dir),
        "ASSISTANT_BACKEND": "openai",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
        "ASSISTANT_LLM_RETRIES": "0",
    }
    with assistant_server(tmp_path, env) as url:
        pg = browser.new_page()
        pg.goto(url + "/")
        reply = ask_page(pg, ZELENSKY_ERDOGAN)
        assert "The language model failed" in reply.locator(".notice").inner_text()
        assert "Ankara" in reply.inner_text()  # the extractive answer instead
        pg.close()


NEW_USER_DOCS = {
    "leave-policy.md": "# Annual leave policy\n\nFull-time staff get 25 days of paid annual leave each calendar "
    "year, on top of public holidays. Requests go through the HR portal two weeks ahead.\n",
    "kettle-manual.txt": "Kettle K40 quick start\n\nFill the kettle to at least the minimum mark before switching "
    "it on. Descale it every four weeks in hard-water areas.\n",
}


def new_user_index(root: Path) -> tuple[Path, Path]:
    """A new user's documents written to a folder and indexed: (corpus folder, index folder)."""
    corpus = root / "mydocs"
    corpus.mkdir()
    for name, text in NEW_USER_DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index = root / "index"
    ingest(Settings(index_dir=index, corpus_dir=corpus), progress=False)
    return corpus, index


def test_a_new_user_on_their_own_documents(browser, tmp_path: Path) -> None:
    """A new user's path, on documents the test writes (not the seeds): their folder indexed and
    served, the page titled from settings, an answer that is seen being written, a citation
    opened from the keyboard with its passage titled without Markdown marks."""
    corpus, index = new_user_index(tmp_path)
    env = {"ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_TITLE": "HR help desk"}
    with assistant_server(tmp_path, env) as url:
        pg = browser.new_page()
        pg.goto(url + "/")
        pg.wait_for_selector("#page-title")
        pg.wait_for_function("() => document.title === 'HR help desk'", timeout=10_000)
        assert pg.locator("#page-title").inner_text() == "HR help desk"
        assert "Istanbul" not in pg.content() and "the 2 documents" in pg.locator("#chat").inner_text()
        pg.evaluate(
            """() => { window.__lengths = [];
            setInterval(() => { const r = document.querySelector('#chat .reply-streaming');
              if (r) window.__lengths.push(r.innerText.length); }, 30); }"""
        )
        # Keyboard only: Tab to the box, type, Enter; Tab to the citation, Enter; Tab to "Back", Enter.
        tab_to(pg, "#question textarea")
        ring = pg.evaluate("() => [getComputedStyle(document.activeElement).outlineStyle, "
                           "getComputedStyle(document.activeElement).outlineWidth]")  # fmt: skip
        assert ring[0] != "none" and ring[1] != "0px", ring  # the focus ring shows
        pg.keyboard.type("How many days of paid leave do full-time employees get?")
        pg.keyboard.press("Enter")
        pg.wait_for_selector("#chat .reply-answer", timeout=30_000)
        reply = pg.locator("#chat .reply-answer").last
        assert "25 days" in reply.inner_text()
        live = pg.locator("#announce [aria-live='polite']")
        live.wait_for(state="attached")
        assert "25 days" in live.inner_text() and "<" not in live.inner_text()  # announced as text
        labels = "[...document.querySelectorAll('#chat [aria-label]')].map(e => e.getAttribute('aria-label'))"
        pg.wait_for_function(f"() => {labels}.every(label => !label.includes('<'))", timeout=5_000)
        assert any("25 days" in label for label in pg.evaluate(f"() => {labels}"))  # labelled with its text
        lengths = sorted(set(pg.evaluate("() => window.__lengths")))
        assert len(lengths) >= 3, lengths  # the answer grew in steps while it was written
        tab_to(pg, "#chat a.cite")
        target = pg.evaluate("() => document.activeElement.getAttribute('href')")
        pg.keyboard.press("Enter")
        pg.wait_for_function("t => location.hash === t", arg=target)
        source = pg.locator(target)
        assert source.locator(".source-title").inner_text() == "Annual leave policy"
        assert "#" not in source.locator(".source-head").inner_text()
        assert source.locator(".source-doc").inner_text().startswith("leave-policy.md, characters")
        tab_to(pg, f"{target} a.back")
        pg.keyboard.press("Enter")
        pg.wait_for_function("() => location.hash === '#answer-0'")
        assert pg.locator("#answer-0").is_visible() and "25 days" in pg.locator("#answer-0").inner_text()
        assert axe_violations(pg) == []
        pg.close()


def tab_to(pg, selector: str, presses: int = 80) -> None:
    """Press Tab until the focused element matches ``selector``: what a keyboard user does."""
    for _ in range(presses):
        if pg.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        pg.keyboard.press("Tab")
    raise AssertionError(f"{selector} never took the focus in {presses} presses of Tab")


def test_an_empty_question_leaves_no_bubble(page, web) -> None:
    page.goto(web["url"] + "/")
    box = page.locator("#question textarea, #question input").first
    box.fill("   ")
    box.press("Enter")
    page.wait_for_selector("text=Type a question first.", timeout=10_000)
    assert page.locator("#chat .message, #chat [data-testid='user']").count() == 0


def test_the_page_and_the_widget_pass_axe(browser, web) -> None:
    """axe-core (npm) in chromium: no critical or serious violation on the page empty, after an
    answer, a disagreement, a refusal and an error, nor in the widget's panel."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    pg = context.new_page()
    pg.goto(web["url"] + "/")
    pg.wait_for_selector("#question")
    found = {"empty": axe_violations(pg)}
    for name, question in (
        ("answer", "Which Ukrainian minister met Rubio in Antalya?"),
        ("disagreement", TARIFF),
        ("refusal", "What did the Chinese foreign ministry say about the ceasefire?"),
        ("error", "z" * 1200),
    ):
        ask_page(pg, question)
        found[name] = axe_violations(pg)
    name = host_page(web["allowed_dir"], "a11y.html", web["url"], site="intranet-hr", title="HR help desk")
    pg.goto(f"{web['allowed']}/{name}")
    frame = open_widget(pg)
    frame.locator("#question").wait_for()
    panel = next(f for f in pg.frames if "/widget/panel" in f.url)
    ask_widget(frame, "Which Ukrainian minister met Rubio in Antalya?")
    found["widget"] = axe_violations(panel)
    context.close()
    failing = {k: v for k, v in found.items() if v}
    assert not failing, json.dumps(failing, indent=1)


def test_the_widget_demo_page_on_loopback(browser, tmp_path: Path, seed_settings: Settings) -> None:
    """`/widget/demo` is off by default; on, with a sites file naming the server's own origin (the
    README's example), it embeds a working widget; without such a site it says what to add."""
    from .servers import free_port

    port = free_port()
    env = {"ASSISTANT_INDEX_DIR": str(seed_settings.index_dir), "ASSISTANT_PORT": str(port)}
    with assistant_server(tmp_path, env) as url:
        off = httpx.get(url + "/widget/demo")
        assert off.status_code == 404 and "ASSISTANT_WIDGET_DEMO=true" in off.text
    sites = tmp_path / "sites.toml"
    sites.write_text('[sites.elsewhere]\norigins = ["https://intranet.example"]\n')
    env |= {"ASSISTANT_WIDGET_DEMO": "true", "ASSISTANT_SITES_FILE": str(sites)}
    with assistant_server(tmp_path, env) as url:
        missing = httpx.get(url + "/widget/demo")
        assert missing.status_code == 404 and f"origins = [&quot;{url}&quot;]" in missing.text
    sites.write_text(f'[sites.demo]\norigins = ["{url}"]\n')
    with assistant_server(tmp_path, env) as url:
        pg = browser.new_page()
        pg.goto(url + "/widget/demo")
        answer = ask_widget(open_widget(pg), ZELENSKY_ERDOGAN)
        assert "Ankara" in answer.inner_text()
        pg.close()


def test_an_example_is_shown_whole_and_asked_when_clicked(page, web) -> None:
    page.goto(web["url"] + "/")
    page.wait_for_selector("#question")
    example = page.get_by_role("button", name="What do the documents say about").first
    example.wait_for(timeout=10_000)
    label = example.inner_text().strip()
    assert label.endswith("?") and "…" not in label and "..." not in label, label
    shown = example.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert shown[0] <= shown[1] + 1, shown  # not clipped by an ellipsis either
    before = page.locator("#chat .reply:not(.reply-streaming)").count()
    example.click()
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .reply:not(.reply-streaming)').length > n", arg=before, timeout=30_000
    )
    assert label in page.locator("#chat").inner_text()


UNCONFIRMED_DRAFT = (
    "Full-time employees are entitled to 25 days of paid holiday every year, besides public holidays [1]. "
    "Requests go through the HR portal two weeks ahead [1]."
)


def test_an_unconfirmed_sentence_is_marked_on_the_page_and_in_the_widget(browser, tmp_path: Path, llm_url: str) -> None:
    """The real llama.cpp server, held by a grammar (``ASSISTANT_LLM_EXTRA_BODY``) to a draft
    written here: one sentence worded too loosely to confirm, one copied. On the page and in the
    widget the first is marked, its status written out as text a screen reader reads with it;
    the second is not."""
    from .llm_server import MODEL_ALIAS
    from .servers import free_port

    corpus, index = new_user_index(tmp_path)
    port = free_port()
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[sites.demo]\norigins = ["http://127.0.0.1:{port}"]\n')
    env = {
        "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_PORT": str(port),
        "ASSISTANT_BACKEND": "openai", "OPENAI_BASE_URL": llm_url, "ASSISTANT_LLM_MODEL": MODEL_ALIAS,
        "ASSISTANT_SECOND_READER": "false", "ASSISTANT_WIDGET_DEMO": "true", "ASSISTANT_SITES_FILE": str(sites),
        "ASSISTANT_LLM_EXTRA_BODY": json.dumps({"grammar": "root ::= " + json.dumps(UNCONFIRMED_DRAFT)}),
    }  # fmt: skip
    question = "How many days of paid leave do full-time employees get?"
    with assistant_server(tmp_path, env) as url:
        data = httpx.post(url + "/api/ask", json={"question": question}, timeout=120).json()
        assert [s["status"] for s in data["sentences"]] == ["unconfirmed", "confirmed"], data["sentences"]
        pg = browser.new_page()
        pg.goto(url + "/")
        reply = ask_page(pg, question)
        marked = reply.locator(".unconfirmed")
        assert marked.count() == 1
        assert "25 days of paid holiday" in marked.inner_text() and "HR portal" not in marked.inner_text()
        assert marked.locator(".status").inner_text().strip() == "(not confirmed by the cited passage)"
        labels = "[...document.querySelectorAll('#chat [aria-label]')].map(e => e.getAttribute('aria-label'))"
        pg.wait_for_function(
            f"() => {labels}.some(l => l.includes('holiday') && l.includes('not confirmed by the cited passage'))",
            timeout=5_000,
        )  # what a screen reader reads for the message carries the status
        assert axe_violations(pg) == []
        pg.close()
        pg = browser.new_page()
        pg.goto(url + "/widget/demo")
        answer = ask_widget(open_widget(pg), question)
        marked = answer.locator(".unconfirmed")
        assert marked.count() == 1 and "25 days of paid holiday" in marked.inner_text()
        assert "not confirmed by the cited passage" in marked.locator(".status").inner_text()
        assert "HR portal" in answer.locator(".text").inner_text() and "HR portal" not in marked.inner_text()
        pg.close()
