"""Scaling out: concurrent threads, out-of-core ``partial_fit``, successive halving
over epochs and metadata routing of ``sample_weight``.

The Dask tests (a search on a ``distributed.LocalCluster``, ``dask_ml``'s
``Incremental``) live in ``test_dask.py``.
"""
import importlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sklearn
from joblib import Parallel, delayed
from numpy.testing import assert_array_equal
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    HalvingRandomSearchCV,
    KFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastnn import DNNClassifier, DNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(1500, 12, n_informative=8, n_classes=3, random_state=0)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(1500, 12, n_informative=8, noise=5.0, random_state=0)
    return X.astype(np.float32), (y / y.std()).astype(np.float32)


# ------------------------------------------------------------------ threads
# Each row: an estimator class and settings that exercise a random stream
# (dropout), batch norm and a second optimizer, so that any state shared
# between estimators (a global generator, a module-level workspace) shows up.
THREAD_CASES = [
    ("classifier", DNNClassifier, dict(dropout=0.2, solver="adam")),
    ("regressor", DNNRegressor, dict(batch_norm=True, solver="sgd", momentum=0.9)),
]


@pytest.mark.parametrize("kind, cls, settings", THREAD_CASES, ids=[c[0] for c in THREAD_CASES])
def test_concurrent_fits_and_predictions_in_threads_equal_sequential_ones(
    kind, cls, settings, classification, regression
):
    X, y = classification if kind == "classifier" else regression
    X, y = X[:600], y[:600]

    def make(seed):
        return cls(hidden_layer_sizes=(64, 32), max_iter=8, batch_size=32,
                   learning_rate_init=0.01, random_state=seed, **settings)

    seeds = range(4)
    sequential = [make(s).fit(X, y) for s in seeds]
    threaded = Parallel(n_jobs=2, backend="threading")(
        delayed(make(s).fit)(X, y) for s in seeds
    )
    for seq, thr in zip(sequential, threaded):
        assert_array_equal(thr._net.params, seq._net.params)
        assert_array_equal(thr._net.buffers, seq._net.buffers)
        assert thr.loss_curve_ == seq.loss_curve_
    # different seeds really are different models (the comparison above is not vacuous)
    assert not np.array_equal(sequential[0]._net.params, sequential[1]._net.params)

    # predictions from two threads: the full path (600 rows) and the small-batch one (5 rows)
    method = "predict_proba" if kind == "classifier" else "predict"
    jobs = [(m, rows) for m in threaded for rows in (X, X[:5])]
    outputs = Parallel(n_jobs=2, backend="threading")(
        delayed(getattr(m, method))(rows) for m, rows in jobs
    )
    for (model, rows), out in zip(jobs, outputs):
        assert_array_equal(out, getattr(model, method)(rows))


def _threading_layer_loads(name):
    """Whether Numba's ``name`` threading layer can be loaded in this environment."""
    if name == "workqueue":
        return True
    try:
        importlib.import_module(f"numba.np.ufunc.{name}pool")
    except (ImportError, OSError):  # e.g. libtbb / libgomp not installed
        return False
    return True


_CONCURRENT_FITS_SCRIPT = """
    import warnings
    import numba, numpy as np
    from joblib import Parallel, delayed
    from sklearn.datasets import make_classification
    from fastnn import DNNClassifier
    warnings.simplefilter("ignore")
    X, y = make_classification(600, 20, n_informative=10, n_classes=3, random_state=0)
    extra = {"n_threads": 2} if "n_threads" in DNNClassifier().get_params() else {}
    def make(seed):
        return DNNClassifier(hidden_layer_sizes=(64, 32), max_iter=5, batch_size=32,
                             dropout=0.1, random_state=seed, **extra)
    sequential = [make(s).fit(X, y) for s in range(4)]
    threaded = Parallel(n_jobs=2, backend="threading")(delayed(make(s).fit)(X, y) for s in range(4))
    same = all(np.array_equal(a._net.params, b._net.params) for a, b in zip(sequential, threaded))
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel=True kernel ran: the layer was never started
        layer = "not started"
    print("LAYER", layer)
    print("SAME", same)
"""


@pytest.mark.parametrize("layer", ["workqueue", "omp", "tbb"])
def test_concurrent_fits_survive_each_numba_threading_layer(layer):
    """Numba's ``workqueue`` layer aborts the whole process when two threads enter
    ``parallel=True`` code at once; whatever layer is active, concurrent fits
    must neither crash nor change the result. Runs in a fresh process because
    the layer is chosen once per process (``NUMBA_THREADING_LAYER``)."""
    if not _threading_layer_loads(layer):
        pytest.skip(f"Numba's {layer} threading layer is not available here")
    env = {**os.environ, "NUMBA_THREADING_LAYER": layer}
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(_CONCURRENT_FITS_SCRIPT)],
                         capture_output=True, text=True, env=env, check=False)
    assert res.returncode == 0, (
        f"concurrent fits with NUMBA_THREADING_LAYER={layer} ended with return code "
        f"{res.returncode}:\n{res.stderr[-3000:]}"
    )
    assert "SAME True" in res.stdout, res.stdout
    assert f"LAYER {layer}" in res.stdout or "LAYER not started" in res.stdout, res.stdout


# -------------------------------------------------------------- out of core
def _stream(model, X, y, n_train, chunk, passes, **first_call):
    """``partial_fit`` over ``X[:n_train]`` in chunks, ``passes`` times; the first
    call gets ``first_call`` (``classes=``). Returns the held-out score after each call."""
    scores = []
    for _ in range(passes):
        for start in range(0, n_train, chunk):
            stop = start + chunk
            model.partial_fit(X[start:stop], y[start:stop], **first_call)
            first_call = {}
            scores.append(model.score(X[n_train:], y[n_train:]))
    return scores


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_partial_fit_streams_a_memory_mapped_npy(kind, classification, regression, tmp_path):
    X, y = classification if kind == "classifier" else regression
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    X_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    y_disk = np.load(tmp_path / "y.npy", mmap_mode="r")
    assert isinstance(X_disk, np.memmap) and not X_disk.flags.writeable

    cls = DNNClassifier if kind == "classifier" else DNNRegressor
    kw = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=50, random_state=0)
    first_call = {"classes": np.unique(y)} if kind == "classifier" else {}
    on_disk, in_memory = cls(**kw), cls(**kw)
    scores = _stream(on_disk, X_disk, y_disk, 1200, 200, passes=4, **first_call)
    _stream(in_memory, X, y, 1200, 200, passes=4, **first_call)

    assert len(on_disk.loss_curve_) == 4 * 6 and on_disk.t_ == 4 * 1200
    # the same chunk sequence gives the same model, read from disk or from memory
    assert_array_equal(on_disk._net.params, in_memory._net.params)
    assert on_disk.loss_curve_ == in_memory.loss_curve_
    # and the model learns from the stream
    final = scores[-1]
    assert final > scores[0] + 0.2, scores
    assert final > (0.75 if kind == "classifier" else 0.9), scores


# --------------------------------------------------------- halving on epochs
def test_halving_random_search_allocates_epochs_as_the_resource(classification):
    X, y = classification
    X, y = X[:300], y[:300]
    base = DNNClassifier(hidden_layer_sizes=(16,), n_iter_no_change=np.inf, random_state=0)
    search = HalvingRandomSearchCV(
        base,
        {"learning_rate_init": loguniform(1e-4, 1e-1), "alpha": loguniform(1e-5, 1e-1)},
        resource="max_iter", min_resources=3, max_resources=27, factor=3, n_candidates=9,
        cv=2, random_state=0,
    ).fit(X, y)

    assert search.n_resources_ == [3, 9, 27]
    assert search.n_candidates_ == [9, 3, 1]
    results = search.cv_results_
    for it, budget in enumerate(search.n_resources_):
        rows = np.flatnonzero(results["iter"] == it)
        assert np.all(results["param_max_iter"][rows] == budget)
    # the budget reached the candidates: a later-round score is that of a model
    # trained for that many epochs
    row = np.flatnonzero(results["iter"] == 1)[0]
    params = results["params"][row]
    assert params["max_iter"] == 9
    expected = cross_val_score(clone(base).set_params(**params), X, y, cv=2).mean()
    assert results["mean_test_score"][row] == pytest.approx(expected, abs=1e-12)
    # and the refitted winner trained for the full budget
    best = search.best_estimator_
    assert search.best_params_["max_iter"] == 27
    assert best.max_iter == 27 and best.n_iter_ == 27 and len(best.loss_curve_) == 27


# ------------------------------------------------------- metadata routing
def test_sample_weight_is_routed_to_fit_and_score_in_a_pipeline_in_a_search(classification):
    X, y = classification
    X, y = X[:300].astype(np.float64), y[:300]
    w = np.random.default_rng(0).integers(0, 2, len(y)) * 3.0  # zero on about half the rows
    cv = KFold(2, shuffle=True, random_state=0)
    grid = {"dnnclassifier__alpha": [1e-4, 1.0]}
    kw = dict(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.01, random_state=0)

    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            DNNClassifier(**kw).set_fit_request(sample_weight=True)
                               .set_score_request(sample_weight=True),
        )
        search = GridSearchCV(pipe, grid, cv=cv).fit(X, y, sample_weight=w)

    # The same computations by hand, without routing: weights go to the network's
    # fit and to the accuracy only.
    plain = make_pipeline(StandardScaler(), DNNClassifier(**kw))
    weighted_differs = False
    for i, params in enumerate(search.cv_results_["params"]):
        for k, (train, test) in enumerate(cv.split(X)):
            model = clone(plain).set_params(**params)
            model.fit(X[train], y[train], dnnclassifier__sample_weight=w[train])
            pred = model.predict(X[test])
            weighted = accuracy_score(y[test], pred, sample_weight=w[test])
            assert search.cv_results_[f"split{k}_test_score"][i] == weighted
            weighted_differs |= weighted != accuracy_score(y[test], pred)
    assert weighted_differs, "the test weights never changed a score: the check is vacuous"

    refit = clone(plain).set_params(**search.best_params_)
    refit.fit(X, y, dnnclassifier__sample_weight=w)
    unweighted = clone(plain).set_params(**search.best_params_).fit(X, y)
    assert_array_equal(search.best_estimator_[-1]._net.params, refit[-1]._net.params)
    assert not np.array_equal(refit[-1]._net.params, unweighted[-1]._net.params)
    assert not sklearn.get_config()["enable_metadata_routing"]
