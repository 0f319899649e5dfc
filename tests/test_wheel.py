"""The wheel as a new user gets it: built, installed into a fresh virtualenv with its declared
dependencies, and run from a folder that is not the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, SEEDS
from .llm_server import MODEL_ALIAS
from .servers import free_port, running

pytestmark = pytest.mark.server


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(the venv's `assistant` command, an empty working folder, the environment to run it in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_", "PYTHON"))}
    dist = tmp / "dist"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], tmp, env)
    assert built.returncode == 0, built.stderr
    wheel = next(dist.glob("istanbul_assistant-*.whl"))
    venv = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp, env).returncode == 0
    pip = _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], tmp, env, timeout=1200)
    assert pip.returncode == 0, pip.stderr[-3000:]
    work = tmp / "elsewhere"
    work.mkdir()
    shutil.copytree(SEEDS, tmp / "corpus")
    env.update(ASSISTANT_INDEX_DIR=str(tmp / "index"), ASSISTANT_CORPUS_DIR=str(tmp / "corpus"))
    return venv / "bin" / "assistant", work, env


def test_installed_wheel_ingests_and_answers_from_another_folder(installed: tuple[Path, Path, dict[str, str]]) -> None:
    assistant, work, env = installed
    ingest = _run([str(assistant), "ingest", "--quiet"], work, env)
    assert ingest.returncode == 0, ingest.stderr
    assert "2 added" in ingest.stdout
    ask = _run([str(assistant), "ask", "--json", "In which city did Zelensky meet Erdogan?"], work, env)
    assert ask.returncode == 0, ask.stderr
    data = json.loads(ask.stdout)
    assert "Ankara" in data["answer"] and data["citations"]
    assert not (work / "index").exists()  # nothing written relative to the working folder


def test_installed_wheel_serves_the_page_and_the_api(
    installed: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    assistant, work, env = installed
    assert _run([str(assistant), "ingest", "--quiet"], work, env).returncode == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [str(assistant), "serve", "--port", str(port)]
    with running(cmd, tmp_path / "serve.log", f"{base}/", cwd=work, env=env):  # the page is built last
        health = httpx.get(f"{base}/api/health", timeout=10).json()
        assert health["status"] == "ok" and health["documents"] == 2
        reply = httpx.post(
            f"{base}/api/ask", json={"question": "Which officials make up the Kremlin's negotiating team?"}, timeout=60
        )
        assert reply.status_code == 200
        assert "Medinsky" in reply.json()["answer"]
        page = httpx.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and "Ask your documents" in page.text  # away from a checkout: neutral


def test_installed_wheel_loads_its_prompts_and_asks_the_model(
    installed: tuple[Path, Path, dict[str, str]], llm_url: str
) -> None:
    assistant, work, env = installed
    assert _run([str(assistant), "ingest", "--quiet"], work, env).returncode == 0
    llm_env = {**env, "OPENAI_BASE_URL": llm_url, "ASSISTANT_LLM_MODEL": MODEL_ALIAS}
    ask = _run([str(assistant), "ask", "--json", "In which city did Zelensky meet Erdogan?"], work, llm_env)
    assert ask.returncode == 0, ask.stderr
    data = json.loads(ask.stdout)
    assert data["backend"] == "openai" and data["model"] == MODEL_ALIAS
    assert data["verification"]["draft"]  # the model was asked with the packaged prompt and answered
