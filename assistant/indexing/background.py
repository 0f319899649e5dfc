"""Ingests a server runs while it serves (after an upload, a removal, or a change in the
watched corpus folder), one at a time.

With a Chroma server, each runs in a child process: its memory goes back to the system when
it ends, and a crash in it cannot take the server down. With embedded Chroma it runs in a
thread of the server itself: embedded Chroma keeps a collection in the memory of the process
that opened it, and only writes made through that same process show in it without reopening
(which costs memory each time; see :func:`vectors.connect`). Either way the ingest writes how
far it got to :data:`STATUS_FILE` beside the index, so every worker and host sharing the
index shows the same progress; the index's own lock keeps two ingests from running at once,
wherever they were started.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..settings import Settings
from .snapshot import replace_text

STATUS_FILE = "ingest-status.json"
SETTINGS_ENV = "_ASSISTANT_INGEST_SETTINGS"  # how the child gets the server's settings
BUSY = 75  # the child's exit status when another ingest holds the index (EX_TEMPFAIL)
RETRY_SECONDS = 1.0  # how long to wait before asking again while another ingest runs
ERROR_CHARS = 2000  # of a failed child's output, kept in the status

log = logging.getLogger("assistant.ingest")


def read_status(index_dir: Path) -> dict[str, Any] | None:
    """The last background ingest's state (``None`` when none ran on this index)."""
    try:
        data = json.loads((index_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_status(index_dir: Path, **state: Any) -> None:
    """Best effort: a full disk must not turn a report of progress into a failed ingest."""
    try:
        replace_text(index_dir / STATUS_FILE, json.dumps(state, ensure_ascii=False))
    except OSError as exc:
        log.warning("ingest status not written", extra={"event": "ingest_status_failed", "error": str(exc)})


class BackgroundIngest:
    """Runs ``ingest`` of the corpus folder when asked. A request made while one runs starts
    one more run after it, so no change is missed, and any number of requests made meanwhile
    start only that one. ``on_done`` hears each finished run's outcome (for metrics and logs)."""

    def __init__(self, settings: Settings, on_done: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.settings = settings
        self.on_done = on_done
        self._wanted = threading.Condition()
        self._pending: list[str] = []  # reasons for the next run
        self._allow_empty = False
        self._running = False
        self._thread: threading.Thread | None = None

    def request(self, reason: str, *, allow_empty: bool = False) -> None:
        """Ingest soon; ``allow_empty``: an operator removed documents on purpose, so the run
        may empty the index (a folder that merely vanished still may not)."""
        with self._wanted:
            self._pending.append(reason)
            self._allow_empty |= allow_empty
            if self._thread is None:  # the loop clears it, under this lock, as it ends
                self._thread = threading.Thread(target=self._loop, name="background-ingest", daemon=True)
                self._thread.start()
            self._wanted.notify_all()

    @property
    def queued(self) -> bool:
        """A run is asked for or running in this process."""
        with self._wanted:
            return bool(self._pending) or self._running

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or running here (tests, shutdown); ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._wanted:
            while self._pending or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wanted.wait(left)
        return True

    def _loop(self) -> None:
        while True:
            with self._wanted:
                if not self._pending:
                    self._thread = None
                    self._wanted.notify_all()
                    return
                reasons, allow_empty = self._pending, self._allow_empty
                self._pending, self._allow_empty, self._running = [], False, True
            try:
                outcome = self._run(reasons, allow_empty)
            except Exception as exc:  # the thread must outlive any one ingest, or none would run again
                log.exception("ingest crashed")
                outcome = {"ok": False, "seconds": 0.0, "reason": "; ".join(reasons), "report": {}, "error": str(exc)}
            finally:
                with self._wanted:
                    self._running = False
                    self._wanted.notify_all()
            if self.on_done is not None:
                with contextlib.suppress(Exception):  # a listener's bug must not stop ingests
                    self.on_done(outcome)

    def _run(self, reasons: list[str], allow_empty: bool) -> dict[str, Any]:
        """One ingest, retried while another ingest holds the index."""
        reason = "; ".join(dict.fromkeys(reasons))
        log.info("ingest started", extra={"event": "ingest_started", "reason": reason})
        while True:
            started = time.monotonic()
            code, result = self._once(allow_empty)
            if code != BUSY:
                break
            time.sleep(RETRY_SECONDS)  # another ingest runs; ours must still run after it
        seconds = time.monotonic() - started
        ok = code == 0 and "error" not in result
        outcome: dict[str, Any] = {"ok": ok, "seconds": seconds, "reason": reason, "report": result if ok else {}}
        if ok:
            log.info(
                "ingest finished", extra={"event": "ingest_finished", **result, "duration_ms": round(seconds * 1000)}
            )
        else:
            outcome["error"] = error = str(result.get("error") or "no output")
            log.error(
                "ingest failed", extra={"event": "ingest_failed", "duration_ms": round(seconds * 1000), "error": error}
            )
        return outcome

    def _once(self, allow_empty: bool) -> tuple[int, dict[str, Any]]:
        if not self.settings.chroma_url:
            return run(self.settings, allow_empty)
        cmd = [sys.executable, "-m", "assistant.indexing.background"] + (["--allow-empty"] if allow_empty else [])
        env = {**os.environ, SETTINGS_ENV: self.settings.handoff()}
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace", check=False)
        if proc.returncode == BUSY:
            return BUSY, {}
        with contextlib.suppress(ValueError, IndexError):
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            if isinstance(result, dict):
                return proc.returncode, result
        error = proc.stderr.strip()[-ERROR_CHARS:] or f"the ingest process ended with status {proc.returncode}"
        # it died before saying why (killed, out of memory): the status says so
        _write_status(Path(self.settings.index_dir), state="failed", finished=_now(), error=error)
        return proc.returncode or 1, {"error": error}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def run(settings: Settings, allow_empty: bool) -> tuple[int, dict[str, Any]]:
    """Ingest the corpus folder, keeping the status file up to date: (0, the report),
    (1, {"error": ...}), or (:data:`BUSY`, {}) when another ingest holds the index."""
    from ..errors import AssistantError, IngestBusy
    from .ingest import ingest

    index_dir = Path(settings.index_dir)
    started = _now()

    def progress(state: dict[str, object]) -> None:
        _write_status(index_dir, state="running", started=started, pid=os.getpid(), **state)

    def announce(notice: str) -> None:
        _write_status(index_dir, state="running", started=started, pid=os.getpid(), phase="remove", notice=notice)

    try:
        _fresh_view(settings)
        report = ingest(settings, progress=False, allow_empty=allow_empty, announce=announce, on_progress=progress)
    except IngestBusy:
        return BUSY, {}
    except AssistantError as exc:
        _write_status(index_dir, state="failed", started=started, finished=_now(), error=exc.message)
        return 1, {"error": exc.message}
    except Exception as exc:  # a bug or a full disk: reported in the status, the server goes on
        log.exception("ingest crashed")
        error = f"{type(exc).__name__}: {exc}"
        _write_status(index_dir, state="failed", started=started, finished=_now(), error=error)
        return 1, {"error": error}
    _write_status(
        index_dir, state="done", started=started, finished=_now(), changed=report.changed,
        added=report.added, updated=report.updated, removed=report.removed,
        failed=[{"doc_id": e.doc_id, "reason": e.reason} for e in report.failed],
        chunks_embedded=report.chunks_embedded, seconds=round(report.seconds, 3),
    )  # fmt: skip
    return 0, report.to_json()


def _fresh_view(settings: Settings) -> None:
    """With embedded Chroma, make sure the ingest writes through a view that has the current
    snapshot's vectors: one that another process's ingest made stale would write over them."""
    from . import snapshot, vectors

    name = snapshot.current_name(Path(settings.index_dir))
    if settings.chroma_url or name is None or vectors.sees(settings, name, vectors.connect(settings)):
        return
    vectors.holds(name, vectors.connect(settings, fresh=True))


def _child(allow_empty: bool) -> int:
    """The child process (with a Chroma server): :func:`run`, its result as one JSON line."""
    code, result = run(Settings.model_validate(json.loads(os.environ[SETTINGS_ENV])), allow_empty)
    if code != BUSY:
        print(json.dumps(result))
    return code


if __name__ == "__main__":
    sys.exit(_child(allow_empty="--allow-empty" in sys.argv[1:]))
