"""WordLlama's static token vectors, read straight from the files its wheel ships.

Sentence vectors are the mean of a text's token vectors, L2-normalised (what
``WordLlamaInference.embed(norm=True)`` computes; a test holds the two equal). We read the
files ourselves because the package's own loader looks for the tokenizer in a folder the wheel
lacks and then downloads it, and because importing it costs a third of a second and turns on
INFO logging for every library. The weight matrix is memory-mapped: a process touches only
the rows of the tokens it meets, so start-up does not pay for reading 16 MB.

Word-level vectors (:meth:`StaticEmbedder.words`) give the answerer a similarity between
single words ("purchased" / "bought") without a hand-made synonym table.
"""

from __future__ import annotations

import functools
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..files import map_array

CONFIG = "l2_supercat"
DIM = 256
MAX_CACHED_WORDS = 10_000  # about 10 MB at most; recomputing a word costs microseconds


def _package_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("wordllama")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the 'wordllama' package is not installed")
    return Path(spec.origin).parent


def _memmap_safetensors(path: Path, tensor: str) -> np.ndarray:
    """One tensor of a .safetensors file as a read-only memory map (the format: an 8-byte
    little-endian header length, a JSON header with dtype, shape and offsets, then raw data)."""
    dtypes = {"F16": np.float16, "F32": np.float32}
    with path.open("rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    info = header[tensor]
    begin, _ = info["data_offsets"]
    shape = tuple(info["shape"])
    return map_array(np.memmap(path, dtype=dtypes[info["dtype"]], mode="r", offset=8 + length + begin, shape=shape))


class StaticEmbedder:
    """Mean-pooled static token embeddings; thread-safe (the tokenizer is used read-only)."""

    def __init__(self, config: str = CONFIG, dim: int = DIM) -> None:
        from tokenizers import Tokenizer

        package = _package_dir()
        weights = package / "weights" / f"{config}_{dim}.safetensors"
        tokenizer_file = package / "tokenizers" / f"{config}_tokenizer_config.json"
        for path in (weights, tokenizer_file):
            if not path.exists():
                raise FileNotFoundError(f"WordLlama file {path} is missing; reinstall the 'wordllama' package")
        self.matrix = _memmap_safetensors(weights, "embedding.weight")
        self.tokenizer: Any = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.dim = dim
        self._words: dict[str, np.ndarray] = {}

    def _ids(self, texts: list[str]) -> list[list[int]]:
        encoded = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        top = self.matrix.shape[0] - 1
        return [[min(max(i, 0), top) for i in e.ids] for e in encoded]

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text (zeros for a text with no tokens), float32, shape (n, dim)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, ids in enumerate(self._ids(texts)):
            if ids:
                out[row] = np.asarray(self.matrix[ids], dtype=np.float32).mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def extremes(self, texts: list[str]) -> np.ndarray:
        """Per dimension, the largest and the smallest value over a text's unit token vectors,
        shape (n, 2 * dim): what one telling word contributes, which a mean over a long
        sentence washes out (zeros for a text with no tokens)."""
        out = np.zeros((len(texts), 2 * self.dim), dtype=np.float32)
        for row, ids in enumerate(self._ids(texts)):
            if ids:
                tokens = np.asarray(self.matrix[ids], dtype=np.float32)
                tokens /= np.maximum(np.linalg.norm(tokens, axis=1, keepdims=True), 1e-9)
                out[row, : self.dim], out[row, self.dim :] = tokens.max(axis=0), tokens.min(axis=0)
        return out

    def words(self, words: list[str]) -> np.ndarray:
        """A unit vector per word: the mean of its sub-word tokens (with the leading-space token
        form, as a word inside a sentence is tokenised). Cached: a corpus has few distinct words."""
        if not words:
            return np.zeros((0, self.dim), dtype=np.float32)
        cache = self._words  # another thread may replace it meanwhile; we answer from this one
        found: dict[str, np.ndarray] = {}
        missing = []
        for word in dict.fromkeys(words):
            vector = cache.get(word)
            if vector is None:
                missing.append(word)
            else:
                found[word] = vector
        if missing:
            if len(cache) + len(missing) > MAX_CACHED_WORDS:
                cache = self._words = {}
            for word, vector in zip(missing, self.embed([f" {w}" for w in missing]), strict=True):
                found[word] = cache[word] = vector
        return np.stack([found[w] for w in words])


def embedder(config: str = CONFIG, dim: int = DIM) -> StaticEmbedder:
    """The shared instance; opening it costs a few milliseconds. One per (config, dim) however
    it is asked for: ``embedder()`` and ``embedder("l2_supercat", 256)`` once mapped the weights
    twice, and a server's memory held both copies."""
    return _shared(config, dim)


@functools.lru_cache(maxsize=2)
def _shared(config: str, dim: int) -> StaticEmbedder:
    return StaticEmbedder(config, dim)
