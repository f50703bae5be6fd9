"""End-to-end timings of ``fit`` (one epoch) and ``predict_proba`` / ``predict`` on
the test rows, for every workload of ``workloads.py``.

Run with ``pytest benchmarks/bench_workloads.py``; workloads whose data file is
missing are skipped with the reason. A warm-up fit on 64 rows (kernel compilation
or cache load) precedes the timed rounds and is recorded as ``compile_seconds``.
"""
import warnings
from dataclasses import replace

import pytest
from sklearn.exceptions import ConvergenceWarning
from workloads import WORKLOADS, MissingData

from fastnn import DNNClassifier, DNNRegressor

_DATA = {}


def _data(workload):
    if workload.loader not in _DATA:
        try:
            _DATA[workload.loader] = workload.load()
        except MissingData as exc:
            _DATA[workload.loader] = exc
    data = _DATA[workload.loader]
    if isinstance(data, MissingData):
        pytest.skip(str(data))
    return data


def _estimator(workload, epochs):
    cls = DNNRegressor if workload.task == "regression" else DNNClassifier
    return cls(hidden_layer_sizes=workload.hidden, batch_size=workload.batch_size,
               max_iter=epochs, alpha=0.0, tol=0.0, n_iter_no_change=10**9, random_state=0)


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_fit_one_epoch(benchmark, warm, name):
    workload = replace(WORKLOADS[name], epochs=1)
    X_tr, y_tr, _, _ = _data(workload)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warm(lambda: _estimator(workload, 1).fit(X_tr[:64], y_tr[:64]))
    rounds = 1 if name == "wide" else 3
    benchmark.pedantic(lambda: _estimator(workload, 1).fit(X_tr, y_tr), rounds=rounds,
                       iterations=1)


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_predict_test_rows(benchmark, warm, name):
    workload = WORKLOADS[name]
    X_tr, y_tr, X_te, _ = _data(workload)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = _estimator(workload, 1).fit(X_tr[:2000], y_tr[:2000])
    predict = model.predict if workload.task == "regression" else model.predict_proba
    warm(predict, X_te[:10])
    benchmark(predict, X_te)


def test_predict_proba_single_row(benchmark, warm):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    clf = DNNClassifier(hidden_layer_sizes=(256, 128), max_iter=5, random_state=0)
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X, y)
    warm(clf.predict_proba, X[:1])
    benchmark(clf.predict_proba, X[:1])
