"""Every training kernel against the plain-NumPy reference in ``reference.py``."""
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_network, make_targets
from numpy.testing import assert_allclose

import reference as ref
from fastnn._kernels import dense, losses, optimizers
from fastnn._kernels.activations import ACTIVATION_CODES
from fastnn._kernels.losses import OUTPUT_CODES
from fastnn._solvers import MinibatchTrainer, TrainData, loss_and_grad

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", sorted(ACTIVATION_CODES))
def test_dense_forward_matches_numpy(activation, dtype, rng):
    A_prev = rng.normal(size=(7, 5)).astype(dtype)
    W = rng.normal(size=(5, 3)).astype(dtype)
    b = rng.normal(size=3).astype(dtype)
    Z = np.full((7, 3), np.nan, dtype=dtype)
    A = np.full((7, 3), np.nan, dtype=dtype)
    dense.dense_forward_(A_prev, W, b, Z, A, ACTIVATION_CODES[activation])
    z_ref = A_prev.astype(float) @ W + b
    assert_allclose(Z, z_ref, **TOL[dtype])
    assert_allclose(A, ref.ACTIVATIONS[activation][0](z_ref), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", sorted(ACTIVATION_CODES))
def test_dense_backward_and_input_delta_match_numpy(activation, dtype, rng):
    A_prev = rng.normal(size=(6, 4)).astype(dtype)
    Z_prev = rng.normal(size=(6, 4)).astype(dtype)
    A_prev_act = ref.ACTIVATIONS[activation][0](Z_prev).astype(dtype)
    W = rng.normal(size=(4, 3)).astype(dtype)
    D = rng.normal(size=(6, 3)).astype(dtype)
    gW = np.full_like(W, np.nan)
    gb = np.full(3, np.nan, dtype=dtype)
    alpha, scale = 0.3, 1 / 6
    sq = dense.dense_backward_(D, A_prev, W, gW, gb, alpha, scale)
    assert_allclose(sq, (W.astype(float) ** 2).sum(), **TOL[dtype])
    assert_allclose(gW, (A_prev.T @ D + alpha * W) * scale, **TOL[dtype])
    assert_allclose(gb, D.sum(axis=0) * scale, **TOL[dtype])
    D_prev = np.full((6, 4), np.nan, dtype=dtype)
    dense.input_delta_(D, W, Z_prev, A_prev_act, D_prev, ACTIVATION_CODES[activation])
    expected = (D @ W.T) * ref.ACTIVATIONS[activation][1](Z_prev, A_prev_act)
    assert_allclose(D_prev, expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_csr_kernels_match_dense(dtype, rng):
    X = sp.random(20, 9, density=0.3, format="csr", random_state=0, dtype=dtype)
    rows = np.array([3, 0, 17, 17, 8], dtype=np.int64)
    W = rng.normal(size=(9, 4)).astype(dtype)
    D = rng.normal(size=(5, 4)).astype(dtype)
    Z = np.full((5, 4), np.nan, dtype=dtype)
    gW = np.full((9, 4), np.nan, dtype=dtype)
    indices, indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    dense.csr_matmul_(X.data, indices, indptr, rows, W, Z)
    dense.csr_weight_grad_(X.data, indices, indptr, rows, D, gW)
    Xd = X.toarray()[rows]
    assert_allclose(Z, Xd @ W, **TOL[dtype])
    assert_allclose(gW, Xd.T @ D, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out", sorted(OUTPUT_CODES))
def test_output_activation_loss_and_delta_match_numpy(out, dtype, rng):
    n, k = 8, 3
    Z = rng.normal(size=(n, k)).astype(dtype)
    Y = make_targets(out, n, k, rng, dtype)
    sw = rng.uniform(0.5, 2, n).astype(dtype)
    A = Z.copy()
    losses.output_activation_(OUTPUT_CODES[out], A)
    a_ref = ref.OUTPUTS[out](Z.astype(float))
    assert_allclose(A, a_ref, **TOL[dtype])
    D = np.full_like(A, np.nan)
    total = losses.loss_delta_(OUTPUT_CODES[out], A, Y, sw, D)
    assert_allclose(total, (sw * ref.per_sample_loss(out, A.astype(float), Y)).sum(),
                    **TOL[dtype])
    assert_allclose(D, (A - Y) * sw[:, None], **TOL[dtype])


def _net_and_data(hidden, out, dtype, rng, n=13, sparse=False, units=(5, 6, 4, 3)):
    net = make_network(units, hidden, out, dtype)
    X = rng.normal(size=(n, units[0])).astype(dtype)
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0
    Y = make_targets(out, n, units[-1], rng, dtype)
    sw = rng.uniform(0.5, 2.0, n).astype(dtype)
    Xin = sp.csr_matrix(X) if sparse else X
    return net, TrainData.build(Xin, Y, sw), X, Y, sw


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out", sorted(OUTPUT_CODES))
@pytest.mark.parametrize("hidden", sorted(ACTIVATION_CODES))
def test_network_loss_and_gradients_match_numpy(hidden, out, dtype, rng):
    net, data, X, Y, sw = _net_and_data(hidden, out, dtype, rng)
    if out == "exp":  # keep exp outputs moderate
        net.params *= 0.3
    alpha = 0.1
    loss, grads = loss_and_grad(net, data, alpha)
    coefs = [c.astype(float) for c in net.coefs]
    intercepts = [b.astype(float) for b in net.intercepts]
    loss_ref, gW, gb = ref.loss_and_grads(X.astype(float), Y, sw, coefs, intercepts,
                                          hidden, out, alpha)
    assert_allclose(loss, loss_ref, **TOL[dtype])
    for (gW_k, gb_k), gW_r, gb_r in zip(net.layer_views(grads), gW, gb):
        assert_allclose(gW_k, gW_r, **TOL[dtype])
        assert_allclose(gb_k, gb_r, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_input_gives_the_dense_gradients(dtype, rng):
    net, data_sp, X, Y, sw = _net_and_data("relu", "softmax", dtype, rng, sparse=True)
    loss_sp, g_sp = loss_and_grad(net, data_sp, 0.01)
    loss_d, g_d = loss_and_grad(net, TrainData.build(X, Y, sw), 0.01)
    assert_allclose(loss_sp, loss_d, **TOL[dtype])
    assert_allclose(g_sp, g_d, **TOL[dtype])


# One row per optimizer: the hyper-parameters, and a NumPy reference of n steps.
def _sgd_ref(p, grads, hyper):
    vel = np.zeros_like(p)
    for g in grads:
        p, vel = ref.sgd_step(p, g, vel, hyper["learning_rate"], hyper["momentum"],
                              hyper["nesterov"])
    return p


def _adam_ref(p, grads, hyper):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        p, m, v = ref.adam_step(p, g, m, v, t, hyper["learning_rate"], hyper["beta_1"],
                                hyper["beta_2"], hyper["epsilon"])
    return p


OPTIMIZER_TABLE = [
    ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=1.0), _sgd_ref),
    ("sgd", dict(learning_rate=0.05, momentum=0.5, nesterov=0.0), _sgd_ref),
    ("sgd", dict(learning_rate=0.1, momentum=0.0, nesterov=0.0), _sgd_ref),
    ("adam", dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8), _adam_ref),
    ("adam", dict(learning_rate=0.1, beta_1=0.5, beta_2=0.9, epsilon=1e-4), _adam_ref),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver, hyper, reference", OPTIMIZER_TABLE)
def test_optimizer_steps_match_numpy(solver, hyper, reference, dtype, rng):
    code = optimizers.OPTIMIZER_CODES[solver]
    p = rng.normal(size=50).astype(dtype)
    grads = [rng.normal(size=50).astype(dtype) for _ in range(4)]
    state = np.zeros((optimizers.STATE_ROWS[code], 50), dtype=dtype)
    h = np.array([hyper.get(f, 0.0) for f in optimizers.HYPER_FIELDS])
    expected = reference(p.astype(float), [g.astype(float) for g in grads], hyper)
    for t, g in enumerate(grads, start=1):
        optimizers.optimizer_step_(code, p, g, state, h, t)
    assert_allclose(p, expected, **TOL[dtype])


@pytest.mark.parametrize("solver, hyper, reference", OPTIMIZER_TABLE[:1] + OPTIMIZER_TABLE[3:4])
def test_minibatch_epoch_matches_numpy_loop(solver, hyper, reference, rng):
    """A whole epoch of shuffled minibatches equals the reference, batch by batch."""
    net, data, X, Y, sw = _net_and_data("tanh", "softmax", np.float64, rng, n=23)
    order = rng.permutation(23).astype(np.int64)
    trainer = MinibatchTrainer(net, solver, hyper)
    coefs = [c.copy() for c in net.coefs]
    intercepts = [b.copy() for b in net.intercepts]
    state = [np.zeros(net.n_params), np.zeros(net.n_params)]
    alpha, losses_ref = 0.01, []
    for t, start in enumerate(range(0, 23, 5), start=1):
        rows = order[start : start + 5]
        loss, gW, gb = ref.loss_and_grads(X[rows], Y[rows], sw[rows], coefs, intercepts,
                                          "tanh", "softmax", alpha)
        losses_ref.append(loss * len(rows))
        flat_g = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gW, gb)])
        flat_p = np.concatenate([np.concatenate([w.ravel(), b])
                                 for w, b in zip(coefs, intercepts)])
        if solver == "sgd":
            flat_p, state[0] = ref.sgd_step(flat_p, flat_g, state[0], hyper["learning_rate"],
                                            hyper["momentum"], hyper["nesterov"])
        else:
            flat_p, state[0], state[1] = ref.adam_step(
                flat_p, flat_g, state[0], state[1], t, hyper["learning_rate"],
                hyper["beta_1"], hyper["beta_2"], hyper["epsilon"])
        views = net.layer_views(flat_p)
        coefs = [w.copy() for w, _ in views]
        intercepts = [b.copy() for _, b in views]
    mean_loss = trainer.run_epoch(data, order, True, 5, alpha)
    assert trainer.step == 5
    assert_allclose(mean_loss, sum(losses_ref) / 23, rtol=1e-10)
    for w_k, w_r in zip(net.coefs, coefs):
        assert_allclose(w_k, w_r, rtol=1e-10, atol=1e-12)
