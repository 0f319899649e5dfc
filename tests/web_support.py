"""Helpers for the browser tests: the assistant server, host pages on other origins, chromium."""

from __future__ import annotations

import http.server
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from .conftest import ROOT
from .servers import free_port, running
from .test_offline import GUARD

CHROMIUM = os.environ.get("ASSISTANT_TEST_CHROMIUM", "/usr/bin/chromium")
REPORT_DIR = Path(os.environ.get("ASSISTANT_TEST_REPORT_DIR", ROOT / "evals" / "reports" / "ui"))


@contextmanager
def assistant_server(workdir: Path, env: dict[str, str], keep_process: bool = False) -> Iterator[Any]:
    """``assistant serve`` in a child process whose sockets may only reach loopback; every
    attempt to go further is logged to ``workdir/net.log``. Yields the URL, or (URL, process)."""
    guard = workdir / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD)
    port = int(env.get("ASSISTANT_PORT") or free_port())
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    environ.update(env)
    environ.update(
        PYTHONPATH=os.pathsep.join([str(guard), str(ROOT)]),
        NET_LOG=str(workdir / "net.log"),
        ASSISTANT_PORT=str(port),
        ASSISTANT_BACKEND=env.get("ASSISTANT_BACKEND", "extractive"),
    )
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "assistant", "serve"]
    with running(cmd, workdir / "server.log", f"{url}/", cwd=ROOT, env=environ) as proc:  # the page: built last
        page_ready_everywhere(url)
        yield (url, proc) if keep_process else url


def page_ready_everywhere(url: str, timeout: float = 60) -> None:
    """Wait until every worker has built its page: with ``--workers N`` the first "/" that
    answered came from one of them. Fresh connections land on workers at random."""
    import httpx

    deadline, streak = time.monotonic() + timeout, 0
    while streak < 8 and time.monotonic() < deadline:
        ready = httpx.get(f"{url}/api/health", timeout=10, headers={"Connection": "close"}).json().get("page")
        streak = streak + 1 if ready == "ready" else 0
        if not streak:
            time.sleep(0.2)


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """A plain HTTP server for host pages: another origin on loopback."""
    handler = partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def prefix_proxy(upstream: str, prefix: str) -> Iterator[str]:
    """A reverse proxy on loopback that serves ``upstream`` under ``prefix`` and strips the
    prefix on the way in, as nginx's ``proxy_pass http://upstream/;`` does. Streams bodies."""
    import httpx
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import StreamingResponse

    clients: list[httpx.AsyncClient] = []  # made on the proxy's own event loop
    hop = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        if not path.startswith(prefix):
            await StreamingResponse(iter([b"not found"]), status_code=404)(scope, receive, send)
            return
        if not clients:
            clients.append(httpx.AsyncClient(base_url=upstream, timeout=60))
        client = clients[0]
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
        upstream_request = client.build_request(
            request.method, path[len(prefix) :] or "/", params=request.query_params, headers=headers,
            content=await request.body(),
        )  # fmt: skip
        response = await client.send(upstream_request, stream=True)
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in hop}
        await StreamingResponse(response.aiter_raw(), status_code=response.status_code, headers=out_headers,
                                background=None)(scope, receive, send)  # fmt: skip

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}{prefix}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


AXE = Path(os.environ.get("ASSISTANT_TEST_AXE", ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))


def axe_violations(pg: Any, impacts: tuple[str, ...] = ("critical", "serious")) -> list[dict[str, Any]]:
    """axe-core's violations of the page (or frame) ``pg`` at the given impacts: rule id, impact,
    and the first offending elements of each."""
    # Colours are read mid-fade otherwise (a loaded machine catches a message fading in).
    pg.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running'"
        " || (a.effect && a.effect.getTiming().iterations === Infinity))",
        timeout=10_000,
    )
    pg.add_script_tag(path=str(AXE))
    found = pg.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["html"][:120] + " " + n.get("failureSummary", "")[-160:] for n in v["nodes"][:3]],
        }
        for v in found
        if v["impact"] in impacts
    ]


# The README's nginx configuration, with the paths a test gives it. What matters for the
# assistant: the prefix stripped by `proxy_pass .../;` (the servers run with
# ASSISTANT_ROOT_PATH=/assistant), the client address set (not appended) in X-Forwarded-For and
# trusted from nginx only (ASSISTANT_FORWARDED_ALLOW_IPS), streamed answers not buffered, and
# larger bodies only where documents are uploaded, and each client kept on one server
# (ip_hash): the page's Gradio queue lives in one process, and a
# question joined on one server is never answered on the stream of another.
NGINX_SITE = """
upstream assistant {{
    ip_hash;
{servers}
}}
server {{
    listen 127.0.0.1:{port};
    location {prefix}/ {{
        proxy_pass http://assistant/;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-ID $request_id;
        proxy_buffering off;
        proxy_read_timeout 300s;
        client_max_body_size 1m;
        location {prefix}/api/admin/ {{
            proxy_pass http://assistant/api/admin/;
            client_max_body_size 50m;
        }}
        location {prefix}/gradio_api/upload {{
            proxy_pass http://assistant/gradio_api/upload;
            client_max_body_size 50m;
        }}
    }}
}}
"""


@contextmanager
def nginx(workdir: Path, upstreams: list[str], prefix: str = "/assistant", port: int | None = None) -> Iterator[str]:
    """Debian's nginx on a loopback port in front of ``upstreams`` (base URLs) under ``prefix``."""
    import shutil

    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).exists(), "nginx is installed by `make system-deps` (Debian package nginx)"
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    servers = "\n".join(f"    server {u.removeprefix('http://').rstrip('/')};" for u in upstreams)
    temp = " ".join(
        f"{kind}_temp_path {workdir}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log {workdir}/access.log;\n    {temp}\n"
        + NGINX_SITE.format(servers=servers, port=port, prefix=prefix)
        + "}\n"
    )
    url = f"http://127.0.0.1:{port}{prefix}"
    cmd = [binary, "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"]
    with running(cmd, workdir / "nginx.log", f"{url}/api/health", timeout=30):
        yield url
