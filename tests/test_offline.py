"""A fresh clone answers with no network: nothing is downloaded, nothing phones home.

Ingest and ask run in a child process whose sockets refuse every non-loopback address and
log the attempt, with an empty HOME so no earlier cache can hide a download.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import ROOT, SEEDS

GUARD = textwrap.dedent(
    """
    import os, socket
    _LOG = os.environ["NET_LOG"]
    _LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", None}

    def _note(what):
        with open(_LOG, "a") as f:
            f.write(repr(what) + "\\n")

    def _ok(address):
        return not isinstance(address, tuple) or address[0] in _LOCAL or str(address[0]).startswith("127.")

    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if not _ok(address):
            _note(("connect", address))
            raise OSError("network disabled by the offline test")
        return _connect(self, address)

    def connect_ex(self, address):
        if not _ok(address):
            _note(("connect", address))
            return 111
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in _LOCAL and not str(host).startswith("127."):
            _note(("dns", host))
            raise socket.gaierror("network disabled by the offline test")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    """
)


def _run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    guard_dir = tmp / "guard"
    guard_dir.mkdir(exist_ok=True)
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "HF_", "OPENAI_"))}
    env.update(
        HOME=str(tmp / "home"),
        XDG_CACHE_HOME=str(tmp / "home" / ".cache"),
        NET_LOG=str(tmp / "net.log"),
        PYTHONPATH=os.pathsep.join([str(guard_dir), str(ROOT)]),
        ASSISTANT_INDEX_DIR=str(tmp / "index"),
        ASSISTANT_CORPUS_DIR=str(SEEDS),
    )
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_ingest_and_ask_make_no_outbound_connection(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    ingest = _run(tmp_path, "-m", "assistant", "ingest")
    assert ingest.returncode == 0, ingest.stderr
    ask = _run(tmp_path, "-m", "assistant", "ask", "--json", "In which city did Zelensky meet Erdogan?")
    assert ask.returncode == 0, ask.stderr
    assert "Ankara" in json.loads(ask.stdout)["answer"]

    log = tmp_path / "net.log"
    assert not log.exists() or log.read_text() == "", log.read_text()
    cache = tmp_path / "home" / ".cache"
    leftovers = sorted(p.name for p in cache.iterdir()) if cache.exists() else []
    assert not {"chroma", "huggingface", "wordllama"} & set(leftovers), leftovers


def test_the_guard_does_catch_a_download(tmp_path: Path) -> None:
    """The harness above would see a model download: show it on a real attempt."""
    (tmp_path / "home").mkdir()
    proc = _run(
        tmp_path,
        "-c",
        "import urllib.request\n"
        "try:\n urllib.request.urlopen('https://huggingface.co/x', timeout=2)\n"
        "except Exception as e:\n print(type(e).__name__)",
    )
    assert proc.returncode == 0
    assert "huggingface.co" in (tmp_path / "net.log").read_text()
