"""A one-shot question does not pay for Chroma's development-time checks (0.25-0.35 s of its
import), and Chroma imported that way still stores and finds vectors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import ROOT


def test_chroma_is_imported_without_its_signature_checks_and_still_works(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import assistant.indexing  # what every command imports before Chroma
        import chromadb, overrides
        from assistant.indexing._chroma_start import _marked
        assert overrides.override is _marked
        client = chromadb.PersistentClient(path={str(tmp_path)!r},
                                           settings=chromadb.config.Settings(anonymized_telemetry=False))
        c = client.get_or_create_collection("startup-test")
        c.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        print(c.query(query_embeddings=[[0.9, 0.1]], n_results=1)["ids"][0][0])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "a"
