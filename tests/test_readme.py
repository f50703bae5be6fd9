"""The README's Python examples run, in order, as a user would paste them.

The README is the landing page; the examples the issues asked for live in the
site's pages, whose code blocks tests/test_docs.py runs (each page as a script).
"""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_and_site_have_the_examples_the_issues_ask_for():
    from test_docs import code_blocks, doc_pages

    text = "\n".join(python_blocks() + [code for page in doc_pages()
                                        for lang, code in code_blocks(page) if lang == "python"])
    for needle in ["fastnn.load(", "freeze_layers=", "init_from=", "to_onnx(", "skl2onnx.to_onnx(",
                   "sio.load(", "mmap_mode=", "Incremental(", "HalvingRandomSearchCV(",
                   "set_score_request(", 'parallel_config(backend="dask")']:
        assert needle in text, needle


@pytest.mark.slow
def test_readme_python_examples_run(tmp_path):
    assert len(python_blocks()) >= 2
    # Blocks run in one namespace, in order, as a pasted script would.
    script = "import warnings\nwarnings.simplefilter('ignore')\n" + "\n".join(
        f"exec(compile({block!r}, 'README block {i}', 'exec'))"
        for i, block in enumerate(python_blocks()))
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
