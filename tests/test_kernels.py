"""Every training kernel against the plain-NumPy reference in ``reference.py``."""
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_network, make_targets
from numpy.testing import assert_allclose, assert_array_equal

import reference as ref
from fastnn.nn import activations, dense, layer_norm, optimizers, regularization
from fastnn.nn import batch_norm as normalization
from fastnn.nn import dropout as dropout_op
from fastnn.nn import output as losses
from fastnn.nn.activations import ACTIVATION_CODES
from fastnn.nn.optimizers import OPTIMIZERS
from fastnn.nn.output import OUTPUT_CODES
from fastnn.nn.random import stream_key
from fastnn.nn.settings import SETTING_FIELDS
from fastnn.training.data import TrainData
from fastnn.training.lbfgs import FullBatch
from fastnn.training.minibatch import MinibatchTrainer
from fastnn.training.minibatch import TrainingSettings as Regularization


def loss_and_grad(net, data, settings):
    """Full-batch loss and a copy of the gradient (the L-BFGS objective)."""
    loss, grads = FullBatch(net, data, settings)()
    return loss, grads.copy()

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
HIDDEN = sorted(set(ACTIVATION_CODES) - {"sigmoid"})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_activation_forward_with_and_without_the_fused_bias_matches_numpy(activation, dtype,
                                                                          rng):
    H = rng.normal(size=(7, 3)).astype(dtype)
    b = rng.normal(size=3).astype(dtype)
    S = rng.uniform(0.05, 0.4, (1, 3)).astype(dtype)
    code = ACTIVATION_CODES[activation]
    f = ref.ACTIVATIONS[activation][0]
    A = np.full_like(H, np.nan)
    activations.forward_loops_(code, H.copy(), b[:0], A, S, False)
    assert_allclose(A, f(H.astype(float), S.astype(float)), **TOL[dtype])
    Z = H.copy()
    activations.forward_loops_(code, Z, b, A, S, True)
    assert_allclose(Z, H.astype(float) + b, **TOL[dtype])  # the bias, added in place
    assert_allclose(A, f(H.astype(float) + b, S.astype(float)), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_activation_backward_matches_numpy(activation, dtype, rng):
    H = rng.normal(size=(6, 4)).astype(dtype)
    S = rng.uniform(0.05, 0.4, (6, 4)).astype(dtype)  # per-element slopes (as RReLU)
    code = ACTIVATION_CODES[activation]
    A = np.empty_like(H)
    activations.forward_loops_(code, H, H[0, :0], A, S, False)
    G = rng.normal(size=(6, 4)).astype(dtype)
    expected = G * ref.ACTIVATIONS[activation][1](H.astype(float), S.astype(float))
    activations.backward_loops_(code, G, H, A, S)
    assert_allclose(G, expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_kernels_match_numpy(dtype, rng):
    Z = rng.normal(1.0, 2.0, size=(9, 6)).astype(dtype)
    gamma = rng.uniform(0.5, 2, 6).astype(dtype)
    beta = rng.normal(size=6).astype(dtype)
    H = np.empty_like(Z)
    mean, invstd = np.empty(9), np.empty(9)
    xhat = Z.copy()
    layer_norm.layernorm_forward_(xhat, gamma, beta, H, mean, invstd, 1e-5)
    assert_allclose(H, ref.layernorm(Z.astype(float), gamma, beta), **TOL[dtype])
    G = rng.normal(size=(9, 6)).astype(dtype)
    dz_ref, dgamma_ref, dbeta_ref = ref.layernorm_backward(G.astype(float), Z.astype(float),
                                                           gamma)
    ggamma, gbeta = np.empty(6, dtype), np.empty(6, dtype)
    layer_norm.layernorm_backward_(G, xhat, gamma, invstd, ggamma, gbeta)
    assert_allclose(G, dz_ref, **TOL[dtype])
    assert_allclose(ggamma, dgamma_ref, **TOL[dtype])
    assert_allclose(gbeta, dbeta_ref, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_backward_with_l2_and_l1_matches_numpy(dtype, rng):
    A_prev = rng.normal(size=(6, 4)).astype(dtype)
    W = rng.normal(size=(4, 3)).astype(dtype)
    D = rng.normal(size=(6, 3)).astype(dtype)
    gW = np.full_like(W, np.nan)
    gb = np.full(3, np.nan, dtype=dtype)
    alpha, l1, scale = 0.3, 0.2, 1 / 6  # D is already scaled: only penalties get scale
    sq, absolute = dense.dense_backward_(D, A_prev, W, gW, gb, alpha, l1, scale)
    assert_allclose(sq, (W.astype(float) ** 2).sum(), **TOL[dtype])
    assert_allclose(absolute, np.abs(W.astype(float)).sum(), **TOL[dtype])
    assert_allclose(gW, A_prev.T @ D + (alpha * W + l1 * np.sign(W)) * scale, **TOL[dtype])
    assert_allclose(gb, D.sum(axis=0), **TOL[dtype])
    gW2 = np.full_like(W, np.nan)
    dense.dense_backward_(D, A_prev, W, gW2, gb, 0.0, 0.0, scale)  # no penalty: no pass
    assert_allclose(gW2, A_prev.T @ D, **TOL[dtype])


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
    assert_allclose(A, ref.OUTPUTS[out](Z.astype(float)), **TOL[dtype])
    D = np.full_like(A, np.nan)
    total = losses.loss_delta_(OUTPUT_CODES[out], A, Y, sw, D)
    assert_allclose(total, (sw * ref.per_sample_loss(out, A.astype(float), Y)).sum(),
                    **TOL[dtype])
    assert_allclose(D, (A - Y) * sw[:, None], **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm_kernels_match_numpy(dtype, rng):
    Z = rng.normal(2.0, 3.0, size=(16, 5)).astype(dtype)
    gamma = rng.uniform(0.5, 2, 5).astype(dtype)
    beta = rng.normal(size=5).astype(dtype)
    H_ref, xhat_ref, mu, var = ref.batchnorm_train(Z.astype(float), gamma, beta)
    H = np.empty_like(Z)
    mean, invstd = np.empty(5, dtype), np.empty(5, dtype)
    rm, rv = np.zeros(5, dtype), np.ones(5, dtype)
    xhat = Z.copy()
    normalization.batchnorm_train_(xhat, gamma, beta, H, mean, invstd, rm, rv, 0.1, 1e-5, True)
    assert_allclose(H, H_ref, **TOL[dtype])
    assert_allclose(xhat, xhat_ref, **TOL[dtype])
    assert_allclose(rm, 0.1 * mu, **TOL[dtype])
    assert_allclose(rv, 0.9 + 0.1 * var * 16 / 15, **TOL[dtype])  # unbiased, as PyTorch
    G = rng.normal(size=(16, 5)).astype(dtype)
    dz_ref, dgamma_ref, dbeta_ref = ref.batchnorm_backward(G.astype(float), xhat_ref, gamma, var)
    ggamma, gbeta = np.empty(5, dtype), np.empty(5, dtype)
    normalization.batchnorm_backward_(G, xhat, gamma, invstd, ggamma, gbeta)
    assert_allclose(G, dz_ref, **TOL[dtype])
    assert_allclose(ggamma, dgamma_ref, **TOL[dtype])
    assert_allclose(gbeta, dbeta_ref, **TOL[dtype])
    H_inf = np.empty_like(Z)
    normalization.batchnorm_inference_(Z, gamma, beta, H_inf, rm, rv, 1e-5)
    assert_allclose(H_inf, gamma * (Z - rm) / np.sqrt(rv + 1e-5) + beta, **TOL[dtype])


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_mask_is_inverted_reproducible_and_keeps_the_right_share(rate, rng):
    A = rng.normal(size=(400, 50))
    M, P = np.empty_like(A), np.empty_like(A)
    key = stream_key(7, 3)
    dropout_op.dropout_(A, M, P, rate, key)
    assert set(np.unique(M)) <= {0.0, 1 / (1 - rate)}
    assert_allclose(P, A * M)
    assert abs((M > 0).mean() - (1 - rate)) < 0.01
    M2, P2 = np.empty_like(A), np.empty_like(A)
    dropout_op.dropout_(A, M2, P2, rate, key)
    assert np.array_equal(M, M2)
    dropout_op.dropout_(A, M2, P2, rate, stream_key(8, 3))
    assert not np.array_equal(M, M2)


def test_clipping_and_max_norm(rng):
    g = rng.normal(size=100) * 10
    everything = np.array([[0, 100, 0]], dtype=np.int64)
    clipped = g.copy()
    regularization.clip_gradients_(clipped, everything, 1.5, 0.0)
    assert_allclose(clipped, np.clip(g, -1.5, 1.5))
    normed = g.copy()
    regularization.clip_gradients_(normed, everything, 0.0, 2.0)
    assert_allclose(np.linalg.norm(normed), 2.0)
    assert_allclose(normed, g * 2.0 / np.linalg.norm(g))
    small = g * 1e-3
    untouched = small.copy()
    regularization.clip_gradients_(untouched, everything, 0.0, 2.0)
    assert_allclose(untouched, small)
    # only the trainable ranges take part in the norm and get clipped
    ranges = np.array([[10, 30, 0], [60, 100, 20]], dtype=np.int64)
    part = np.r_[10:30, 60:100]
    both = g.copy()
    regularization.clip_gradients_(both, ranges, 5.0, 2.0)
    expected = np.clip(g[part], -5.0, 5.0)
    assert_allclose(both[part], expected * 2.0 / np.linalg.norm(expected))
    outside = np.setdiff1d(np.arange(100), part)
    assert_array_equal(both[outside], g[outside])
    W = rng.normal(size=(20, 6)) * 3
    W[:, 0] *= 1e-3
    expected = W * np.minimum(1.0, 1.0 / np.linalg.norm(W, axis=0))
    regularization.max_norm_(W, 1.0)
    assert_allclose(W, expected)


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
@pytest.mark.parametrize("hidden", sorted(set(HIDDEN) - {"rrelu"}))
def test_network_loss_and_gradients_match_numpy(hidden, out, dtype, rng):
    net, data, X, Y, sw = _net_and_data(hidden, out, dtype, rng)
    if out == "exp":  # keep exp outputs moderate
        for v in net.coefs + net.intercepts:
            v *= 0.3
    reg = Regularization(alpha=0.1, l1=0.05)
    loss, grads = loss_and_grad(net, data, reg)
    coefs = [c.astype(float) for c in net.coefs]
    intercepts = [b.astype(float) for b in net.intercepts]
    loss_ref, gW, gb = ref.loss_and_grads(X.astype(float), Y, sw, coefs, intercepts,
                                          hidden, out, reg.alpha, reg.l1)
    assert_allclose(loss, loss_ref, **TOL[dtype])
    for (gW_k, gb_k), gW_r, gb_r in zip(net.layer_views(grads), gW, gb):
        assert_allclose(gW_k, gW_r, **TOL[dtype])
        assert_allclose(gb_k, gb_r, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_input_gives_the_dense_gradients(dtype, rng):
    net, data_sp, X, Y, sw = _net_and_data("relu", "softmax", dtype, rng, sparse=True)
    reg = Regularization(alpha=0.01)
    loss_sp, g_sp = loss_and_grad(net, data_sp, reg)
    loss_d, g_d = loss_and_grad(net, TrainData.build(X, Y, sw), reg)
    assert_allclose(loss_sp, loss_d, **TOL[dtype])
    assert_allclose(g_sp, g_d, **TOL[dtype])


# One row per optimizer: solver, hyper-parameters, NumPy reference of one step
# ``(p, g, state, t, hyper) -> (p, state)`` and the number of state rows.
def _sgd(p, g, s, t, h):
    p, v = ref.sgd_step(p, g, s[0], h["learning_rate"], h["momentum"], h["nesterov"])
    return p, [v]


def _adam(p, g, s, t, h):
    p, m, v = ref.adam_step(p, g, s[0], s[1], t, h["learning_rate"], h["beta_1"],
                            h["beta_2"], h["epsilon"])
    return p, [m, v]


def _adagrad(p, g, s, t, h):
    p, G = ref.adagrad_step(p, g, s[0], h["learning_rate"], h["epsilon"])
    return p, [G]


def _rmsprop(p, g, s, t, h):
    p, sq = ref.rmsprop_step(p, g, s[0], h["learning_rate"], h["rho"], h["epsilon"])
    return p, [sq]


def _adamw(p, g, s, t, h):
    p, m, v = ref.adamw_step(p, g, s[0], s[1], t, h["learning_rate"], h["beta_1"],
                             h["beta_2"], h["epsilon"], h["weight_decay"])
    return p, [m, v]


def _nadam(p, g, s, t, h):
    p, m, v = ref.nadam_step(p, g, s[0], s[1], t, h["learning_rate"], h["beta_1"],
                             h["beta_2"], h["epsilon"])
    return p, [m, v]


ADAM_H = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
OPTIMIZER_TABLE = [
    ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=1.0), _sgd),
    ("sgd", dict(learning_rate=0.05, momentum=0.5, nesterov=0.0), _sgd),
    ("adam", ADAM_H, _adam),
    ("adam", dict(learning_rate=0.1, beta_1=0.5, beta_2=0.9, epsilon=1e-4), _adam),
    ("adagrad", dict(learning_rate=0.1, epsilon=1e-8), _adagrad),
    ("rmsprop", dict(learning_rate=0.01, rho=0.9, epsilon=1e-8), _rmsprop),
    ("adamw", dict(ADAM_H, weight_decay=0.1), _adamw),
    ("nadam", ADAM_H, _nadam),
]
OPTIMIZER_IDS = [f"{row[0]}-{i}" for i, row in enumerate(OPTIMIZER_TABLE)]


def test_every_solver_has_a_table_row():
    assert {row[0] for row in OPTIMIZER_TABLE} == set(OPTIMIZERS)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver, hyper, reference", OPTIMIZER_TABLE, ids=OPTIMIZER_IDS)
def test_optimizer_steps_match_numpy(solver, hyper, reference, dtype, rng):
    code = OPTIMIZERS[solver].code
    n_state = len(OPTIMIZERS[solver].state)
    p = rng.normal(size=50).astype(dtype)
    grads = [rng.normal(size=50).astype(dtype) for _ in range(4)]
    state = np.zeros((n_state, 50), dtype=dtype)
    h = np.array([hyper.get(f, 0.0) for f in SETTING_FIELDS])
    p_ref, s_ref = p.astype(float), [np.zeros(50) for _ in range(n_state)]
    for t, g in enumerate(grads, start=1):
        optimizers.segment_step_(code, p, g, state, h, t, 0, p.shape[0], 0)
        p_ref, s_ref = reference(p_ref, g.astype(float), s_ref, t, hyper)
        assert_allclose(p, p_ref, **TOL[dtype])  # step by step
    for row, row_ref in zip(state, s_ref):
        assert_allclose(row, row_ref, **TOL[dtype])


@pytest.mark.parametrize("solver, hyper, reference", OPTIMIZER_TABLE, ids=OPTIMIZER_IDS)
def test_segment_steps_update_only_their_ranges(solver, hyper, reference, rng):
    """Two trainable ranges with packed state equal the reference on those ranges;
    everything else (frozen parameters) is bit-identical."""
    code = OPTIMIZERS[solver].code
    n_state = len(OPTIMIZERS[solver].state)
    p = rng.normal(size=50)
    start = p.copy()
    ranges = [(5, 20, 0), (30, 42, 15)]
    part = np.r_[5:20, 30:42]
    state = np.zeros((n_state, part.size))
    h = np.array([hyper.get(f, 0.0) for f in SETTING_FIELDS])
    p_ref, s_ref = p[part].copy(), [np.zeros(part.size) for _ in range(n_state)]
    for t in range(1, 4):
        g = rng.normal(size=50)
        for a, b, s in ranges:
            optimizers.segment_step_(code, p, g, state, h, t, a, b, s)
        p_ref, s_ref = reference(p_ref, g[part], s_ref, t, hyper)
    assert_allclose(p[part], p_ref, rtol=1e-10)
    for row, row_ref in zip(state, s_ref):
        assert_allclose(row, row_ref, rtol=1e-10)
    frozen = np.setdiff1d(np.arange(50), part)
    assert_array_equal(p[frozen], start[frozen])


@pytest.mark.parametrize("solver, hyper, reference",
                         [OPTIMIZER_TABLE[0], OPTIMIZER_TABLE[2], OPTIMIZER_TABLE[5]])
def test_minibatch_epoch_matches_numpy_loop(solver, hyper, reference, rng):
    """A whole epoch of shuffled minibatches equals the reference, batch by batch."""
    net, data, X, Y, sw = _net_and_data("tanh", "softmax", np.float64, rng, n=23)
    order = rng.permutation(23).astype(np.int64)
    reg = Regularization(alpha=0.01)
    trainer = MinibatchTrainer(net, solver, hyper, reg)
    coefs = [c.copy() for c in net.coefs]
    intercepts = [b.copy() for b in net.intercepts]
    n_state = len(OPTIMIZERS[solver].state)
    state, losses_ref = [np.zeros(net.n_params) for _ in range(n_state)], []
    for t, start in enumerate(range(0, 23, 5), start=1):
        rows = order[start : start + 5]
        loss, gW, gb = ref.loss_and_grads(X[rows], Y[rows], sw[rows], coefs, intercepts,
                                          "tanh", "softmax", reg.alpha)
        losses_ref.append(loss * len(rows))
        flat_g = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(gW, gb)])
        flat_p = np.concatenate([np.concatenate([w.ravel(), b])
                                 for w, b in zip(coefs, intercepts)])
        flat_p, state = reference(flat_p, flat_g, state, t, hyper)
        views = net.layer_views(flat_p)
        coefs = [w.copy() for w, _ in views]
        intercepts = [b.copy() for _, b in views]
    mean_loss, first_loss = trainer.run_epoch(data, order, True, 5, seed=0)
    assert_allclose(first_loss, losses_ref[0] / 5, rtol=1e-10)
    assert trainer.step == 5
    assert_allclose(mean_loss, sum(losses_ref) / 23, rtol=1e-10)
    for w_k, w_r in zip(net.coefs, coefs):
        assert_allclose(w_k, w_r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_permuted_epoch_is_bit_identical_to_the_per_batch_gather(dropout, rng, monkeypatch):
    """Narrow dense rows are copied in epoch order once; the kernel then reads
    them in place. Same batches, same random streams: the same bits as the
    per-batch gather, also when the order skips rows (a validation split)."""
    from fastnn.training import minibatch

    order = rng.permutation(23)[:19].astype(np.int64)
    results = []
    for row_bytes in (minibatch.PERMUTE_ROW_BYTES, 0):  # permuted, then gathered
        monkeypatch.setattr(minibatch, "PERMUTE_ROW_BYTES", row_bytes)
        net, data, *_ = _net_and_data("relu", "softmax", np.float32, np.random.default_rng(3),
                                      n=23)
        trainer = MinibatchTrainer(net, "adam", ADAM_H, Regularization(dropout=(dropout,) * 2))
        assert trainer._permute(data, order) == (row_bytes > 0)
        losses = [trainer.run_epoch(data, order, True, 5, seed=s) for s in (11, 12)]
        results.append((losses, net.params.copy()))
    (loss_p, params_p), (loss_g, params_g) = results
    assert loss_p == loss_g
    assert_array_equal(params_p, params_g)


def test_taken_copies_rows_in_order_into_reused_buffers(rng):
    _, data, X, Y, sw = _net_and_data("relu", "softmax", np.float32, rng, n=9)
    order = np.array([4, 0, 8, 8, 2], dtype=np.int64)
    first, buffers = data.taken(order)
    assert_array_equal(first.arrays.X, X[order])
    assert_array_equal(first.Y, Y[order])
    assert_array_equal(first.sw, sw[order])
    assert not first.arrays.X.flags.writeable  # one compiled kernel type, as build()
    second, again = data.taken(order[::-1].copy(), buffers)
    assert all(a is b for a, b in zip(buffers, again))
    assert_array_equal(second.arrays.X, X[order[::-1]])
    _, sparse, *_ = _net_and_data("relu", "softmax", np.float32, rng, n=9, sparse=True)
    with pytest.raises(ValueError, match="sparse"):
        sparse.taken(order)
    net, *_ = _net_and_data("relu", "softmax", np.float32, rng)
    noisy = MinibatchTrainer(net, "adam", ADAM_H, Regularization(input_noise=0.1))
    assert not noisy._permute(data, order)  # the noise is added to the gathered copy
