"""The README's Python examples run, in order, as a user would paste them."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_the_examples_the_issues_ask_for():
    text = "\n".join(python_blocks())
    for needle in ["fastnn.load(", "freeze_layers=", "init_from=", "to_onnx(", "skl2onnx.to_onnx(",
                   "sio.load(", "mmap_mode=", "Incremental(", "HalvingRandomSearchCV(",
                   "set_score_request(", 'parallel_config(backend="dask")']:
        assert needle in text, needle


@pytest.mark.slow
def test_readme_python_examples_run(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skops")
    pytest.importorskip("dask_ml")
    # Blocks run in one namespace, in order; a block guarded by
    # `if __name__ == "__main__"` (the Dask cluster) is skipped by running under
    # another name: test_dask.py starts a cluster.
    script = "__name__ = 'readme'\nimport warnings\nwarnings.simplefilter('ignore')\n" + "\n".join(
        f"exec(compile({block!r}, 'README block {i}', 'exec'))"
        for i, block in enumerate(python_blocks()))
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
