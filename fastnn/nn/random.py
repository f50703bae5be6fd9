"""Counter-based random numbers for dropout masks, RReLU slopes and input noise.

The estimator draws one 64-bit seed per epoch from its ``random_state`` in
Python and passes it in; inside the kernels every draw is a pure function of
``(seed, stream, index)`` (SplitMix64), so results are reproducible, do not
depend on the order in which elements are visited, and never touch Numba's
global generator (which ``np.random.seed`` does not seed).
"""
import math

import numpy as np

from .jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@kernel
def mix64(x):
    """SplitMix64 finaliser of a uint64 (a bijective avalanche hash)."""
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


@kernel
def stream_key(seed, stream):
    """Key of an independent stream (e.g. one batch and layer) under ``seed``."""
    return mix64(np.uint64(seed) + np.uint64(stream + 1) * _GOLDEN)


@kernel
def uniform(key, index):
    """Uniform draw in ``[0, 1)`` number ``index`` of stream ``key``."""
    x = mix64(np.uint64(key) + np.uint64(index + 1) * _GOLDEN)
    return float(x >> np.uint64(11)) * _TO_UNIT


@kernel
def normal(key, index):
    """Standard normal draw number ``index`` of stream ``key`` (Box-Muller)."""
    u1 = uniform(key, 2 * index)
    u2 = uniform(key, 2 * index + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@kernel
def random_key(seed, batch_index, kind, layer, n_layers):
    """Random stream of one batch, purpose (dropout, rrelu, noise; see
    :mod:`.optable`) and dense layer, under the epoch's ``seed``."""
    return stream_key(seed, (batch_index * 3 + kind) * (n_layers + 1) + layer)
