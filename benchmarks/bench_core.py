"""pytest-benchmark timings of the core kernels and of end-to-end fit / predict.

Run (kept out of the default test run, which collects only ``tests/``)::

    pytest benchmarks/bench_core.py --benchmark-only

Each benchmark warms up (compiles or loads the kernels) before the timed rounds,
so compile time is never part of a round. Save a baseline with
``--benchmark-autosave`` and fail on a regression with
``--benchmark-compare --benchmark-compare-fail=mean:10%``.
"""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from fastnn import DNNClassifier
from fastnn._kernels.activations import ACTIVATION_CODES
from fastnn._kernels.dense import dense_backward_, dense_forward_

warnings.simplefilter("ignore", ConvergenceWarning)


@pytest.fixture
def layer():
    rng = np.random.default_rng(0)
    A_prev = rng.normal(size=(256, 512)).astype(np.float32)
    W = rng.normal(size=(512, 256)).astype(np.float32)
    b = np.zeros(256, np.float32)
    Z, A, D = (np.empty((256, 256), np.float32) for _ in range(3))
    return A_prev, W, b, Z, A, D


def test_dense_forward(benchmark, layer):
    A_prev, W, b, Z, A, _ = layer
    dense_forward_(A_prev, W, b, Z, A, ACTIVATION_CODES["relu"])  # compile
    benchmark(dense_forward_, A_prev, W, b, Z, A, ACTIVATION_CODES["relu"])


def test_dense_backward(benchmark, layer):
    A_prev, W, b, _, _, D = layer
    gW, gb = np.empty_like(W), np.empty_like(b)
    dense_backward_(D, A_prev, W, gW, gb, 1e-4, 1 / 256)
    benchmark(dense_backward_, D, A_prev, W, gW, gb, 1e-4, 1 / 256)


@pytest.mark.parametrize("library", ["fastnn", "sklearn"])
def test_fit_digits(benchmark, digits, library):
    X, y = digits
    cls = DNNClassifier if library == "fastnn" else MLPClassifier
    params = dict(hidden_layer_sizes=(256, 128), max_iter=10, random_state=0)
    cls(**params).fit(X[:100], y[:100])  # warm-up: compile / load kernels
    benchmark.pedantic(lambda: cls(**params).fit(X, y), rounds=3, iterations=1)


def test_predict_proba_digits(benchmark, digits):
    X, y = digits
    clf = DNNClassifier(hidden_layer_sizes=(256, 128), max_iter=2, random_state=0).fit(X, y)
    benchmark(clf.predict_proba, X)


def test_predict_proba_single_row(benchmark, digits):
    X, y = digits
    clf = DNNClassifier(hidden_layer_sizes=(256, 128), max_iter=2, random_state=0).fit(X, y)
    benchmark(clf.predict_proba, X[:1])
