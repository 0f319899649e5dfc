"""``assistant serve --watch``: ingest the corpus folder again whenever a document in it is
added, changed or removed (``watchfiles``: inotify on Linux, polling elsewhere).

One watcher per server, in the process that starts the workers, so a change starts one
ingest however many workers there are; bursts of changes (a copied folder, an editor's
save-rename dance) are grouped into one run by watchfiles' debounce and by
:class:`BackgroundIngest`, which starts at most one more run while one is going.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .background import BackgroundIngest
from .corpus import SIDECAR_SUFFIX, SUPPORTED

log = logging.getLogger("assistant.ingest")
DEBOUNCE_MS = 500  # changes closer together than this are one batch


def counts(path: str) -> bool:
    """Whether a change to ``path`` can change the index: a document, its metadata sidecar or a
    folder, never a hidden file (uploads are written under a hidden name, then renamed into place)."""
    name = Path(path).name
    if name.startswith("."):
        return False
    suffix = Path(name).suffix.lower()
    # no suffix: most likely a folder moved in, out or renamed, with documents inside
    return name.endswith(SIDECAR_SUFFIX) or suffix in SUPPORTED or not suffix


def start(corpus_dir: Path, runner: BackgroundIngest) -> threading.Event:
    """Watch ``corpus_dir`` in a daemon thread (an ingest first, to catch up with changes made
    while no server watched); set the returned event to stop."""
    stop = threading.Event()
    corpus_dir.mkdir(parents=True, exist_ok=True)  # watching a folder that is not there yet fails
    runner.request("the server started watching the corpus folder")
    thread = threading.Thread(target=_watch, args=(corpus_dir, runner, stop), name="corpus-watch", daemon=True)
    thread.start()
    return stop


def _watch(corpus_dir: Path, runner: BackgroundIngest, stop: threading.Event) -> None:
    from watchfiles import watch

    log.info("watching", extra={"event": "watch_started", "folder": str(corpus_dir)})
    try:
        for changes in watch(
            corpus_dir,
            watch_filter=lambda _change, path: counts(path),
            debounce=DEBOUNCE_MS,
            stop_event=stop,
            raise_interrupt=False,
        ):
            names = sorted({Path(path).name for _change, path in changes})
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            runner.request(f"changed in the corpus folder: {shown}")
    except Exception as exc:  # the folder vanished, inotify ran out of watches: say so, keep serving
        log.error("watching stopped", extra={"event": "watch_failed", "folder": str(corpus_dir), "error": str(exc)})
