"""Whole-network kernels: forward, backward and the minibatch training loop.

Parameters live in one flat buffer ``params`` (gradients in ``grads``, same
layout); non-trained per-layer values (fixed activation slopes, batch-norm
running statistics) in ``buffers``. ``layout`` has one int64 row per layer with
the columns below (``-1`` where a layer has no such part):

==========  ==============================================================
W_OFF       offset of ``W`` (``fan_in x fan_out``, row-major) in params
B_OFF       offset of ``b`` in params
FAN_IN      inputs of the layer
FAN_OUT     units of the layer
GAMMA_OFF   batch-norm scale in params
BETA_OFF    batch-norm shift in params
PSLOPE_OFF  learned PReLU slopes in params
SLOPE_OFF   fixed negative-side slopes in buffers (every hidden layer)
MEAN_OFF    batch-norm running mean in buffers
VAR_OFF     batch-norm running variance in buffers
COL_OFF     sum of ``fan_out`` of the layers before: workspace column offset
==========  ==============================================================

Per-layer activations of a batch live in one flat workspace ``work``; buffer
``k`` (Z, H, A, P, D, M, R below) starts at ``wbase[k]`` and layer ``l``'s
``(n, fan_out)`` block at ``wbase[k] + cap * layout[l, COL_OFF]``, ``cap`` being
the workspace's row capacity. Unused buffers have no space. Nothing here
allocates: every array is a view.

Per hidden layer: ``Z = A_in @ W + b``; with batch norm ``Z`` becomes ``xhat``
and ``H = gamma xhat + beta`` (without, the pre-activation is ``Z`` itself);
``A = f(H)``; with dropout ``P = A * M`` feeds the next layer instead of ``A``.
``R`` holds RReLU's per-element random slopes in training. ``stats`` holds each
batch-norm layer's batch mean (row 0) and ``1 / std`` (row 1), in float64.

Frozen layers (``frozen[l] != 0``, transfer learning) keep every parameter: their
batch norm runs in inference mode (running statistics, not updated), the backward
pass computes no gradient for them and stops below the lowest trainable layer, and
the optimizer, clipping and max-norm touch only the trainable ranges ``segments``.
"""
import math

import numpy as np

from .._jit import kernel
from .activations import (
    RRELU,
    RRELU_LOWER,
    RRELU_UPPER,
    activation_,
    activation_backward_,
    bias_activation_,
)
from .dense import (
    add_bias_,
    csr_matmul_,
    csr_weight_grad_,
    dense_backward_,
    finish_param_grads_,
)
from .losses import loss_delta_, output_activation_
from .normalization import (
    batchnorm_backward_,
    batchnorm_inference_,
    batchnorm_inference_backward_,
    batchnorm_train_,
)
from .optimizers import (
    ALPHA,
    BN_EPS,
    BN_MOMENTUM,
    CLIP_NORM,
    CLIP_VALUE,
    INPUT_NOISE,
    L1,
    MAX_NORM,
    segment_step_,
)
from .random import stream_key, uniform
from .regularization import add_gaussian_noise_, clip_gradients_, dropout_, max_norm_

(W_OFF, B_OFF, FAN_IN, FAN_OUT, GAMMA_OFF, BETA_OFF, PSLOPE_OFF, SLOPE_OFF, MEAN_OFF,
 VAR_OFF, COL_OFF) = range(11)
LAYOUT_COLUMNS = 11
# Workspace buffers.
ZB, HB, AB, PB, DB, MB, RB = range(7)
N_WORK = 7
# Random streams per batch and layer.
_DROPOUT_STREAM, _RRELU_STREAM, _NOISE_STREAM = range(3)


@kernel
def layer_params(buf, layout, l):
    """Views ``(W, b)`` of layer ``l`` in a flat parameter (or gradient) buffer."""
    w_off = layout[l, W_OFF]
    b_off = layout[l, B_OFF]
    fan_in = layout[l, FAN_IN]
    fan_out = layout[l, FAN_OUT]
    W = buf[w_off : w_off + fan_in * fan_out].reshape((fan_in, fan_out))
    return W, buf[b_off : b_off + fan_out]


@kernel
def rows_view(buf, offset, n, m):
    """Row-major ``(n, m)`` view of a flat buffer starting at ``offset``."""
    return buf[offset : offset + n * m].reshape((n, m))


@kernel
def work_view(work, wbase, k, layout, l, cap, n):
    """Layer ``l``'s ``(n, fan_out)`` block of workspace buffer ``k``."""
    return rows_view(work, wbase[k] + cap * layout[l, COL_OFF], n, layout[l, FAN_OUT])


@kernel
def random_key(seed, batch_index, kind, layer, n_layers):
    """Random stream of one batch, purpose (dropout, rrelu, noise) and layer."""
    return stream_key(seed, (batch_index * 3 + kind) * (n_layers + 1) + layer)


@kernel
def slopes(params, buffers, layout, l, code, work, wbase, cap, n, training, key):
    """Negative-side slopes of hidden layer ``l``: ``(1, m)`` per unit, or ``(n, m)``
    freshly drawn from ``U(lower, upper)`` for RReLU in training."""
    m = layout[l, FAN_OUT]
    if code == RRELU and training:
        R = work_view(work, wbase, RB, layout, l, cap, n)
        for i in range(n):
            for j in range(m):
                R[i, j] = RRELU_LOWER + (RRELU_UPPER - RRELU_LOWER) * uniform(key, i * m + j)
        return R
    p = layout[l, PSLOPE_OFF]
    if p >= 0:
        return params[p : p + m].reshape((1, m))
    s = layout[l, SLOPE_OFF]
    return buffers[s : s + m].reshape((1, m))


@kernel
def forward_batch_(Xin, data, indices, indptr, rows, sparse, params, buffers, layout,
                   dropout, frozen, hidden_code, hyper, work, wbase, stats, cap, training,
                   update_running, seed, batch_index):
    """Forward pass of a batch through every layer (OUT the workspace and ``stats``).

    In training (``training`` true) batch norm uses batch statistics (and updates
    the running ones when ``update_running``) except in frozen layers, dropout and
    RReLU draw from ``seed``; otherwise running statistics are used and dropout is
    the identity.
    The last layer's ``Z`` block holds the output pre-activations.
    """
    n_layers = layout.shape[0]
    n = rows.shape[0] if sparse else Xin.shape[0]
    A_in = Xin
    for l in range(n_layers):
        W, b = layer_params(params, layout, l)
        m = layout[l, FAN_OUT]
        Z = work_view(work, wbase, ZB, layout, l, cap, n)
        if l == 0 and sparse:
            csr_matmul_(data, indices, indptr, rows, W, Z)
        else:
            np.dot(A_in, W, Z)
        if l == n_layers - 1:
            add_bias_(Z, b)
            break
        key = random_key(seed, batch_index, _RRELU_STREAM, l, n_layers)
        S = slopes(params, buffers, layout, l, hidden_code, work, wbase, cap, n, training, key)
        A = work_view(work, wbase, AB, layout, l, cap, n)
        g_off = layout[l, GAMMA_OFF]
        if g_off >= 0:
            add_bias_(Z, b)
            H = work_view(work, wbase, HB, layout, l, cap, n)
            gamma = params[g_off : g_off + m]
            beta = params[layout[l, BETA_OFF] : layout[l, BETA_OFF] + m]
            rm = buffers[layout[l, MEAN_OFF] : layout[l, MEAN_OFF] + m]
            rv = buffers[layout[l, VAR_OFF] : layout[l, VAR_OFF] + m]
            if training and frozen[l] == 0:
                c = layout[l, COL_OFF]
                batchnorm_train_(Z, gamma, beta, H, stats[0, c : c + m], stats[1, c : c + m],
                                 rm, rv, hyper[BN_MOMENTUM], hyper[BN_EPS], update_running)
            else:
                batchnorm_inference_(Z, gamma, beta, H, rm, rv, hyper[BN_EPS])
            activation_(H, A, hidden_code, S)
        else:
            bias_activation_(Z, b, A, hidden_code, S)
        if training and dropout[l] > 0:
            M = work_view(work, wbase, MB, layout, l, cap, n)
            P = work_view(work, wbase, PB, layout, l, cap, n)
            dropout_(A, M, P, dropout[l],
                     random_key(seed, batch_index, _DROPOUT_STREAM, l, n_layers))
            A_in = P
        else:
            A_in = A


@kernel
def layer_output(work, wbase, layout, dropout, l, cap, n):
    """What hidden layer ``l`` passed to the next layer in training (``P`` or ``A``)."""
    if dropout[l] > 0:
        return work_view(work, wbase, PB, layout, l, cap, n)
    return work_view(work, wbase, AB, layout, l, cap, n)


@kernel
def backward_batch_(Xin, data, indices, indptr, rows, sparse, params, grads, buffers,
                    layout, dropout, frozen, hidden_code, hyper, work, wbase, stats, cap,
                    scale, seed, batch_index):
    """Backward pass of a training batch whose output delta is in the ``D`` block,
    already multiplied by ``scale = 1 / sum(sample_weight)`` (so every delta and
    gradient carries it; ``scale`` here only scales the penalties).

    Writes the gradient of every trainable layer into ``grads`` (OUT; a frozen
    layer's entries are not touched) and the hidden deltas down to the lowest
    trainable layer into the workspace. Returns ``(sum(W ** 2), sum(|W|))`` over
    the trainable layers.
    """
    n_layers = layout.shape[0]
    lowest = 0  # the lowest trainable layer: deltas are not needed below it
    while frozen[lowest] != 0:
        lowest += 1
    n = rows.shape[0] if sparse else Xin.shape[0]
    alpha = hyper[ALPHA]
    l1 = hyper[L1]
    sq = 0.0
    absolute = 0.0
    for l in range(n_layers - 1, lowest - 1, -1):
        W, _ = layer_params(params, layout, l)
        trainable = frozen[l] == 0
        gW, gb = layer_params(grads, layout, l)
        m = layout[l, FAN_OUT]
        D = work_view(work, wbase, DB, layout, l, cap, n)
        if l < n_layers - 1:  # D holds dL/d(layer output): take it back to dL/dZ
            if dropout[l] > 0:
                M = work_view(work, wbase, MB, layout, l, cap, n)
                for i in range(n):
                    for j in range(m):
                        D[i, j] *= M[i, j]
            g_off = layout[l, GAMMA_OFF]
            Z = work_view(work, wbase, ZB, layout, l, cap, n)
            pre = work_view(work, wbase, HB, layout, l, cap, n) if g_off >= 0 else Z
            A = work_view(work, wbase, AB, layout, l, cap, n)
            S = slopes(params, buffers, layout, l, hidden_code, work, wbase, cap, n, False, 0)
            if hidden_code == RRELU:
                S = work_view(work, wbase, RB, layout, l, cap, n)
            p = layout[l, PSLOPE_OFF]
            gslope = grads[p : p + m] if (p >= 0 and trainable) else grads[0:0]
            activation_backward_(D, pre, A, hidden_code, S, gslope)
            if g_off >= 0 and trainable:
                b_off = layout[l, BETA_OFF]
                c = layout[l, COL_OFF]
                batchnorm_backward_(D, Z, params[g_off : g_off + m], stats[1, c : c + m],
                                    grads[g_off : g_off + m], grads[b_off : b_off + m])
            elif g_off >= 0:
                v_off = layout[l, VAR_OFF]
                batchnorm_inference_backward_(D, params[g_off : g_off + m],
                                              buffers[v_off : v_off + m], hyper[BN_EPS])
        if trainable:
            if l == 0:
                if sparse:
                    csr_weight_grad_(data, indices, indptr, rows, D, gW)
                    s1, s2 = finish_param_grads_(D, W, gW, gb, alpha, l1, scale)
                else:
                    s1, s2 = dense_backward_(D, Xin, W, gW, gb, alpha, l1, scale)
            else:
                A_prev = layer_output(work, wbase, layout, dropout, l - 1, cap, n)
                s1, s2 = dense_backward_(D, A_prev, W, gW, gb, alpha, l1, scale)
            sq += s1
            absolute += s2
        if l > lowest:  # the layer below still needs its delta
            np.dot(D, W.T, work_view(work, wbase, DB, layout, l - 1, cap, n))
    return sq, absolute


@kernel
def scale_(D, scale):
    """``D *= scale`` (INOUT D)."""
    dt = D.dtype.type
    s = dt(scale)
    n, m = D.shape
    for i in range(n):
        for j in range(m):
            D[i, j] *= s


@kernel
def train_epoch_(X, data, indices, indptr, sparse, Y, sw, order, gather, batch_size,
                 params, grads, buffers, layout, dropout, frozen, segments, hidden_code,
                 out_code, Xb, Yb, swb, work, wbase, stats, opt_code, state, hyper, step, seed,
                 update_running):
    """One pass over the rows in ``order``: forward, backward and update per batch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense input (an empty ``(0, n_features)`` array when ``sparse``).
    data, indices, indptr : ndarray
        CSR input when ``sparse`` is true (``indices``/``indptr`` int64).
    sparse : bool
        Whether the input is the CSR matrix.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in the compute dtype.
    sw : ndarray of shape (n_samples,)
        Sample weights.
    order : ndarray of int64
        Row order of this epoch. When ``gather`` is false it must be
        ``arange(n)``, and batches are read in place; otherwise they are copied
        into ``Xb`` / ``Yb`` / ``swb`` (and input noise is added there).
    gather : bool
        See ``order``.
    batch_size : int
        Rows per batch (the last batch may be smaller); the workspace capacity.
    params, grads, buffers : ndarray
        INOUT parameters, OUT gradients, INOUT running statistics.
    layout : ndarray of int64
        Network layout (see the module docstring).
    dropout : ndarray of float64
        Dropout rate of each layer (0 for none; the output layer's is 0).
    frozen : ndarray of int64
        Nonzero for each frozen layer (the output layer is never frozen).
    segments : ndarray of int64 of shape (n_segments, 3)
        Trainable ranges of ``params``: ``(start, stop, state_start)`` per row;
        the optimizer state of a range is ``state[:, state_start:...]``.
    hidden_code, out_code : int
        Hidden and output activation codes.
    Xb, Yb, swb, work, wbase, stats : ndarray
        Preallocated workspaces.
    opt_code : int
        Optimizer code, or ``NO_UPDATE`` to only compute loss and gradients.
    state : ndarray of shape (n_state, n_trainable)
        INOUT optimizer state of the trainable parameters.
    hyper : ndarray of float64
        Optimizer and regularisation settings (see :mod:`.optimizers`).
    step : int
        Number of updates made before this call.
    seed : int
        Seed of this epoch's random streams (dropout, RReLU, input noise).
    update_running : bool
        Whether batch norm updates its running statistics.

    Returns
    -------
    loss_sum : float
        Sum over batches of ``batch_loss * batch_rows``, where ``batch_loss`` is the
        weighted mean loss plus ``(alpha / 2 ||W||^2 + l1 |W|) / sum(sw)``; NaN or
        inf as soon as a batch loss is not finite, in which case that batch made no
        update.
    step : int
        Number of updates made after this call.
    first_loss : float
        Loss of the first batch (before its update): a scale for divergence checks.
    """
    n = order.shape[0]
    n_layers = layout.shape[0]
    noise = hyper[INPUT_NOISE]
    total = 0.0
    first_loss = math.nan
    batch_index = 0
    for start in range(0, n, batch_size):
        end = min(start + batch_size, n)
        bs = end - start
        rows = order[start:end]
        if gather:
            if not sparse:
                for i in range(bs):
                    Xb[i, :] = X[rows[i], :]
                if noise > 0:
                    add_gaussian_noise_(Xb[:bs], noise,
                                        random_key(seed, batch_index, _NOISE_STREAM, 0, n_layers))
            for i in range(bs):
                Yb[i, :] = Y[rows[i], :]
                swb[i] = sw[rows[i]]
            Xin = Xb[:bs]
            Yin = Yb[:bs]
            swin = swb[:bs]
        else:
            Xin = X[start:end]
            Yin = Y[start:end]
            swin = sw[start:end]
        sw_sum = 0.0
        for i in range(bs):
            sw_sum += swin[i]
        if sw_sum <= 0.0:
            batch_index += 1
            continue
        scale = 1.0 / sw_sum
        forward_batch_(Xin, data, indices, indptr, rows, sparse, params, buffers, layout,
                       dropout, frozen, hidden_code, hyper, work, wbase, stats, batch_size,
                       True, update_running, seed, batch_index)
        A_out = work_view(work, wbase, ZB, layout, n_layers - 1, batch_size, bs)
        D_out = work_view(work, wbase, DB, layout, n_layers - 1, batch_size, bs)
        output_activation_(out_code, A_out)
        loss_sum = loss_delta_(out_code, A_out, Yin, swin, D_out)
        scale_(D_out, scale)
        sq, absolute = backward_batch_(Xin, data, indices, indptr, rows, sparse, params,
                                       grads, buffers, layout, dropout, frozen, hidden_code,
                                       hyper, work, wbase, stats, batch_size, scale, seed,
                                       batch_index)
        batch_loss = (loss_sum + 0.5 * hyper[ALPHA] * sq + hyper[L1] * absolute) * scale
        total += batch_loss * bs
        if batch_index == 0:
            first_loss = batch_loss
        if not math.isfinite(batch_loss):
            return total, step, first_loss
        if opt_code >= 0:
            clip_gradients_(grads, segments, hyper[CLIP_VALUE], hyper[CLIP_NORM])
            step += 1
            for k in range(segments.shape[0]):
                segment_step_(opt_code, params, grads, state, hyper, step, segments[k, 0],
                              segments[k, 1], segments[k, 2])
            if hyper[MAX_NORM] > 0:
                for l in range(n_layers):
                    if frozen[l] != 0:
                        continue
                    W, _ = layer_params(params, layout, l)
                    max_norm_(W, hyper[MAX_NORM])
        batch_index += 1
    return total, step, first_loss


@kernel
def predict_(X, params, buffers, layout, hidden_code, out_code, hyper, work, wbase):
    """Inference forward pass in Numba: running statistics, no dropout, mean RReLU
    slope (the reference the folded Cython path is tested against). Returns a copy
    of the output activations."""
    n_layers = layout.shape[0]
    n = X.shape[0]
    empty_f = np.empty(0, dtype=X.dtype)
    empty_i = np.empty(0, dtype=np.int64)
    no_dropout = np.zeros(n_layers)
    not_frozen = np.zeros(n_layers, dtype=np.int64)
    stats = np.empty((2, 0))
    forward_batch_(X, empty_f, empty_i, empty_i, empty_i, False, params, buffers, layout,
                   no_dropout, not_frozen, hidden_code, hyper, work, wbase, stats, n, False,
                   False, 0, 0)
    out = work_view(work, wbase, ZB, layout, n_layers - 1, n, n)
    output_activation_(out_code, out)
    return out.copy()
