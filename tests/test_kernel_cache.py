"""Where the kernel cache lives, how the shipped cache seeds it, and the first fit
of a new user: nothing compiles, whatever the install looks like."""
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from fastnn.nn import jit

ROOT = Path(__file__).resolve().parents[1]

#: A fresh process fits one model per configuration and prints the Numba cache
#: misses (compilations) of fastnn's kernels: the way a new user meets fastnn.
FIRST_FITS = textwrap.dedent("""
    import gc, sys, time, warnings
    import numpy as np, scipy.sparse as sp
    import numba.core.registry as registry
    warnings.simplefilter("ignore")
    from sklearn.datasets import load_digits
    from fastnn import DNNClassifier, DNNRegressor
    X, y = load_digits(return_X_y=True)
    X = X / 16
    configs = [(DNNClassifier, {}), (DNNClassifier, {"dtype": "float64"}),
               (DNNRegressor, {}), (DNNRegressor, {"dtype": "float64"}),
               (DNNClassifier, {"activation": "tanh", "solver": "sgd", "batch_norm": True,
                                "dropout": 0.2, "layer_norm": True}),
               (DNNClassifier, {"solver": "lbfgs"}),
               (DNNClassifier, {"activation": "rrelu", "solver": "nadam", "input_noise": 0.1})]
    for cls, params in configs[: int(sys.argv[1])]:
        start = time.perf_counter()
        cls(hidden_layer_sizes=(32,), max_iter=2, **params).fit(X, y if cls is DNNClassifier
                                                                 else y / 9.0)
        print("FIT", cls.__name__, params, round(time.perf_counter() - start, 3))
    DNNClassifier(max_iter=1).fit(sp.csr_matrix(X), y)
    misses = {d.py_func.__qualname__: sum(d.stats.cache_misses.values())
              for d in gc.get_objects() if isinstance(d, registry.CPUDispatcher)}
    print("MISSES", {k: v for k, v in misses.items() if v})
""")


def _fresh_env(home, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH")}
    env.update(HOME=str(home), **{k: str(v) for k, v in extra.items()})
    return env


def _first_fits(python, home, n_configs=7, **extra):
    Path(home).mkdir(parents=True, exist_ok=True)
    res = subprocess.run([str(python), "-c", FIRST_FITS, str(n_configs)],
                         env=_fresh_env(home, **extra), capture_output=True, text=True,
                         cwd=str(home))
    assert res.returncode == 0, res.stderr
    return res.stdout


# ------------------------------------------------------------- cache location
def test_numba_cache_dir_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nb"))
    assert jit.cache_root() == tmp_path / "nb"
    assert jit.cache_folder(jit.cache_root()).parent == tmp_path / "nb"


def test_cache_goes_to_the_user_cache_then_a_private_temp_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert jit.cache_root() == tmp_path / "xdg" / "fastnn" / "numba"
    blocker = tmp_path / "file"
    blocker.write_text("")  # nothing can be created below a file, not even by root
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "xdg"))
    assert "fastnn-numba-cache-" in str(jit.cache_root())


def test_a_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    """Numba's cache files are pickles: a world-writable (or someone else's)
    folder could plant code in them."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(jit, "cache_dirs", lambda: [shared, tmp_path / "mine"])
    assert jit.cache_root() == tmp_path / "mine"
    assert (tmp_path / "mine").stat().st_mode & 0o777 == 0o700


def test_the_stamp_covers_every_kernel_module(tmp_path):
    """Editing any kernel module, not only the one a kernel is in, changes the
    cache's freshness stamp (so a kernel never runs stale code of a callee)."""
    copy = tmp_path / "nn"
    shutil.copytree(jit.KERNELS_DIR, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "_kernel_cache", "*.so"))
    before = jit.sources_stamp(copy)
    assert before == jit.sources_stamp(jit.KERNELS_DIR)  # the same files: the same stamp
    (copy / "dense.py").write_text((copy / "dense.py").read_text() + "\n# edited\n")
    jit._STAMPS.pop(copy)
    assert jit.sources_stamp(copy) != before


def test_seeding_copies_the_shipped_files_once_per_build(tmp_path):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "dense.f-1.py311.nbi").write_bytes(b"index")
    (shipped / "dense.f-1.py311.1.nbc").write_bytes(b"data")
    (shipped / "BUILD").write_text("build-1\n")
    folder = tmp_path / "cache" / "nn_x"
    assert jit.seed_cache(folder, shipped) == 2
    assert (folder / "dense.f-1.py311.nbi").read_bytes() == b"index"
    (folder / "dense.f-1.py311.nbi").write_bytes(b"compiled since")
    assert jit.seed_cache(folder, shipped) == 0  # this build was seeded: keep the cache
    (shipped / "BUILD").write_text("build-2\n")
    assert jit.seed_cache(folder, shipped) == 2  # a new build replaces its files
    assert not list(folder.glob(".seed-*"))
    assert jit.seed_cache(folder, tmp_path / "nothing-shipped") == 0


def test_the_checkout_ships_a_cache_of_this_build():
    build = jit.SHIPPED_CACHE / "BUILD"
    assert build.is_file(), "pip install -e . builds fastnn/nn/_kernel_cache"
    assert jit.sources_stamp()[:16] in build.read_text()
    assert len(list(jit.SHIPPED_CACHE.glob("*.nbi"))) > 20


def test_a_new_user_first_fit_compiles_nothing_and_writes_nothing_beside_the_code(tmp_path):
    """Empty home folder, no NUMBA_CACHE_DIR, a fresh process: every configuration
    loads its kernels from the shipped cache, which lands in ~/.cache; nothing is
    written into the package."""
    before = sorted(p.name for p in jit.KERNELS_DIR.rglob("*") if p.is_file())
    out = _first_fits(sys.executable, tmp_path)
    assert "MISSES {}" in out, out
    assert list((tmp_path / ".cache" / "fastnn" / "numba").glob("nn_*/*.nbi"))
    assert sorted(p.name for p in jit.KERNELS_DIR.rglob("*") if p.is_file()) == before


# ------------------------------------------------------------ real installs
def _make_venv(path):
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(path)
    return path / "bin" / "python"


def _pip(python, *args, cwd=None):
    res = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                         capture_output=True, text=True, cwd=cwd)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def _source_copy(dest):
    """The checkout without build products, as a fresh clone has it."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "*.so", "_kernel_cache", "__pycache__", ".benchmarks",
        "*.c", ".pytest_cache"))
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with the checkout installed by ``pip install .``."""
    base = tmp_path_factory.mktemp("install")
    python = _make_venv(base / "venv")
    _pip(python, "install", str(_source_copy(base / "src")))
    site = subprocess.run([str(python), "-c", "import fastnn, os; print(os.path.dirname("
                           "fastnn.__file__))"], capture_output=True, text=True,
                          cwd=str(base), check=True).stdout.strip()
    return python, Path(site)


@pytest.mark.slow
def test_after_pip_install_the_first_fit_compiles_nothing(installed, tmp_path):
    python, package = installed
    assert (package / "nn" / "_kernel_cache" / "BUILD").is_file()
    out = _first_fits(python, tmp_path / "home")
    assert "MISSES {}" in out, out
    res = subprocess.run([str(python), "-m", "fastnn", "demo"], capture_output=True,
                         text=True, env=_fresh_env(tmp_path / "home2"), cwd=str(tmp_path))
    assert res.returncode == 0 and "faster" in res.stdout, res.stderr


@pytest.mark.slow
def test_a_read_only_install_and_another_numba_cache_dir_compile_nothing(installed, tmp_path):
    python, package = installed
    modes = {p: p.stat().st_mode for p in [package, *package.rglob("*")]}
    try:
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        out = _first_fits(python, tmp_path / "home", n_configs=2)
        assert "MISSES {}" in out, out
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    out = _first_fits(python, tmp_path / "home3", n_configs=2,
                      NUMBA_CACHE_DIR=tmp_path / "elsewhere")
    assert "MISSES {}" in out, out
    assert list((tmp_path / "elsewhere").glob("nn_*/*.nbi"))


@pytest.mark.slow
def test_another_cpu_or_numba_version_compiles_once_without_error(installed, tmp_path):
    """A shipped cache built for another CPU (Numba compares the CPU name and
    features) or by another Numba version (its index records the version) is
    stale: the first fit compiles, the next process loads what it compiled."""
    python, package = installed
    out = _first_fits(python, tmp_path / "cpu", n_configs=1, NUMBA_CPU_NAME="generic")
    assert "train_epoch_" in out.split("MISSES", 1)[1], out
    again = _first_fits(python, tmp_path / "cpu", n_configs=1, NUMBA_CPU_NAME="generic")
    assert "MISSES {}" in again, again
    # an index written by another Numba version: seed the cache, then age its files
    home = tmp_path / "version"
    _first_fits(python, home, n_configs=0)
    for index in (home / ".cache" / "fastnn" / "numba").glob("nn_*/*.nbi"):
        raw = index.read_bytes()
        version_length = len(pickle.dumps(pickle.loads(raw), protocol=-1))
        index.write_bytes(pickle.dumps("0.0.0-other", protocol=-1) + raw[version_length:])
    out = _first_fits(python, home, n_configs=1)
    assert "train_epoch_" in out.split("MISSES", 1)[1], out


@pytest.mark.slow
def test_the_readme_commands_work_one_after_the_other(tmp_path):
    """README's first two commands on one machine, in order: installing the
    package, using it, then an editable install with the test extra and pytest.
    Nothing the first leaves behind may shadow the second."""
    src = _source_copy(tmp_path / "src")
    python = _make_venv(tmp_path / "venv")
    home = tmp_path / "home"
    home.mkdir()
    _pip(python, "install", ".", cwd=str(src))
    demo = subprocess.run([str(python), "-m", "fastnn", "demo"], capture_output=True,
                          text=True, env=_fresh_env(home), cwd=str(home))
    assert demo.returncode == 0, demo.stderr
    _pip(python, "install", "-e", ".[test]", cwd=str(src))
    res = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_kernel_cache.py", "-m", "not slow"],
                         capture_output=True, text=True, env=_fresh_env(home), cwd=str(src))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    check = subprocess.run([str(python), "-c", "import fastnn.nn.compile, fastnn; "
                            "print(fastnn.nn.compile.__file__)"], capture_output=True,
                           text=True, env=_fresh_env(home), cwd=str(home))
    assert str(src) in check.stdout, check.stdout + check.stderr
