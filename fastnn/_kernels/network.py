"""Whole-network kernels: forward, backward and the minibatch training loop.

The network's parameters live in one flat buffer; ``layout`` (int64, one row per
layer: ``w_offset, b_offset, fan_in, fan_out``) says where each layer's ``W``
(``fan_in x fan_out``, row-major) and ``b`` sit. Its gradients live in a buffer
of the same layout. Per-layer activations live in flat workspaces ``Zbuf``
(pre-activations), ``Abuf`` (activations) and ``Dbuf`` (deltas), layer ``l``
starting at ``act_off[l]``. Nothing here allocates: every array is a view.

The first layer reads either a dense batch ``Xin`` or, when ``sparse`` is true,
rows ``rows`` of a CSR matrix ``(data, indices, indptr)`` without densifying it.
"""
import math

import numpy as np

from .._jit import kernel
from .dense import (
    add_bias_,
    bias_activation_,
    csr_matmul_,
    csr_weight_grad_,
    dense_backward_,
    finish_param_grads_,
    input_delta_,
)
from .losses import loss_delta_, output_activation_
from .optimizers import optimizer_step_

W_OFF, B_OFF, FAN_IN, FAN_OUT = range(4)


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
    """Row-major ``(n, m)`` view of a flat workspace starting at ``offset``."""
    return buf[offset : offset + n * m].reshape((n, m))


@kernel
def forward_batch_(Xin, data, indices, indptr, rows, sparse, params, layout, act_off,
                   Zbuf, Abuf, hidden_code):
    """Forward pass of a batch through every layer (OUT Zbuf, Abuf).

    The last layer's ``Z`` holds the output pre-activations (bias added, output
    activation not yet applied).
    """
    n_layers = layout.shape[0]
    n = rows.shape[0] if sparse else Xin.shape[0]
    A_prev = Xin
    for l in range(n_layers):
        W, b = layer_params(params, layout, l)
        fan_out = layout[l, FAN_OUT]
        Z = rows_view(Zbuf, act_off[l], n, fan_out)
        if l == 0 and sparse:
            csr_matmul_(data, indices, indptr, rows, W, Z)
        else:
            np.dot(A_prev, W, Z)
        if l < n_layers - 1:
            A = rows_view(Abuf, act_off[l], n, fan_out)
            bias_activation_(Z, b, A, hidden_code)
            A_prev = A
        else:
            add_bias_(Z, b)


@kernel
def backward_batch_(Xin, data, indices, indptr, rows, sparse, params, grads, layout,
                    act_off, Zbuf, Abuf, Dbuf, hidden_code, alpha, scale):
    """Backward pass of a batch whose output delta is already in ``Dbuf``.

    Writes every layer's gradient into ``grads`` (OUT) and every hidden delta
    into ``Dbuf``. Returns ``sum(W ** 2)`` over all layers for the L2 term.
    """
    n_layers = layout.shape[0]
    n = rows.shape[0] if sparse else Xin.shape[0]
    sq = 0.0
    for l in range(n_layers - 1, -1, -1):
        W, _ = layer_params(params, layout, l)
        gW, gb = layer_params(grads, layout, l)
        fan_in = layout[l, FAN_IN]
        D = rows_view(Dbuf, act_off[l], n, layout[l, FAN_OUT])
        if l == 0:
            if sparse:
                csr_weight_grad_(data, indices, indptr, rows, D, gW)
                sq += finish_param_grads_(D, W, gW, gb, alpha, scale)
            else:
                sq += dense_backward_(D, Xin, W, gW, gb, alpha, scale)
        else:
            A_prev = rows_view(Abuf, act_off[l - 1], n, fan_in)
            Z_prev = rows_view(Zbuf, act_off[l - 1], n, fan_in)
            D_prev = rows_view(Dbuf, act_off[l - 1], n, fan_in)
            sq += dense_backward_(D, A_prev, W, gW, gb, alpha, scale)
            input_delta_(D, W, Z_prev, A_prev, D_prev, hidden_code)
    return sq


@kernel
def train_epoch_(X, data, indices, indptr, sparse, Y, sw, order, shuffled, batch_size,
                 params, grads, layout, act_off, hidden_code, out_code, alpha,
                 Xb, Yb, swb, Zbuf, Abuf, Dbuf, opt_code, state, hyper, step):
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
        Row order of this epoch; ``arange(n)`` when ``shuffled`` is false, in
        which case batches are read in place rather than gathered into
        ``Xb`` / ``Yb`` / ``swb``.
    shuffled : bool
        See ``order``.
    batch_size : int
        Rows per batch (the last batch may be smaller).
    params, grads : ndarray
        INOUT flat parameter buffer and OUT flat gradient buffer.
    layout, act_off : ndarray of int64
        Buffer layout (see the module docstring).
    hidden_code, out_code : int
        Hidden and output activation codes.
    alpha : float
        L2 strength (scikit-learn's scaling: ``alpha / (2 sw_sum) * ||W||^2``).
    Xb, Yb, swb, Zbuf, Abuf, Dbuf : ndarray
        Preallocated workspaces.
    opt_code : int
        Optimizer code, or ``NO_UPDATE`` to only compute loss and gradients.
    state : ndarray of shape (n_state, n_params)
        INOUT optimizer state.
    hyper : ndarray of float64
        Optimizer settings (see :mod:`.optimizers`).
    step : int
        Number of updates made before this call.

    Returns
    -------
    loss_sum : float
        Sum over batches of ``batch_loss * batch_rows``; NaN or inf as soon as a
        batch loss is not finite, in which case that batch made no update.
    step : int
        Number of updates made after this call.
    """
    n = order.shape[0]
    n_layers = layout.shape[0]
    n_out = layout[n_layers - 1, FAN_OUT]
    total = 0.0
    for start in range(0, n, batch_size):
        end = min(start + batch_size, n)
        bs = end - start
        rows = order[start:end]
        if shuffled:
            if not sparse:
                for i in range(bs):
                    Xb[i, :] = X[rows[i], :]
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
            continue
        scale = 1.0 / sw_sum
        forward_batch_(Xin, data, indices, indptr, rows, sparse, params, layout, act_off,
                       Zbuf, Abuf, hidden_code)
        A_out = rows_view(Zbuf, act_off[n_layers - 1], bs, n_out)
        D_out = rows_view(Dbuf, act_off[n_layers - 1], bs, n_out)
        output_activation_(out_code, A_out)
        loss_sum = loss_delta_(out_code, A_out, Yin, swin, D_out)
        sq = backward_batch_(Xin, data, indices, indptr, rows, sparse, params, grads,
                             layout, act_off, Zbuf, Abuf, Dbuf, hidden_code, alpha, scale)
        batch_loss = (loss_sum + 0.5 * alpha * sq) * scale
        total += batch_loss * bs
        if not math.isfinite(batch_loss):
            return total, step
        if opt_code >= 0:
            step += 1
            optimizer_step_(opt_code, params, grads, state, hyper, step)
    return total, step


@kernel
def predict_(X, params, layout, act_off, Zbuf, Abuf, hidden_code, out_code):
    """Inference forward pass in Numba (the reference the Cython path is tested against).

    OUT: the last layer's ``Z`` in ``Zbuf`` holds the output activations; returns
    a copy of them.
    """
    n_layers = layout.shape[0]
    empty_f = np.empty(0, dtype=X.dtype)
    empty_i = np.empty(0, dtype=np.int64)
    forward_batch_(X, empty_f, empty_i, empty_i, empty_i, False, params, layout, act_off,
                   Zbuf, Abuf, hidden_code)
    out = rows_view(Zbuf, act_off[n_layers - 1], X.shape[0], layout[n_layers - 1, FAN_OUT])
    output_activation_(out_code, out)
    return out.copy()
