import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastnn.nn.plan import Network


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def make_network(layer_units, hidden, out, dtype, seed=0, batch_norm=False, layer_norm=False,
                 dropout=()):
    """A network with random weights and biases (other parameters at their defaults)."""
    net = Network(layer_units, hidden, out, dtype, batch_norm=batch_norm,
                  layer_norm=layer_norm, dropout=dropout)
    rng = np.random.default_rng(seed)
    for W, b in zip(net.coefs, net.intercepts):
        W[...] = rng.normal(0, 0.5, W.shape)
        b[...] = rng.normal(0, 0.5, b.shape)
    return net


def make_targets(out, n, k, rng, dtype):
    if out == "softmax":
        return np.eye(k, dtype=dtype)[rng.integers(0, k, n)]
    if out == "logistic":
        return rng.integers(0, 2, (n, k)).astype(dtype)
    if out == "exp":
        return rng.poisson(2.0, (n, k)).astype(dtype)
    return rng.normal(size=(n, k)).astype(dtype)


def assert_predicts_as_stored(actual, stored):
    """Outputs of a model file written on another machine match the ones stored with it.

    Bit-identical on the machine and BLAS kernel that wrote them. Elsewhere the GEMM
    blocking (OpenBLAS picks it per CPU, ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``
    change it) sums in another order, so the float32 outputs may differ by a few units
    in the last place (seen: 3e-7 relative on an AVX-512 AMD EPYC forced onto the
    Haswell kernels; bit for bit there with the overrides unset). That is the
    tolerance: a wrong weight, layer order or activation is off by far more.
    """
    actual, stored = np.asarray(actual), np.asarray(stored)
    assert actual.dtype == stored.dtype and actual.shape == stored.shape
    np.testing.assert_allclose(actual, stored, rtol=2e-6, atol=1e-7)
    if actual.ndim == 2:  # probabilities: the predicted classes are the same
        np.testing.assert_array_equal(actual.argmax(1), stored.argmax(1))


def run_and_list_compiled(body):
    """Run ``body`` in a fresh Python process, then print ``COMPILED [...]``: the
    Numba dispatchers that compiled or loaded a signature there. Returns stdout."""
    script = textwrap.dedent("""
        import gc, warnings, numpy as np
        import numba.core.registry as registry
        warnings.simplefilter("ignore")
        import fastnn
    """) + textwrap.dedent(body) + textwrap.dedent("""
        compiled = [d.py_func.__qualname__ for d in gc.get_objects()
                    if isinstance(d, registry.CPUDispatcher) and d.signatures]
        print("COMPILED", compiled)
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return res.stdout
