"""``n_threads`` and ``fastnn.warmup()``."""
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
from fastnn import DNNClassifier, DNNRegressor

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


def test_warmup_prepares_each_dtype_and_says_how_long_it_took(capsys):
    seconds = fastnn.warmup(dtypes=("float32",), verbose=True)
    assert set(seconds) == {"float32"} and 0 < seconds["float32"] < 600
    assert "float32 kernels ready" in capsys.readouterr().out
    with pytest.raises(ValueError, match="dtype"):
        fastnn.warmup(dtypes=("float16",))


def test_small_networks_train_with_one_blas_thread_by_default(data, monkeypatch):
    """n_threads=None: products below SMALL_PRODUCT multiply-adds use one BLAS
    thread (a second gains nothing and is slow on a busy machine); larger ones
    keep every thread on an idle machine; both are restored afterwards."""
    from fastnn.training import threads

    monkeypatch.setattr(threads, "other_runnable_tasks", lambda: 0)  # an idle machine
    X, y = data
    seen = []
    record = lambda est, info: seen.append(set(blas_threads().values()))  # noqa: E731
    before = blas_threads()
    DNNClassifier(hidden_layer_sizes=(16,), max_iter=1, callbacks=[record]).fit(X, y)
    assert seen[-1] == {1}
    X_wide = np.tile(X, (1, 7))  # 70 features
    # 64 x 70 x 1024 = 4.6M multiply-adds, between the old 4M threshold and
    # SMALL_PRODUCT, as MNIST's first layer at batch 32 (6.4M): one thread
    DNNClassifier(hidden_layer_sizes=(1024,), batch_size=64, max_iter=1,
                  callbacks=[record]).fit(X_wide, y)
    assert seen[-1] == {1}
    DNNClassifier(hidden_layer_sizes=(1024,), batch_size=128, max_iter=1,
                  callbacks=[record]).fit(X_wide, y)
    assert seen[-1] == set(before.values())
    assert blas_threads() == before


def _wide_fit_threads(X, y):
    """BLAS threads seen inside a fit whose products are above SMALL_PRODUCT."""
    seen = []
    DNNClassifier(hidden_layer_sizes=(1024,), batch_size=128, max_iter=1,
                  callbacks=[lambda est, info: seen.append(max(blas_threads().values()))]
                  ).fit(np.tile(X, (1, 7)), y)
    return seen[-1]


@pytest.mark.parametrize("others, expected", [
    (0, lambda cpus, cur: cur),                          # idle: every thread
    (1, lambda cpus, cur: max(1, min(cur, cpus - 1))),   # one core held elsewhere
    (64, lambda cpus, cur: 1),                           # every core held
    (None, lambda cpus, cur: cur),                       # the load cannot be told
])
def test_large_networks_take_the_cpus_other_processes_leave_free(data, monkeypatch, others,
                                                                 expected):
    """n_threads=None on a busy machine: BLAS threads that wait for a core another
    process holds stall every product, so a fit uses only the free CPUs (at least
    one), and never more threads than BLAS had before."""
    from fastnn.training import threads

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("needs os.sched_getaffinity")
    monkeypatch.setattr(threads, "other_runnable_tasks", lambda: others)
    X, y = data
    before = blas_threads()
    cpus = len(os.sched_getaffinity(0))
    assert _wide_fit_threads(X, y) == expected(cpus, max(before.values()))
    assert blas_threads() == before
    with threads.blas_limit(1):   # a lower limit set by the caller is kept
        monkeypatch.setattr(threads, "other_runnable_tasks", lambda: 0)
        assert _wide_fit_threads(X, y) == 1


def test_explicit_n_threads_ignores_the_load(data, monkeypatch):
    """An explicit thread count is the user's choice, busy machine or not."""
    from fastnn.training import threads

    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs 2 CPUs")
    monkeypatch.setattr(threads, "other_runnable_tasks", lambda: 64)
    X, y = data
    seen = []
    DNNClassifier(hidden_layer_sizes=(1024,), batch_size=128, max_iter=1, n_threads=2,
                  callbacks=[lambda est, info: seen.append(max(blas_threads().values()))]
                  ).fit(np.tile(X, (1, 7)), y)
    assert seen[-1] == 2


@pytest.mark.skipif(not os.path.exists("/proc/loadavg"), reason="Linux /proc only")
def test_other_runnable_tasks_counts_a_busy_process_and_not_our_own_threads():
    from fastnn.training.threads import _own_running_threads, other_runnable_tasks

    if len(os.sched_getaffinity(0)) != os.cpu_count():
        assert other_runnable_tasks() is None
        return
    assert _own_running_threads() >= 1
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        import time

        time.sleep(0.3)
        assert other_runnable_tasks(max_age=0) >= 1
    finally:
        busy.kill()
        busy.wait()


def test_a_load_of_a_few_milliseconds_is_not_counted_and_a_reading_is_reused(monkeypatch):
    """Another process's task counts only when it is there in all but
    LOAD_OUTLIERS of the readings (a burst of a few milliseconds at the start of a
    fit would otherwise put the whole fit on one thread); a reading younger than
    max_age is reused without reading again."""
    from fastnn.training import threads

    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) != os.cpu_count():
        pytest.skip("the load is read only where this process may use every CPU")
    n = threads.LOAD_SAMPLES
    k = threads.LOAD_OUTLIERS
    readings = []
    monkeypatch.setattr(threads, "_own_running_threads", lambda: 1)
    monkeypatch.setattr(threads, "_runnable_tasks", lambda: readings.pop(0))
    monkeypatch.setattr(threads, "_last_load", (-float("inf"), None))

    def count(others, max_age=0.0):
        readings[:] = [1 + o for o in others]
        return threads.other_runnable_tasks(spacing=0, max_age=max_age)

    assert count([0] * n) == 0
    assert count([1] * k + [0] * (n - k)) == 0          # a burst: not a load
    assert count([0] * k + [1] * (n - k)) == 1          # there nearly all the time
    assert count([0] * k + [2] * (n - k)) == 2
    assert count([1] * n, max_age=0) == 1
    assert count([0] * n, max_age=60) == 1               # a second of 60 s: reused
    assert len(readings) == n                            # (nothing read)
    assert count([0] * n) == 0                           # max_age=0: read again


def test_overlapping_limits_restore_the_original_blas_threads():
    """BLAS limits are process-wide: calls that overlap (in several threads) share
    the smallest limit, and the original comes back when the last call ends, even
    when the first call ends first (the bug: the second call restored the first's 1)."""
    from fastnn.training.threads import blas_limit

    before = blas_threads()
    first, second = blas_limit(1), blas_limit(2)
    first.__enter__()
    second.__enter__()
    assert set(blas_threads().values()) == {1}
    first.__exit__(None, None, None)  # the first call ends while the second runs
    assert set(blas_threads().values()) == {min(2, max(before.values()))}
    second.__exit__(None, None, None)
    assert blas_threads() == before
