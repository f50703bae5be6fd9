"""The documentation site (``docs/``) and every code block of it and of README.md.

- Every ``python`` code block of README.md and of the site's pages runs as
  written: the blocks of one file run in order, as one script, in an empty
  folder. A block with an ``if __name__ == "__main__":`` guard (the Dask cluster)
  is a script of its own: it runs alone, as ``__main__``, in its own file (worker
  processes import that file again). A block whose first line is
  ``# requires: MODULE`` (skorch, Keras on the migration page) runs when MODULE
  is installed; otherwise only its syntax is checked.
- Every ``bash`` code block line runs too, in a folder where ``tests/`` and
  ``examples/`` are the repository's, except the commands that are run elsewhere
  (:data:`RUN_ELSEWHERE`, each with the test that runs it).
- The site builds from a fresh clone of the repository as a new user would build
  it: a new virtual environment, then the command README.md gives, which
  installs the ``docs`` extra and runs ``sphinx-build -W`` (warnings are errors).
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
#: Folders of the build's output, not sources.
GENERATED = ("_build", "auto_examples", "generated", "_templates")
#: A page the gallery writes beside the sources.
GENERATED_PAGES = ("sg_execution_times.rst",)

#: Commands in bash blocks that this test does not run, and where they are run.
RUN_ELSEWHERE = {
    "pip install": "installing: .ci/run on a fresh clone, tests/test_kernel_cache.py, "
                   "test_site_builds_from_a_fresh_clone below",
    "pytest": "the test suite itself (.ci/run)",
    "bash .ci/run": "CI itself",
    "sphinx-build": "test_site_builds_from_a_fresh_clone below",
    "python benchmarks/": "timing runs of minutes; tests/test_benchmark_suite.py runs the "
                          "benchmarks once each, untimed",
    "python examples/": "full-size examples take minutes; tests/test_examples.py runs each "
                        "with --quick",
}


def doc_pages():
    """The site's source pages."""
    return sorted(p for p in DOCS.rglob("*.rst")
                  if not any(part in GENERATED for part in p.relative_to(DOCS).parts[:-1])
                  and p.name not in GENERATED_PAGES)


def code_blocks(path):
    """``[(language, code)]`` of a Markdown or reStructuredText file, in order."""
    text = path.read_text()
    if path.suffix == ".md":
        return re.findall(r"^```(\w+)\n(.*?)^```", text, re.S | re.M)
    blocks = []
    for match in re.finditer(r"^( *)\.\. code-block:: (\w+)\n((?:\1 +:.*\n)*)\n"
                             r"((?:(?:\1 +.*)?\n)+)", text, re.M):
        indent = len(match.group(1))
        body = match.group(4)
        lines = body.splitlines()
        width = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
        assert width > indent
        blocks.append((match.group(2), "\n".join(l[width:] for l in lines).strip("\n") + "\n"))
    return blocks


def sources():
    return [README] + doc_pages()


def test_every_page_is_found_and_has_code_blocks():
    pages = {p.relative_to(DOCS).as_posix() for p in doc_pages()}
    for page in ["index.rst", "api.rst", "cli.rst", "from_sklearn.rst", "from_skorch_keras.rst",
                 "user_guide/optimizers.rst", "user_guide/scaling.rst", "user_guide/saving.rst"]:
        assert page in pages
    languages = {lang for p in sources() for lang, _ in code_blocks(p)}
    assert languages <= {"python", "bash"}, languages
    for page in doc_pages():
        for lang, code in code_blocks(page):
            if lang == "python":
                compile(code, str(page), "exec")  # each block on its own is valid Python
    # The parser finds blocks at any indentation (inside list items, too).
    assert any("requires: skorch" in code for _, code in code_blocks(DOCS / "from_skorch_keras.rst"))


def python_scripts(path):
    """The scripts of the file's Python blocks, and the modules some of them need.

    The first script holds every block in order; each block with a ``__main__``
    guard is a script of its own after it.
    """
    parts, standalone, missing = [], [], []
    for i, (lang, code) in enumerate(code_blocks(path)):
        if lang != "python":
            continue
        need = re.match(r"# requires: (\S+)", code)
        if need and importlib.util.find_spec(need.group(1)) is None:
            compile(code, f"{path.name} block {i}", "exec")
            missing.append(need.group(1))
            continue
        if re.search(r'^if __name__ == "__main__":', code, re.M):
            standalone.append(f"# --- {path.name}, block {i}\n{code}")
        else:
            parts.append(f"# --- {path.name}, block {i}\n{code}")
    return [s for s in ["\n".join(parts)] + standalone if s], missing


def _id(path):
    return path.relative_to(ROOT).as_posix()


@pytest.mark.slow
@pytest.mark.parametrize("path", sources(), ids=_id)
def test_python_blocks_run_as_written(path, tmp_path):
    scripts, missing = python_scripts(path)
    if not scripts:
        pytest.skip(f"no Python blocks in {path.name}")
    for i, script in enumerate(scripts):
        name = f"blocks_{i}.py"
        (tmp_path / name).write_text("import matplotlib\nmatplotlib.use('Agg')\n" + script)
        res = subprocess.run([sys.executable, name], cwd=tmp_path, capture_output=True,
                             text=True, timeout=900,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert res.returncode == 0, f"{name}:\n{res.stdout[-2000:]}{res.stderr[-4000:]}"
    if missing:
        print(f"syntax checked only (not installed: {', '.join(missing)})")


def shell_commands(path):
    """``(command, reason skipped or None)`` per line of the file's bash blocks."""
    out = []
    for lang, code in code_blocks(path):
        if lang != "bash":
            continue
        for line in code.splitlines():
            line = line.split("  #")[0].strip()
            if not line or line.startswith("#"):
                continue
            for part in line.split("&&"):
                part = part.strip()
                reason = next((why for prefix, why in RUN_ELSEWHERE.items()
                               if part.startswith(prefix)), None)
                out.append((part, reason))
    return out


def test_shell_commands_skipped_here_exist():
    """What is left to other tests is really there: the scripts, the extras."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    for path in sources():
        for command, reason in shell_commands(path):
            if command.startswith("python examples/") or command.startswith("python benchmarks/"):
                assert (ROOT / command.split()[1]).is_file(), command
            extras = re.search(r'"\.\[([\w,]+)\]"', command)
            if command.startswith("pip install") and extras:
                for extra in extras.group(1).split(","):
                    assert re.search(rf"^{extra} = \[", pyproject, re.M), (command, extra)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in sources() if any(
    reason is None for _, reason in shell_commands(p))], ids=_id)
def test_shell_blocks_run_as_written(path, tmp_path):
    for folder in ("tests", "examples"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    bindir = Path(sys.executable).parent  # the `fastnn` script beside this interpreter
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    for command, reason in shell_commands(path):
        if reason is not None:
            continue
        res = subprocess.run(["bash", "-ec", command], cwd=tmp_path, capture_output=True,
                             text=True, timeout=900, env=env)
        assert res.returncode == 0, f"{command}\n{res.stdout[-2000:]}{res.stderr[-2000:]}"


# ------------------------------------------------------------------ the build
def load_conf():
    spec = importlib.util.spec_from_file_location("fastnn_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_gallery_runs_only_the_examples_whose_data_is_there(tmp_path, monkeypatch):
    pytest.importorskip("sphinx_gallery")
    monkeypatch.setenv("FASTNN_DATA_DIR", str(tmp_path))
    conf = load_conf()
    assert set(conf.SKIPPED_EXAMPLES) == {"mnist_batchnorm_dropout.py", "transfer_learning.py",
                                          "california_housing_pipeline.py"}
    pattern = re.compile(conf.sphinx_gallery_conf["filename_pattern"])
    assert pattern.search("examples/grid_search.py")
    assert pattern.search("examples/plot_optimizers_and_schedules.py")
    assert not pattern.search("examples/mnist_batchnorm_dropout.py")
    (tmp_path / "mnist.npz").write_bytes(b"")
    conf = load_conf()
    assert set(conf.SKIPPED_EXAMPLES) == {"california_housing_pipeline.py"}
    # The page of an example that did not run says so, after its title.
    source = ["Title\n=====\n\nText.\n"]
    conf.note_skipped_examples(None, "auto_examples/california_housing_pipeline", source)
    assert source[0].startswith("Title\n=====\n\n.. note::")
    assert "california_housing.npz" in source[0] and "FASTNN_DATA_DIR" in source[0]
    source = ["Title\n=====\n"]
    conf.note_skipped_examples(None, "auto_examples/mnist_batchnorm_dropout", source)
    assert source == ["Title\n=====\n"]


def readme_docs_command():
    """The one command README.md gives for building the site."""
    commands = [line.split("  #")[0].strip() for lang, code in code_blocks(README)
                if lang == "bash" for line in code.splitlines() if "sphinx-build" in line]
    assert len(commands) == 1, commands
    return commands[0]


def test_readme_gives_one_docs_command_with_warnings_as_errors():
    command = readme_docs_command()
    assert 'pip install -e ".[docs]"' in command and "sphinx-build -W" in command


@pytest.mark.slow
def test_site_builds_from_a_fresh_clone(tmp_path):
    """git clone, a new venv, README's command; then the pages a user would look for."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    clone = tmp_path / "fastnn"
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(ROOT), str(clone)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("FASTNN_DATA_DIR", "PYTHONPATH", "VIRTUAL_ENV", "NUMBA_CACHE_DIR")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv),
               PIP_DISABLE_PIP_VERSION_CHECK="1", HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    start = time.perf_counter()
    res = subprocess.run(["bash", "-ec", readme_docs_command()], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    print(f"fresh clone: install and build in {seconds:.0f} s")
    html = clone / "docs" / "_build" / "html"
    for page in ["index", "api", "cli", "from_sklearn", "from_skorch_keras",
                 "user_guide/optimizers", "user_guide/performance", "auto_examples/index"]:
        assert (html / f"{page}.html").is_file(), page
    import fastnn

    for name in [n for n in fastnn.__all__ if n not in ("SKOPS_TRUSTED_TYPES", "__version__")]:
        assert (html / "generated" / f"fastnn.{name}.html").is_file(), name
    for name in ["DivergenceError", "ModelFileError"]:
        assert (html / "generated" / f"fastnn.exceptions.{name}.html").is_file(), name
    assert 'id="fastnn.SKOPS_TRUSTED_TYPES"' in (html / "api.html").read_text()
    cli = (html / "cli.html").read_text()
    assert "--hidden" in cli and "--learning-rate-init" in cli  # generated from the parser
    classifier = (html / "generated" / "fastnn.DNNClassifier.html").read_text()
    for documented in ["hidden_layer_sizes", "class_weight", "partial_fit", "loss_curve_"]:
        assert documented in classifier, documented
    # The clone has no ../shared/data beside it: the data examples are shown, not run.
    for example in ["mnist_batchnorm_dropout", "transfer_learning", "california_housing_pipeline"]:
        page = (html / "auto_examples" / f"{example}.html").read_text()
        assert "This build did not run this example" in page, example
        assert "Measured at full size" in page, example
    for example in ["plot_optimizers_and_schedules", "plot_deep_network_batch_norm_init"]:
        page = (html / "auto_examples" / f"{example}.html").read_text()
        assert "This build did not run" not in page
        assert "sphx_glr_" + example + "_001.png" in page, example  # a figure
        assert "held-out accuracy" in page or "test accuracy" in page  # printed output
    assert "best params:" in (html / "auto_examples" / "grid_search.html").read_text()
