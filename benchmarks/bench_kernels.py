"""Kernel-level timings: dense forward and backward, every optimizer step, batch
norm and dropout, on a (256, 512) -> 256 float32 layer.

Run with ``pytest benchmarks/bench_kernels.py``; the first call of each kernel
(compilation or cache load) happens before the timed rounds and is recorded as
``compile_seconds`` in the saved JSON.
"""
import numpy as np
import pytest

from fastnn.nn import activations, dense, dropout, optimizers
from fastnn.nn import batch_norm as normalization
from fastnn.nn.activations import ACTIVATION_CODES
from fastnn.nn.random import stream_key
from fastnn.nn.settings import BETA_1, BETA_2, EPSILON, LR, MOMENTUM, RHO, SETTING_FIELDS

N, FAN_IN, FAN_OUT = 256, 512, 256


@pytest.fixture
def layer(rng):
    f = np.float32
    return dict(
        A_prev=rng.normal(size=(N, FAN_IN)).astype(f),
        W=rng.normal(size=(FAN_IN, FAN_OUT)).astype(f) * 0.05,
        b=np.zeros(FAN_OUT, f),
        Z=np.empty((N, FAN_OUT), f), A=np.empty((N, FAN_OUT), f),
        D=rng.normal(size=(N, FAN_OUT)).astype(f),
        S=np.full((1, FAN_OUT), 0.01, f),
    )


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
def test_dense_forward(benchmark, warm, layer, activation):
    code = ACTIVATION_CODES[activation]

    def forward():  # what the dense and activation ops do in a training step
        np.dot(layer["A_prev"], layer["W"], out=layer["Z"])
        activations.forward_loops_(code, layer["Z"], layer["b"], layer["A"], layer["S"], True)

    warm(forward)
    benchmark(forward)


def test_dense_backward(benchmark, warm, layer):
    gW, gb = np.empty_like(layer["W"]), np.empty_like(layer["b"])
    args = (layer["D"], layer["A_prev"], layer["W"], gW, gb, 1e-4, 0.0, 1 / N)
    warm(dense.dense_backward_, *args)
    benchmark(dense.dense_backward_, *args)


def test_activation_backward_relu(benchmark, warm, layer):
    args = (ACTIVATION_CODES["relu"], layer["D"], layer["Z"], layer["A"], layer["S"])
    warm(activations.backward_loops_, *args)
    benchmark(activations.backward_loops_, *args)


@pytest.mark.parametrize("solver", sorted(optimizers.OPTIMIZER_CODES))
def test_optimizer_step(benchmark, warm, rng, solver):
    n = 500_000
    spec = optimizers.OPTIMIZERS[solver]
    params = rng.normal(size=n).astype(np.float32)
    grads = rng.normal(size=n).astype(np.float32)
    state = np.zeros((len(spec.state), n), np.float32)
    settings = np.zeros(len(SETTING_FIELDS))
    settings[[LR, MOMENTUM, BETA_1, BETA_2, EPSILON, RHO]] = [1e-3, 0.9, 0.9, 0.999, 1e-8, 0.9]
    step = optimizers.segment_step_
    warm(step, spec.code, params, grads, state, settings, 1, 0, n, 0)
    benchmark(step, spec.code, params, grads, state, settings, 2, 0, n, 0)


def test_batchnorm_forward_and_backward(benchmark, warm, layer):
    Z0 = layer["A_prev"][:, :FAN_OUT].copy()
    gamma, beta = np.ones(FAN_OUT, np.float32), np.zeros(FAN_OUT, np.float32)
    mean, invstd = np.empty(FAN_OUT), np.empty(FAN_OUT)  # float64, as in training
    rm, rv = np.zeros_like(gamma), np.ones_like(gamma)
    gg, gbt = np.empty_like(gamma), np.empty_like(gamma)
    Z, H, G = np.empty_like(Z0), np.empty_like(Z0), np.empty_like(Z0)

    def step():
        Z[...] = Z0
        normalization.batchnorm_train_(Z, gamma, beta, H, mean, invstd, rm, rv, 0.1, 1e-5, True)
        G[...] = layer["D"]
        normalization.batchnorm_backward_(G, Z, gamma, invstd, gg, gbt)

    warm(step)
    benchmark(step)


def test_dropout(benchmark, warm, layer):
    M, P = np.empty_like(layer["A"]), np.empty_like(layer["A"])
    key = stream_key(1, 2)
    warm(dropout.dropout_, layer["A"], M, P, 0.5, key)
    benchmark(dropout.dropout_, layer["A"], M, P, 0.5, key)
