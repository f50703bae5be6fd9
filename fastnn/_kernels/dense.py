"""Fused dense-layer kernels: ``z = a_prev @ W + b``, ``a = f(z)``.

Forward and backward sit side by side. GEMMs go to BLAS through ``np.dot(.., out=)``
into preallocated views; everything elementwise is one fused pass over the output.
``W`` has shape ``(fan_in, fan_out)`` as in scikit-learn.

The activation passes themselves (``bias_activation_``, ``activation_``,
``activation_backward_``) live with the activations in :mod:`.activations`.

Backward, for a batch with weights summing to ``sw_sum`` (``scale = 1 / sw_sum``),
L2 strength ``alpha`` and L1 strength ``l1``; ``D`` is the layer's delta, already
weighted per sample and multiplied by ``scale`` (the output delta is scaled once;
backpropagation is linear, so every delta carries it)::

    dW      = a_prev.T @ D + (alpha * W + l1 * sign(W)) * scale
    db      = sum_rows(D)
    D_prev  = (D @ W.T) * f'(z_prev)
"""
import numpy as np

from .._jit import kernel
from .activations import bias_activation_


@kernel
def add_bias_(Z, b):
    """``Z += b`` (INOUT Z)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


@kernel
def dense_forward_(A_prev, W, b, Z, A, code, S):
    """Hidden-layer forward: ``Z = A_prev @ W + b``; ``A = f(Z)`` (OUT Z, A)."""
    np.dot(A_prev, W, Z)
    bias_activation_(Z, b, A, code, S)


@kernel
def csr_matmul_(data, indices, indptr, rows, W, Z):
    """``Z = X[rows] @ W`` for CSR ``X`` without densifying it (OUT Z)."""
    m = W.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(m):
            Z[i, j] = 0.0
        for p in range(indptr[r], indptr[r + 1]):
            v = data[p]
            c = indices[p]
            for j in range(m):
                Z[i, j] += v * W[c, j]


@kernel
def csr_weight_grad_(data, indices, indptr, rows, D, gW):
    """``gW = X[rows].T @ D`` for CSR ``X`` (OUT gW)."""
    gW[:] = 0.0
    m = D.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for p in range(indptr[r], indptr[r + 1]):
            v = data[p]
            c = indices[p]
            for j in range(m):
                gW[c, j] += v * D[i, j]


@kernel
def finish_param_grads_(D, W, gW, gb, alpha, l1, scale):
    """Add the penalties: ``gW += (alpha W + l1 sign(W)) * scale``; ``gb = sum_rows(D)``.

    ``D`` is already scaled by ``scale = 1 / sum(sample_weight)`` (the output delta
    is scaled once and backpropagation is linear), so ``gW = a_prev.T @ D`` needs
    no pass of its own when there is no penalty. INOUT gW; OUT gb. The loop runs
    in the weights' dtype.

    Returns
    -------
    sq, absolute : float
        ``sum(W ** 2)`` (0 when ``alpha == 0``) and ``sum(|W|)`` (0 when
        ``l1 == 0``), for the penalty terms of the loss.
    """
    dt = W.dtype.type
    a, l1_ = dt(alpha * scale), dt(l1 * scale)
    sq = 0.0
    absolute = 0.0
    fan_in, fan_out = W.shape
    if l1 > 0:
        for i in range(fan_in):
            for j in range(fan_out):
                w = W[i, j]
                sq += w * w
                absolute += abs(w)
                sign = dt(1.0) if w > 0 else (dt(-1.0) if w < 0 else dt(0.0))
                gW[i, j] += a * w + l1_ * sign
    elif alpha > 0:
        for i in range(fan_in):
            for j in range(fan_out):
                w = W[i, j]
                sq += w * w
                gW[i, j] += a * w
    gb[:] = 0.0
    for i in range(D.shape[0]):
        for j in range(fan_out):
            gb[j] += D[i, j]
    return sq, absolute


@kernel
def dense_backward_(D, A_prev, W, gW, gb, alpha, l1, scale):
    """Weight and bias gradients of a dense layer with dense input.

    OUT gW, gb. Returns ``(sum(W ** 2), sum(|W|))``; see :func:`finish_param_grads_`.
    """
    np.dot(A_prev.T, D, gW)
    return finish_param_grads_(D, W, gW, gb, alpha, l1, scale)
