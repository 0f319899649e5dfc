"""The page's deferred import of pandas: Gradio imports it, nothing on the page uses it, and a
server held ~25-35 MB more for it (measured after 300 questions on a 113,780-chunk index:
501 MB against 463 MB). Each check runs in a fresh interpreter, since this one may hold pandas."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_building_the_page_leaves_pandas_unimported() -> None:
    out = _run(
        """
        import sys, tempfile
        from pathlib import Path
        from assistant.settings import Settings
        from assistant.pipeline import Assistant
        from assistant.indexing.background import BackgroundIngest
        from assistant.web.sites import Sites
        from assistant.web.app import _page_app
        from assistant.web._lazy_modules import is_loaded
        settings = Settings(index_dir=Path(tempfile.mkdtemp()) / "index")
        app = _page_app(Assistant(settings), settings, Sites.load(None), BackgroundIngest(settings))
        assert "gradio" in sys.modules and app.routes
        print("pandas loaded:", is_loaded("pandas"))
        """
    )
    assert "pandas loaded: False" in out


def test_code_that_uses_a_deferred_module_gets_the_real_one() -> None:
    out = _run(
        """
        import importlib.util, sys
        from assistant.web._lazy_modules import defer, is_loaded
        assert defer("pandas") and not defer("pandas")  # a second call changes nothing
        import pandas as pd
        assert not is_loaded("pandas")
        assert importlib.util.find_spec("pandas").name == "pandas"  # availability checks still work
        from pandas.api.types import is_numeric_dtype  # a submodule import loads it
        assert is_loaded("pandas") and sys.modules["pandas"] is not pd
        frame = pd.DataFrame({"a": [1, 2]})  # the stand-in forwards to the real module
        assert is_numeric_dtype(frame["a"]) and isinstance(frame, sys.modules["pandas"].DataFrame)
        print("ok", type(frame).__module__)
        """
    )
    assert out.split() == ["ok", "pandas"]


def test_a_module_already_imported_or_missing_is_left_alone() -> None:
    out = _run(
        """
        import json, sys
        from assistant.web._lazy_modules import defer
        print(defer("json"), defer("no_such_module_here"), sys.modules["json"] is json)
        """
    )
    assert out.split() == ["False", "False", "True"]
