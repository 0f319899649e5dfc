"""How the large files a server reads at random are read: document texts, BM25 postings, word
vectors.

Every worker on a host shares these files through the page cache. Arrays (postings, word
vectors) are memory-mapped, with random access advised (``MADV_RANDOM``): the kernel's default
read-ahead would make up to 128 KB around each touched row resident. Document texts are read
with ``pread`` instead: they are decoded into strings anyway, so a map saves no copy, while
every page a map touches stays in the process's resident memory; at 100,000 chunks a server
that had answered 300 questions held 23 MB of text pages it had finished with.
"""

from __future__ import annotations

import mmap
import os
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np


def advise_random(region: mmap.mmap) -> None:
    """No read-ahead on ``region`` (where the platform has ``madvise``; elsewhere a no-op)."""
    if hasattr(region, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        region.madvise(mmap.MADV_RANDOM)


def map_file(path: Path) -> mmap.mmap | bytes:
    """The whole file, mapped read-only for random access (an empty file: ``b""``)."""
    if not path.stat().st_size:
        return b""
    with path.open("rb") as f:
        region = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    advise_random(region)
    return region


def map_array(array: np.memmap) -> np.ndarray:
    """A plain array over a ``np.memmap`` (slicing a memmap costs more than what we do with
    the slice), its map advised for random access."""
    region = getattr(array, "_mmap", None)
    if isinstance(region, mmap.mmap):
        advise_random(region)
    return array.view(np.ndarray)


class RandomReader:
    """Reads byte ranges of one file from any thread, without moving a shared position."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = path.open("rb")
        self._lock = threading.Lock()  # only where the platform lacks pread

    def read(self, start: int, end: int) -> bytes:
        if hasattr(os, "pread"):
            data = os.pread(self._file.fileno(), end - start, start)
        else:
            with self._lock:
                self._file.seek(start)
                data = self._file.read(end - start)
        if len(data) != end - start:
            raise OSError(f"{self._file.name} ends before byte {end}: the index is damaged; rebuild it")
        return data

    def __del__(self) -> None:  # when the snapshot is dropped; no ResourceWarning
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()
