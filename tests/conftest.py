import numpy as np
import pytest

from fastnn._network import Network


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def make_network(layer_units, hidden, out, dtype, seed=0):
    """A network with random (not scikit-learn-initialised) parameters."""
    net = Network(layer_units, hidden, out, dtype)
    net.params[:] = np.random.default_rng(seed).normal(0, 0.5, net.n_params)
    return net


def make_targets(out, n, k, rng, dtype):
    if out == "softmax":
        return np.eye(k, dtype=dtype)[rng.integers(0, k, n)]
    if out == "logistic":
        return rng.integers(0, 2, (n, k)).astype(dtype)
    if out == "exp":
        return rng.poisson(2.0, (n, k)).astype(dtype)
    return rng.normal(size=(n, k)).astype(dtype)
