"""fastnn on Dask: a search through joblib's ``dask`` backend on a local
multi-process cluster, and ``dask_ml``'s ``Incremental`` over a Dask array.

Skipped when ``distributed`` / ``dask_ml`` are not installed (the ``dask`` extra).
"""
import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV

from fastnn import DNNClassifier, DNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _worker_threads():
    """Run on a worker: its NUMBA_NUM_THREADS as Numba sees it."""
    import numba

    return numba.config.NUMBA_NUM_THREADS


@pytest.mark.dask
def test_grid_search_on_a_local_dask_cluster_matches_the_local_run():
    distributed = pytest.importorskip("distributed")
    X, y = make_classification(200, 10, n_informative=5, random_state=0)
    grid = {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1.0]}

    def search():
        return GridSearchCV(DNNClassifier(max_iter=20, random_state=0), grid, cv=2)

    local = search().fit(X, y)
    # Workers are spawned processes that inherit this process's environment;
    # the nanny sets OMP/MKL/OPENBLAS_NUM_THREADS=1 but not NUMBA_NUM_THREADS,
    # so set it here to keep one thread per worker thread.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        env={"NUMBA_NUM_THREADS": "1"},
    ) as cluster, distributed.Client(cluster) as client:
        assert set(client.run(_worker_threads).values()) == {1}
        with distributed.get_task_stream(client) as tasks, \
                joblib.parallel_config(backend="dask"):
            remote = search().fit(X, y)
    assert len(tasks.data) >= 2 * 4, "the search did not run on the cluster's workers"
    assert remote.best_params_ == local.best_params_
    assert_allclose(remote.cv_results_["mean_test_score"],
                    local.cv_results_["mean_test_score"], atol=1e-12)
    assert_array_equal(remote.predict(X), local.predict(X))


def test_incremental_trains_a_classifier_on_dask_array_blocks():
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_classification(1200, 12, n_informative=8, n_classes=3, random_state=0)
    X = X.astype(np.float32)
    kw = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=50, random_state=0)
    X_d, y_d = da.from_array(X, chunks=200), da.from_array(y, chunks=200)

    inc = wrappers.Incremental(DNNClassifier(**kw), scoring="accuracy", shuffle_blocks=False)
    inc.fit(X_d, y_d, classes=[0, 1, 2])

    # one partial_fit per block, in order: the same model as a plain loop
    loop = DNNClassifier(**kw)
    for start in range(0, 1200, 200):
        loop.partial_fit(X[start:start + 200], y[start:start + 200], classes=[0, 1, 2])
    assert len(inc.estimator_.loss_curve_) == 6 and inc.estimator_.n_iter_ == 1
    assert_array_equal(inc.estimator_._net.params, loop._net.params)
    assert inc.score(X_d, y_d) == pytest.approx(loop.score(X, y), abs=1e-12)
    assert inc.score(X_d, y_d) > 0.6
    # block by block, as the loop predicts each block (BLAS results may differ in
    # the last bit between a 200-row and a 1200-row product)
    blocks = np.vstack([loop.predict_proba(X[s:s + 200]) for s in range(0, 1200, 200)])
    assert_array_equal(inc.predict_proba(X_d).compute(), blocks)


def test_incremental_trains_a_regressor_on_dask_array_blocks():
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = make_regression(2400, 10, noise=1.0, random_state=0)
    y = y / y.std()
    X_d, y_d = da.from_array(X, chunks=300), da.from_array(y, chunks=300)
    model = DNNRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=50,
                         random_state=0)
    inc = wrappers.Incremental(model, random_state=0).fit(X_d, y_d)  # blocks in random order
    assert len(inc.estimator_.loss_curve_) == 8 and inc.estimator_.t_ == 2400
    # dask_ml's own r2 scorer fails on current Dask ("cannot broadcast shape
    # (nan,)", for scikit-learn's SGDRegressor too), so score the computed predictions
    assert r2_score(y, inc.predict(X_d).compute()) > 0.8
