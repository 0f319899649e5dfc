"""The operator's surface on a running server: the documents API behind the admin token, a
watched corpus folder, uploads, replacements and removals while 20 clients keep asking
through nginx in front of two hosts, and the page's Documents view in chromium."""

from __future__ import annotations

import json
import random
import re
import shutil
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from assistant.answering.model import load as load_model
from assistant.indexing import manage
from assistant.indexing.ingest import ingest
from assistant.settings import Settings

from .conftest import ROOT, SEEDS
from .test_retrieval import chroma_server  # noqa: F401  (a fixture: `chroma run` on loopback)
from .test_web import browser  # noqa: F401  (a fixture: Debian's chromium through Playwright)
from .test_workers import redis_url  # noqa: F401  (a fixture: redis-server on loopback)
from .web_support import assistant_server, axe_violations, nginx

pytestmark = pytest.mark.server

TOKEN = "op-7f3c9a1e-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_DOC = "harbour-levy.txt"
NEW_TEXT = (
    "Harbour levy review\n\nThe Velmora port authority raised its harbour levy to 14 crowns per tonne on "
    "9 February 2029, after a vote of the board chaired by Odile Marchetti.\n"
)
CHANGED_TEXT = NEW_TEXT.replace("14 crowns", "17 crowns")
QUESTION = "How much is the Velmora harbour levy per tonne?"
SEED_QUESTION = "Who leads the Ukrainian delegation?"


def _corpus_and_index(work: Path) -> tuple[Path, Path]:
    corpus = work / "corpus"
    shutil.copytree(SEEDS, corpus)
    ingest(Settings(index_dir=work / "index", corpus_dir=corpus), progress=False)
    return corpus, work / "index"


def _folder(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in corpus.iterdir()}


def _cites(url: str, text: str, client: httpx.Client | None = None) -> bool:
    r = (client or httpx).post(f"{url}/api/ask", json={"question": QUESTION}, timeout=60)  # type: ignore[attr-defined]
    body = r.json()
    return any(c["doc_id"] == NEW_DOC for c in body["citations"]) and text in body["answer"]


def _until(check, seconds: float = 30) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``check()`` is true; fails the test after ``seconds``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - start


def test_the_admin_surface_is_off_without_a_token(tmp_path: Path) -> None:
    corpus, index = _corpus_and_index(tmp_path)
    env = {"ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus)}
    with assistant_server(tmp_path, env) as url:
        for method in ("GET", "POST", "DELETE"):
            path = "/api/admin/documents" + ("/" + sorted(_folder(corpus))[0] if method == "DELETE" else "")
            files = {"files": ("a.txt", b"x")} if method == "POST" else None
            r = httpx.request(method, url + path, headers=AUTH, files=files)
            assert r.status_code == 404 and "ASSISTANT_ADMIN_TOKEN" in r.json()["error"], method
        assert "Documents (operators)" not in httpx.get(url + "/config").text
    assert _folder(corpus) == _folder(SEEDS)


def test_wrong_tokens_and_bad_uploads_change_nothing(tmp_path: Path) -> None:
    corpus, index = _corpus_and_index(tmp_path)
    before, snapshot = _folder(corpus), (index / "CURRENT").read_text()
    env = {
        "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_ADMIN_TOKEN": TOKEN, "ASSISTANT_MAX_UPLOAD_BYTES": "20000",
    }  # fmt: skip
    good = {"files": (NEW_DOC, NEW_TEXT.encode(), "text/plain")}
    with assistant_server(tmp_path, env) as url, httpx.Client(base_url=url, timeout=30) as client:
        for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN.upper()}"},
                        {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": TOKEN}, {"Authorization": "Bearer **********"}]:  # fmt: skip
            for r in (
                client.get("/api/admin/documents", headers=headers),
                client.post("/api/admin/documents", headers=headers, files=good),
                client.delete(f"/api/admin/documents/{sorted(before)[0]}", headers=headers),
            ):
                assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", headers
        bad_uploads = [
            ({"files": ("blob.txt", bytes(range(256)) * 8, "text/plain")}, 422, "binary"),
            ({"files": ("big.txt", b"word " * 5000, "text/plain")}, 413, "larger than"),
            ({"files": ("../escape.txt", NEW_TEXT.encode(), "text/plain")}, 400, "plain file name"),
            ({"files": ("/etc/cron.d/x.txt", NEW_TEXT.encode(), "text/plain")}, 400, "plain file name"),
            ({"files": (".hidden.txt", NEW_TEXT.encode(), "text/plain")}, 400, "hidden"),
            ({"files": ("run.sh", b"echo hi", "text/plain")}, 415, "only .txt"),
            ({"other": ("a.txt", NEW_TEXT.encode(), "text/plain")}, 400, "files"),
        ]
        for files, status, says in bad_uploads:
            r = client.post("/api/admin/documents", headers=AUTH, files=files)
            assert r.status_code == status and says in r.json()["error"], (files, r.text)
        r = client.post("/api/admin/documents", headers=AUTH, data={"files": "not a file"})
        assert r.status_code == 415  # a urlencoded form is not an upload
        r = client.post(
            "/api/admin/documents", headers={**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"},
            content=b"--xyz\r\nContent-Disposition: form-data; name=files; filename=a.txt\r\n\r\nno end",
        )  # fmt: skip
        assert r.status_code in (400, 422)
        chunked = client.post(
            "/api/admin/documents", headers={**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"},
            content=iter([b"--xyz\r\n", b"x" * 100]),
        )  # fmt: skip
        assert chunked.status_code == 411
        for doc_id, status in [("..%2F..%2Fetc%2Fpasswd", 400), ("missing.txt", 404), ("%2Fetc%2Fpasswd", 400)]:
            r = client.delete(f"/api/admin/documents/{doc_id}", headers=AUTH)
            assert r.status_code == status, (doc_id, r.text)
        listing = client.get("/api/admin/documents", headers=AUTH).json()
        assert {d["id"] for d in listing["documents"]} == set(before)
        assert all(d["state"] == "indexed" for d in listing["documents"]) and listing["ingest"] is None
    assert _folder(corpus) == before and (index / "CURRENT").read_text() == snapshot
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_a_watched_folder_is_ingested_while_serving(tmp_path: Path) -> None:
    corpus, index = _corpus_and_index(tmp_path)
    env = {"ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_WATCH": "true",
           "ASSISTANT_ADMIN_TOKEN": TOKEN}  # fmt: skip
    with assistant_server(tmp_path, env) as url:
        (corpus / ".part-download.txt").write_text(NEW_TEXT)  # hidden: not a document yet
        (corpus / ".part-download.txt").rename(corpus / NEW_DOC)
        _until(lambda: _cites(url, "14 crowns"))
        (corpus / NEW_DOC).write_text(CHANGED_TEXT)
        _until(lambda: _cites(url, "17 crowns"))
        (corpus / "scan.pdf").write_bytes(b"%PDF-1.4 truncated")
        (corpus / NEW_DOC).unlink()
        _until(lambda: not _cites(url, "crowns"))

        def failed() -> bool:
            docs = httpx.get(url + "/api/admin/documents", headers=AUTH).json()["documents"]
            return any(d["id"] == "scan.pdf" and d["state"] == "failed" and d["reason"] for d in docs)

        _until(failed)
        r = httpx.post(url + "/api/ask", json={"question": SEED_QUESTION}, timeout=60)
        assert r.status_code == 200 and r.json()["citations"]  # the bad file stopped nothing
    events = (tmp_path / "server.log").read_text()
    assert '"event": "watch_started"' in events and '"event": "ingest_finished"' in events


@pytest.fixture(scope="module")
def intranet(
    tmp_path_factory: pytest.TempPathFactory,
    chroma_server: str,  # noqa: F811
    redis_url: str,  # noqa: F811
) -> Iterator[dict[str, object]]:
    """Two hosts sharing a Chroma server, Redis and the corpus folder, behind nginx, with the
    admin surface and metrics on."""
    work = tmp_path_factory.mktemp("intranet")
    corpus = work / "corpus"
    shutil.copytree(SEEDS, corpus)
    ingest(Settings(index_dir=work / "index", corpus_dir=corpus, chroma_url=chroma_server), progress=False)
    env = {
        "ASSISTANT_INDEX_DIR": str(work / "index"), "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_CHROMA_URL": chroma_server, "ASSISTANT_REDIS_URL": redis_url,
        "ASSISTANT_ADMIN_TOKEN": TOKEN, "ASSISTANT_RATE_LIMIT": "100000/minute",
        "ASSISTANT_ROOT_PATH": "/assistant", "ASSISTANT_FORWARDED_ALLOW_IPS": "127.0.0.1",
    }  # fmt: skip
    with ExitStack() as stack:
        urls = []
        for host in ("host1", "host2"):
            (work / host).mkdir()
            urls.append(stack.enter_context(assistant_server(work / host, env)))
        public = stack.enter_context(nginx(work / "nginx", urls, "/assistant"))
        yield {"public": public, "urls": urls, "corpus": corpus, "work": work}


def test_upload_replace_and_delete_while_20_clients_keep_asking(intranet: dict) -> None:
    public: str = intranet["public"]
    failures: list[str] = []
    served = [0]
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while not stop.is_set():
                r = http.post(f"{public}/api/ask", json={"question": SEED_QUESTION})
                served[0] += 1
                if r.status_code != 200 or not r.json()["citations"]:
                    failures.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(20)]
    for t in threads:
        t.start()
    took: dict[str, float] = {}
    try:
        with httpx.Client(base_url=public, headers=AUTH, timeout=60) as admin:
            start = time.monotonic()
            r = admin.post("/api/admin/documents", files={"files": (NEW_DOC, NEW_TEXT.encode(), "text/plain")})
            assert r.status_code == 202
            assert r.json()["stored"][0] == {"id": NEW_DOC, "bytes": len(NEW_TEXT), "replaced": False}
            _until(lambda: _cites(public, "14 crowns"))
            took["upload"] = time.monotonic() - start
            start = time.monotonic()
            r = admin.post("/api/admin/documents", files={"files": (NEW_DOC, CHANGED_TEXT.encode(), "text/plain")})
            assert r.status_code == 202 and r.json()["stored"][0]["replaced"]
            _until(lambda: _cites(public, "17 crowns"))
            took["replace"] = time.monotonic() - start
            start = time.monotonic()
            assert admin.delete(f"/api/admin/documents/{NEW_DOC}").status_code == 202
            _until(lambda: not _cites(public, "crowns"))
            took["delete"] = time.monotonic() - start
            listing = admin.get("/api/admin/documents").json()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert served[0] > 100 and failures == [], failures[:3]
    assert max(took.values()) < 20, took  # from the request to answers from the new snapshot
    assert listing["ingest"]["state"] == "done" and NEW_DOC not in {d["id"] for d in listing["documents"]}
    for url in intranet["urls"]:  # every host answers from the last snapshot
        assert not _cites(url, "crowns")
    print(f"upload/replace/delete to the next answers from the new snapshot, s: {took}; {served[0]} asked")


def test_upload_to_first_citing_answer(intranet: dict) -> None:
    """The figure for the closing note: median of 5 uploads, each a new document."""
    public: str = intranet["public"]
    times = []
    with httpx.Client(base_url=public, headers=AUTH, timeout=60) as admin:
        for i in range(5):
            name, text = f"levy-{i}.txt", NEW_TEXT.replace("Velmora", f"Velmora-{i}")
            start = time.monotonic()
            assert admin.post("/api/admin/documents", files={"files": (name, text.encode())}).status_code == 202

            question = QUESTION.replace("Velmora", f"Velmora-{i}")

            def cited(name: str = name, question: str = question) -> bool:
                body = httpx.post(f"{public}/api/ask", json={"question": question}).json()
                return any(c["doc_id"] == name for c in body["citations"])

            _until(cited)
            times.append(time.monotonic() - start)
            assert admin.delete(f"/api/admin/documents/{name}").status_code == 202

            def gone(name: str = name) -> bool:
                listing = admin.get("/api/admin/documents").json()
                return name not in {d["id"] for d in listing["documents"]} and not listing["queued"]

            _until(gone)
    print(f"upload to first citing answer, 2 hosts: median {statistics.median(times):.2f} s of {times}")
    assert statistics.median(times) < 20


def test_the_documents_view_uploads_and_removes(browser, tmp_path: Path) -> None:  # noqa: F811
    corpus, index = _corpus_and_index(tmp_path)
    env = {"ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_ADMIN_TOKEN": TOKEN}
    upload = tmp_path / NEW_DOC
    upload.write_text(NEW_TEXT)
    with assistant_server(tmp_path, env) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.goto(url + "/")
        pg.get_by_text("Documents (operators)").click()
        pg.get_by_label("Admin token").fill("not the token")
        pg.locator("#admin-show").click()
        pg.wait_for_selector("#admin-documents [role=alert]")
        assert "not the admin token" in pg.inner_text("#admin-documents")
        pg.get_by_label("Admin token").fill(TOKEN)
        pg.locator("#admin-show").click()
        pg.wait_for_selector("#admin-documents table")
        assert pg.locator("#admin-documents tbody tr").count() == len(_folder(SEEDS))
        found = axe_violations(pg)
        assert found == [], "\n".join(map(str, found))
        with pg.expect_file_chooser() as chooser:
            pg.locator("#admin-upload").click()
        chooser.value.set_files(str(upload))
        pg.wait_for_selector("#admin-message [role=status]", timeout=30_000)
        assert f"Stored {NEW_DOC}" in pg.inner_text("#admin-message")
        pg.wait_for_function(  # the view refreshes itself while the ingest runs
            "() => [...document.querySelectorAll('#admin-documents tr')].some("
            "r => r.innerText.includes('harbour-levy.txt') && r.innerText.includes('indexed'))",
            timeout=30_000,
        )
        assert _cites(url, "14 crowns")
        pg.locator("#admin-choice input").fill(NEW_DOC)
        pg.keyboard.press("Enter")
        pg.locator("#admin-remove").click()
        pg.wait_for_function("() => document.querySelector('#admin-message').innerText.includes('Removed')")
        _until(lambda: not _cites(url, "crowns"))
        assert not (corpus / NEW_DOC).exists()
        context.close()


def test_fuzzed_uploads_never_get_a_5xx_or_python_text(tmp_path: Path) -> None:
    """250 generated bad uploads and admin requests: names, bodies, types, tokens and forms."""
    python_text = re.compile(r"Traceback|object has no attribute|(?:Type|Value|Key|Unicode\w*)Error|File \"")
    corpus, index = _corpus_and_index(tmp_path)
    before = _folder(corpus)
    env = {"ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_ADMIN_TOKEN": TOKEN,
           "ASSISTANT_MAX_UPLOAD_BYTES": "1000000"}  # fmt: skip
    rng = random.Random(23)
    names = ["../a.txt", "/abs.txt", "a/b.txt", "..", ".", "", " ", ".hidden.md", "x" * 300 + ".txt", "nul\x00.txt",
             "tab\t.txt", "bidi\u202etxt.exe", "a.txt.meta.json", "a.exe", "a.TXT/..", "con.txt\\..\\x.txt", "a.pdf",
             "a.html", "a.md", "😀" * 70 + ".txt"]  # fmt: skip
    bodies = [b"", b"\x00" * 100, bytes(range(256)), b"\xff\xfe" + "text".encode("utf-16-le"), b"%PDF-1.4\n%%EOF",
              b"<html><script>x</script></html>", b"   \n\t ", rng.randbytes(3000), b"ok " * 50_000]  # fmt: skip
    problems, resets, stored = [], 0, set()
    with assistant_server(tmp_path, env) as url, httpx.Client(base_url=url, timeout=60) as client:
        for i in range(250):
            try:
                r = _fuzzed_request(client, rng, i, names, bodies)
            except httpx.TransportError:  # refused before its body was read (401, 413): the client sees a reset
                resets += 1
                continue
            if r.status_code >= 500 or python_text.search(r.text):
                problems.append((i, r.status_code, r.text[:200]))
            elif r.status_code == 202 and "stored" in r.json():  # a batch whose every file was a document
                stored.update(d["id"] for d in r.json()["stored"])
        assert httpx.get(url + "/api/health").status_code == 200
    print(f"250 fuzzed admin requests: {len(problems)} problems, {resets} refused before their body was read, "
          f"{len(stored)} valid files stored")  # fmt: skip
    assert problems == [] and resets < 50
    assert "Traceback" not in (tmp_path / "server.log").read_text()
    now = _folder(corpus)
    assert set(now) == set(before) | stored and all(now[k] == v for k, v in before.items())
    for name in stored:  # what was let in reads as a document, with a plain name
        assert corpus_reads(corpus / name) and manage.check_name(name) == name


def corpus_reads(path: Path) -> bool:
    from assistant.indexing import corpus

    return bool(corpus.read(corpus.Source(path, path.name)).text.strip())


def _fuzzed_request(
    client: httpx.Client, rng: random.Random, i: int, names: list[str], bodies: list[bytes]
) -> httpx.Response:
    """One bad upload, odd form or removal of something that is not a document."""
    kind = i % 5
    headers = dict(AUTH) if rng.random() > 0.1 else {"Authorization": rng.choice(["Bearer", "Bearer x y", "x" * 9000])}
    if kind <= 2:  # uploads of bad files, one or several
        files = [("files", (rng.choice(names), rng.choice(bodies), "text/plain")) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:  # a good file beside them changes nothing either
            files.append(("files", (f"fine-{i}.txt", NEW_TEXT.encode(), "text/plain")))
        r = client.post("/api/admin/documents", headers=headers, files=files)
    elif kind == 3:  # raw bodies under multipart and other types
        ctype = rng.choice(["multipart/form-data", "multipart/form-data; boundary=", "application/json",
                                "multipart/form-data; boundary=zz", "multipart/mixed; boundary=zz"])  # fmt: skip
        raw = rng.choice([b"--zz\r\n", b"--zz--", rng.randbytes(500), b'{"files": 1}'])
        r = client.post("/api/admin/documents", headers={**headers, "Content-Type": ctype}, content=raw)
    else:  # removals of things that are not documents
        target = rng.choice(["..%2F..%2Fetc%2Fpasswd", "%00", "a" * 300, "%2e%2e/x", "nope.txt", "%2Fetc%2Fhosts"])
        r = client.delete(f"/api/admin/documents/{target}", headers=headers)
    return r


@pytest.mark.parametrize("way", ["upload", "watched folder"])
def test_a_grown_corpus_has_its_threshold_measured_before_its_next_question(tmp_path: Path, way: str) -> None:
    """A corpus above the fitted sizes grows by a third, through an upload (the worker that
    ingested it warms itself on the new snapshot) or in the watched folder (the watcher measures
    it in a child): either way its threshold is measured before anyone asks."""
    articles = sorted((ROOT / "evals/squad/corpus-fit").glob("*.txt"), key=lambda p: p.stat().st_size)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article in articles[:-1]:
        shutil.copy(article, corpus)
    ingest(Settings(index_dir=tmp_path / "index", corpus_dir=corpus), progress=False)
    saved = tmp_path / "index" / "calibration.json"
    env = {"ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_ADMIN_TOKEN": TOKEN, "ASSISTANT_WATCH": str(way == "watched folder").lower()}  # fmt: skip
    with assistant_server(tmp_path, env) as url:
        before = json.loads(saved.read_text())["chunks"]  # measured as the server started
        assert before > load_model().calibrate_above
        if way == "upload":
            upload = {"files": (articles[-1].name, articles[-1].read_bytes(), "text/plain")}
            assert httpx.post(url + "/api/admin/documents", headers=AUTH, files=upload, timeout=60).status_code < 300
        else:
            shutil.copy(articles[-1], corpus)

        def remeasured() -> bool:
            return json.loads(saved.read_text())["chunks"] > before * 1.1

        _until(remeasured, seconds=60)  # nobody asked anything meanwhile
        health = httpx.get(url + "/api/health").json()
    assert json.loads(saved.read_text())["chunks"] == health["chunks"]
