"""``n_threads``, the kernel cache location and ``fastnn.warmup()``."""
import os
import subprocess
import sys
import textwrap
import threading

import numba
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info

import fastnn
from fastnn import DNNClassifier, DNNRegressor, _jit

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def blas_threads():
    return {lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()
            if lib["user_api"] == "blas"}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(400, 10, n_informative=6, n_classes=3, random_state=0)
    return X.astype(np.float32), y


def test_n_threads_limits_numba_and_blas_inside_fit_and_restores_them(data):
    X, y = data
    seen = []

    def record(est, info):
        seen.append((numba.get_num_threads(), blas_threads()))

    numba_before, blas_before = numba.get_num_threads(), blas_threads()
    est = DNNClassifier(hidden_layer_sizes=(16,), max_iter=3, n_threads=1, callbacks=[record],
                        random_state=0).fit(X, y)
    assert len(seen) == 3
    assert all(n == 1 and set(b.values()) == {1} for n, b in seen)
    assert numba.get_num_threads() == numba_before and blas_threads() == blas_before
    reference = DNNClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(X, y)
    assert_allclose(est.predict_proba(X), reference.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_n_threads_is_restored_when_fit_fails(data):
    X, y = data
    numba_before, blas_before = numba.get_num_threads(), blas_threads()

    def fail(est, info):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        DNNRegressor(max_iter=2, n_threads=1, callbacks=[fail]).fit(X, y.astype(float))
    assert numba.get_num_threads() == numba_before and blas_threads() == blas_before


def test_n_threads_in_prediction_and_per_thread_setting(data):
    X, y = data
    est = DNNClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0).fit(X, y)
    expected = est.predict_proba(X)
    est.set_params(n_threads=1)
    assert_allclose(est.predict_proba(X), expected, rtol=1e-6)
    # Numba's thread count is per thread: a fit in another thread leaves ours alone
    before = numba.get_num_threads()
    worker = threading.Thread(target=lambda: DNNClassifier(max_iter=1, n_threads=1).fit(X, y))
    worker.start()
    worker.join()
    assert numba.get_num_threads() == before


@pytest.mark.parametrize("value", [0, -1, 1.5, "all"])
def test_bad_n_threads_values_are_rejected(data, value):
    X, y = data
    with pytest.raises(ValueError, match="n_threads"):
        DNNClassifier(n_threads=value).fit(X, y)


def test_cache_falls_back_to_a_writable_folder_for_a_read_only_install(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # nothing can be created below a file, not even by root
    read_only = blocker / "_kernels"
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _jit.configure_cache(read_only) == str(tmp_path / "xdg" / "fastnn" / "numba")
    assert numba.config.CACHE_DIR == str(tmp_path / "xdg" / "fastnn" / "numba")
    # home cache not writable either: the temporary directory
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "xdg"))
    chosen = _jit.configure_cache(read_only)
    assert chosen is not None and "fastnn-numba-cache-" in chosen
    # NUMBA_CACHE_DIR set, or the install writable: nothing to do
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    assert _jit.configure_cache(tmp_path / "writable" / "_kernels") is None
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "user"))
    assert _jit.configure_cache(read_only) is None


def _cache_path_in_subprocess(code, env):
    """Where the training kernel caches in a fresh process that first runs ``code``,
    with ``env`` over this environment minus any NUMBA_CACHE_DIR."""
    script = textwrap.dedent(code) + textwrap.dedent("""
        from fastnn._kernels import network
        print(network.train_epoch_._cache.cache_path)
    """)
    base = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**base, **env}, check=True)
    return res.stdout.strip()


def test_kernels_cache_where_numba_cache_dir_says(tmp_path):
    path = _cache_path_in_subprocess("", {"NUMBA_CACHE_DIR": str(tmp_path / "nb")})
    assert path.startswith(str(tmp_path / "nb"))


def test_kernels_of_a_read_only_install_cache_in_the_fallback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = f"""
        from fastnn import _jit
        _jit.configure_cache({str(blocker / "_kernels")!r})
    """
    path = _cache_path_in_subprocess(code, {"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert path.startswith(str(tmp_path / "xdg" / "fastnn" / "numba"))


@pytest.mark.slow
def test_warmup_fills_the_cache_so_later_fits_compile_nothing(tmp_path):
    """A cold cache: warmup() compiles; a later process with every kind of fit
    (both estimators, every solver family, batch norm, dropout, sparse input,
    read-only memory-mapped input) loads everything from the cache."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-c", "import fastnn; fastnn.warmup(dtypes=('float32',))"],
                   env=env, check=True, capture_output=True)
    np.save(tmp_path / "X.npy", np.random.default_rng(0).normal(size=(60, 5)))
    script = textwrap.dedent(f"""
        import gc, warnings
        import numpy as np, scipy.sparse as sp
        import numba.core.registry as registry
        from fastnn import DNNClassifier, DNNRegressor
        warnings.simplefilter("ignore")
        X = np.load({str(tmp_path / "X.npy")!r}, mmap_mode="r")
        y = np.arange(60) % 3
        for params in [dict(), dict(solver="sgd", batch_norm=True, dropout=0.2),
                       dict(solver="lbfgs"), dict(solver="rmsprop", activation="tanh",
                       early_stopping=True), dict(freeze_layers=1, solver="adamw")]:
            DNNClassifier(hidden_layer_sizes=(6, 5), max_iter=2, **params).fit(X, y)
        DNNRegressor(max_iter=2).fit(sp.csr_matrix(np.asarray(X)), y.astype(float))
        clf = DNNClassifier(max_iter=1)
        clf.partial_fit(np.asarray(X), y, classes=[0, 1, 2])
        misses = {{d.py_func.__qualname__: sum(d.stats.cache_misses.values())
                  for d in gc.get_objects() if isinstance(d, registry.CPUDispatcher)}}
        print("MISSES", {{k: v for k, v in misses.items() if v}})
    """)
    res = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                         capture_output=True, text=True)
    assert "MISSES {}" in res.stdout, res.stdout


def test_warmup_returns_seconds_per_dtype():
    seconds = fastnn.warmup(dtypes=("float32",))
    assert set(seconds) == {"float32"} and seconds["float32"] > 0


def test_small_networks_train_with_one_blas_thread_by_default(data):
    """n_threads=None: products below SMALL_PRODUCT multiply-adds use one BLAS
    thread (a second gains nothing and is slow on a busy machine); larger ones
    keep every thread; both are restored afterwards."""
    X, y = data
    seen = []
    record = lambda est, info: seen.append(set(blas_threads().values()))  # noqa: E731
    before = blas_threads()
    DNNClassifier(hidden_layer_sizes=(16,), max_iter=1, callbacks=[record]).fit(X, y)
    assert seen[-1] == {1}
    X_wide = np.tile(X, (1, 7))  # 70 features
    DNNClassifier(hidden_layer_sizes=(1024,), batch_size=128, max_iter=1,
                  callbacks=[record]).fit(X_wide, y)
    assert seen[-1] == set(before.values())
    assert blas_threads() == before


def test_overlapping_limits_restore_the_original_blas_threads():
    """BLAS limits are process-wide: calls that overlap (in several threads) share
    the smallest limit, and the original comes back when the last call ends, even
    when the first call ends first (the bug: the second call restored the first's 1)."""
    from fastnn._threads import blas_limit

    before = blas_threads()
    first, second = blas_limit(1), blas_limit(2)
    first.__enter__()
    second.__enter__()
    assert set(blas_threads().values()) == {1}
    first.__exit__(None, None, None)  # the first call ends while the second runs
    assert set(blas_threads().values()) == {min(2, max(before.values()))}
    second.__exit__(None, None, None)
    assert blas_threads() == before


def test_cache_fallback_skips_a_folder_others_can_write(tmp_path, monkeypatch):
    """A predictable temp folder another user created (or made world-writable)
    is not used: Numba's cache files are pickles."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(_jit, "fallback_cache_dirs", lambda: [shared, tmp_path / "mine"])
    assert _jit.configure_cache(blocker / "_kernels") == str(tmp_path / "mine")
    assert (tmp_path / "mine").stat().st_mode & 0o777 == 0o700
