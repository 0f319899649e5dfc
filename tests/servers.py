"""Starting real servers for tests: a free loopback port, and a process that is only handed
over once its URL answers, and is always stopped afterwards."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(
    cmd: list[str], log_path: Path, ready_url: str, *, timeout: float = 90, **popen: object
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd``, wait until ``ready_url`` answers 200, yield the process, then stop it.
    If it dies or never answers, the error carries the end of its log."""
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, **popen)  # type: ignore[call-overload]
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                state = "exited" if proc.poll() is not None else f"did not answer within {timeout:.0f} s"
                raise RuntimeError(f"{cmd[0]} {state}:\n" + log_path.read_text(errors="replace")[-4000:])
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
