"""``assistant bench --scale N``: a realistic corpus of about N chunks, ingested and served.

The corpus is real text that every installation has and nobody wrote for this project: the
prose files (READMEs, licences, package metadata) and Python sources of the standard library
and the installed packages, each cut to at most :data:`DOC_BYTES` like a typical intranet page,
taken in a fixed order until about N chunks. Unlike copies of the seeds, its vocabulary and
its nearest neighbours are those of a large, varied corpus, so BM25 and HNSW do real work.

Every step runs in its own process, as a user runs it, and reports wall time and peak memory
(the child's maximum resident set size): the first ingest, an unchanged re-ingest, one changed
document, and a cold start to the first answer; then retrieval and answer latency in one
process, and ``assistant serve`` itself: its memory after answering through its HTTP API.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from .settings import Settings

DOC_BYTES = 8192
CHARS_PER_CHUNK = 400  # fresh characters per 500-character chunk with 100 of overlap
PROSE = (".md", ".rst", ".txt")


def build_corpus(target: Path, chunks: int) -> dict[str, Any]:
    """Write about ``chunks`` chunks' worth of documents to ``target`` (reused if already built)."""
    marker = target / ".built.json"
    if marker.exists():
        return json.loads(marker.read_text(encoding="utf-8"))
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    budget = chunks * CHARS_PER_CHUNK
    written = docs = 0
    for path in _sources():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        text = text[:DOC_BYTES].rsplit("\n", 1)[0].replace("\x00", "")
        if len(text) < 2000:
            continue
        name = "-".join(path.parts[-3:]).replace(os.sep, "-") + ".txt"
        (target / f"{docs:05d}-{name}").write_text(text, encoding="utf-8")
        written += len(text)
        docs += 1
        if written >= budget:
            break
    info = {"documents": docs, "characters": written, "source": "Python standard library and installed packages"}
    marker.write_text(json.dumps(info), encoding="utf-8")
    return info


def _sources() -> list[Path]:
    roots = sorted({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]})
    prose, code = [], []
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix in PROSE or path.name in ("METADATA", "LICENSE"):
                prose.append(path)
            elif path.suffix == ".py":
                code.append(path)
    return prose + code


def _timed(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run one command as its own process: wall seconds, its output, its own peak memory (MB)
    and the peak of it and its children together (a child writes an ingest's segments), read
    from ``/proc`` every 50 ms."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        tree = _TreePeak(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
        seconds = time.perf_counter() - t0
        tree.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr[-2000:]}")
    peak = round(usage.ru_maxrss / 1024, 1)
    return {"seconds": round(seconds, 2), "peak_mb": peak, "with_children_peak_mb": max(peak, tree.peak_mb),
            "stdout": stdout}  # fmt: skip


class _TreePeak:
    """The largest sum of resident memory of a process and its descendants, sampled."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        import threading

        self.pid, self.every, self.peak_mb = pid, every, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(self.every):
            pids, total = [self.pid], 0.0
            while pids:
                pid = pids.pop()
                with contextlib.suppress(OSError):  # it ended meanwhile
                    total += _status_mb("VmRSS", pid) or 0.0
                pids += _children(pid)
            self.peak_mb = max(self.peak_mb, round(total, 1))


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for task in tasks:
        with contextlib.suppress(OSError):
            out += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return out


def _size_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def run(settings: Settings, chunks: int, workdir: Path, runs: int = 3) -> dict[str, Any]:
    corpus = workdir / f"corpus-{chunks}"
    info = build_corpus(corpus, chunks)
    index = workdir / f"index-{chunks}"
    shutil.rmtree(index, ignore_errors=True)
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_CORPUS_DIR": str(corpus)}
    env.pop("ASSISTANT_CHROMA_URL", None)
    cli = [sys.executable, "-m", "assistant"]
    result: dict[str, Any] = {"corpus": {**info, "folder": str(corpus)}}

    firsts = []
    for i in range(runs):  # each into a new index
        if i:
            shutil.rmtree(index)
        step = _timed([*cli, "ingest", "--json"], env)
        firsts.append((json.loads(step.pop("stdout")), step))
    report, first = sorted(firsts, key=lambda run: run[0]["seconds"])[len(firsts) // 2]  # the median run
    total = report["chunks_total"]
    rate = total / report["seconds"]  # reading to the snapshot's swap, as the parts' own rates are timed
    whole = total / first["seconds"]  # the command: Python's start, imports, and the calibration after
    parts = result["reference"] = reference(corpus, workdir, total, runs)
    result["first_ingest"] = {
        **first, "runs": runs, "ingest_seconds": report["seconds"],
        "ingest_seconds_all": [r["seconds"] for r, _ in firsts],
        "calibration_seconds": report.get("calibration_seconds"),
        "with_children_peak_mb_all": [t["with_children_peak_mb"] for _, t in firsts],
        "chunks": total, "chunks_per_second": round(rate, 1),
        "over_wordllama_one_thread": round(rate / parts["wordllama_chunks_per_second_one_thread"], 2),
        "over_chroma_add": round(rate / parts["chroma_adds_per_second"], 2),
        "command_chunks_per_second": round(whole, 1),
        "command_over_chroma_add": round(whole / parts["chroma_adds_per_second"], 2),
    }  # fmt: skip
    size = _size_mb(index)
    again = _timed([*cli, "ingest", "--json"], env)
    again.pop("stdout")
    result["unchanged_reingest"] = {**again, "index_mb_before": size, "index_mb_after": _size_mb(index)}

    changed = []
    documents = sorted(corpus.glob("*.txt"))
    victim = documents[len(documents) // 2]
    original = victim.read_text(encoding="utf-8")
    for i in range(runs):
        victim.write_text(original + f"\n\nRevision {i}: one more paragraph for the benchmark.\n", encoding="utf-8")
        step = _timed([*cli, "ingest", "--json"], env)
        changed.append(json.loads(step.pop("stdout"))["seconds"])
    victim.write_text(original, encoding="utf-8")
    _timed([*cli, "ingest", "--json"], env)
    result["one_changed_document"] = {"median_ingest_seconds": round(statistics.median(changed), 2), "runs": runs,
                                      "index_mb_after": _size_mb(index)}  # fmt: skip

    cold, peaks = [], []
    for _ in range(runs):
        step = _timed([*cli, "ask", "--backend", "extractive", "What does the logging module do?"], env)
        cold.append(step["seconds"])
        peaks.append(step["peak_mb"])
    result["cold_start_to_first_answer"] = {
        "median_seconds": round(statistics.median(cold), 2),
        "over_import_chromadb": round(statistics.median(cold) - parts["import_chromadb_seconds"], 2),
        "peak_mb": max(peaks),
        "runs": runs,
    }
    result["serving"] = json.loads(_timed([*cli, "bench", "--serving-only", "--runs", str(runs)], env)["stdout"])
    result["server"] = server(env, runs)
    return result


EMBED_RATE = """
import json, sys, time
texts = json.loads(sys.stdin.read())
from assistant.text.embedding import embedder
e = embedder()
e.embed(texts[:8])
t0 = time.perf_counter()
for i in range(0, len(texts), 1024):
    e.embed(texts[i : i + 1024])
print(len(texts) / (time.perf_counter() - t0))
"""
ADD_RATE = """
import sys, time
import numpy as np
import chromadb
n, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
client = chromadb.PersistentClient(path=path, settings=chromadb.config.Settings(anonymized_telemetry=False))
c = client.get_or_create_collection("reference-rates", configuration={"hnsw": {"space": "cosine", "ef_search": 400}})
t0 = time.perf_counter()
for i in range(0, n, 1024):
    v = rng.standard_normal((min(1024, n - i), 256)).astype(np.float32)
    c.add(ids=[f"r{j}" for j in range(i, i + len(v))], embeddings=v / np.linalg.norm(v, axis=1, keepdims=True))
print(n / (time.perf_counter() - t0))
"""
EMBED_CHUNKS = 20_000  # 500-character pieces of the corpus: a few seconds


def reference(corpus: Path, workdir: Path, chunks: int, runs: int = 3) -> dict[str, Any]:
    """The parts' own rates, measured in this run, so that the steps' figures compare across
    machines as ratios: WordLlama embedding 500-character pieces of the corpus on one thread;
    Chroma adding as many unit vectors as the index holds chunks to a new embedded collection
    with the ingest's settings (its rate falls as the graph grows); Python's start and ``import
    chromadb`` (each the median of ``runs`` processes)."""
    texts: list[str] = []
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        texts += [text[i : i + 500] for i in range(0, len(text) - 499, 500)]
        if len(texts) >= EMBED_CHUNKS:
            break
    one_thread = {**os.environ, "RAYON_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    embed = subprocess.run(
        [sys.executable, "-c", EMBED_RATE], input=json.dumps(texts[:EMBED_CHUNKS]),
        capture_output=True, text=True, env=one_thread, check=True,
    )  # fmt: skip
    target = workdir / "reference-chroma"
    shutil.rmtree(target, ignore_errors=True)
    add = subprocess.run(
        [sys.executable, "-c", ADD_RATE, str(chunks), str(target)], capture_output=True, text=True, check=True
    )
    shutil.rmtree(target, ignore_errors=True)

    def started(code: str) -> float:
        took = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            took.append(time.perf_counter() - t0)
        return round(statistics.median(took), 3)

    return {
        "wordllama_chunks_per_second_one_thread": round(float(embed.stdout), 1),
        "chroma_adds_per_second": round(float(add.stdout), 1),
        "chroma_vectors_added": chunks,
        "python_start_seconds": started("pass"),
        "import_chromadb_seconds": started("import chromadb"),
    }


def _questions() -> list[str]:
    from .bench import SQUAD

    lines = (SQUAD / "validation.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[::16] if line][:100]


def server(env: dict[str, str], runs: int = 3) -> dict[str, Any]:
    """``assistant serve`` as users run it (the page, the API, embedded or remote Chroma as
    configured): its memory once started, and after answering the questions ``runs`` times
    through ``POST /api/ask``, with the median request time."""
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**env, "ASSISTANT_RATE_LIMIT": "1000000/minute"}  # the bench is one client asking fast
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = tempfile.TemporaryFile()  # noqa: SIM115  (not a pipe: one nobody reads fills with the JSON log)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        with httpx.Client(timeout=60) as client:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"assistant serve exited: {log.read().decode(errors='replace')[-2000:]}")
                try:
                    if client.get(f"{base}/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            out: dict[str, Any] = {"ready_seconds": round(time.perf_counter() - t0, 2)}
            questions = _questions()
            client.post(f"{base}/api/ask", json={"question": questions[0]}).raise_for_status()
            out["first_answer_seconds"] = round(time.perf_counter() - t0, 2)  # from start; the page may still load
            out["started_rss_mb"] = _status_mb("VmRSS", proc.pid)
            took = []
            for _ in range(runs):
                for q in questions:
                    t1 = time.perf_counter()
                    client.post(f"{base}/api/ask", json={"question": q}).raise_for_status()
                    took.append((time.perf_counter() - t1) * 1000)
            out["request_ms"] = round(statistics.median(took), 2)
            for field in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[f"{field.lower()}_mb"] = _status_mb(field, proc.pid)
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def serving(settings: Settings, runs: int = 3) -> dict[str, Any]:
    """On the configured index: medians of dense-only, BM25-only and hybrid retrieval and of a
    whole offline answer, and this process's memory once it has answered."""
    from .pipeline import Assistant

    questions = _questions()
    assistant = Assistant(settings.model_copy(update={"backend": "extractive"}))
    retriever = assistant.retriever
    assistant.ask(questions[0])
    k = settings.top_k
    depth = max(k * 4, 20)
    timings: dict[str, list[float]] = {"dense_ms": [], "bm25_ms": [], "hybrid_ms": [], "answer_ms": []}
    for _ in range(runs):
        for q in questions:
            for name, call in (
                ("dense_ms", lambda q=q: retriever.vectors.query(q, depth)),
                ("bm25_ms", lambda q=q: retriever.snapshot.lexical.search(q, depth)),
                ("hybrid_ms", lambda q=q: retriever.search(q, k)),
                ("answer_ms", lambda q=q: assistant.ask(q)),
            ):
                t0 = time.perf_counter()
                call()
                timings[name].append((time.perf_counter() - t0) * 1000)
    out: dict[str, Any] = {"chunks": len(retriever.snapshot.chunks), "questions": len(questions), "runs": runs}
    out |= {name: round(statistics.median(values), 2) for name, values in timings.items()}
    out["hybrid_over_dense"] = round(out["hybrid_ms"] / out["dense_ms"], 2)
    out["rss_mb"] = _status_mb("VmRSS")
    out["rss_anon_mb"] = _status_mb("RssAnon")  # this process's own memory
    out["rss_file_mb"] = _status_mb("RssFile")  # mapped files (libraries, postings, word vectors): page cache
    out["peak_rss_mb"] = _status_mb("VmHWM")
    return out


def _status_mb(field: str, pid: int | str = "self") -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return None
