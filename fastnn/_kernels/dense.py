"""Fused dense-layer kernels: ``z = a_prev @ W + b``, ``a = f(z)``.

Forward and backward sit side by side. GEMMs go to BLAS through ``np.dot(.., out=)``
into preallocated views; everything elementwise is one fused pass over the output.
``W`` has shape ``(fan_in, fan_out)`` as in scikit-learn.

Backward, for a batch with weights summing to ``sw_sum`` and L2 strength ``alpha``
(``D`` is the delta of this layer, already weighted per sample)::

    dW      = (a_prev.T @ D + alpha * W) / sw_sum
    db      = sum_rows(D) / sw_sum
    D_prev  = (D @ W.T) * f'(z_prev)
"""
import numpy as np

from .._jit import kernel
from .activations import activate, activate_grad


@kernel
def bias_activation_(Z, b, A, code):
    """Fused pass: ``Z += b`` then ``A = f(Z)`` (INOUT Z, OUT A)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            A[i, j] = activate(code, z)


@kernel
def add_bias_(Z, b):
    """``Z += b`` (INOUT Z)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


@kernel
def activation_grad_(D, Z, A, code):
    """``D *= f'(Z)`` (INOUT D; IN Z, A of the same layer)."""
    n, m = D.shape
    for i in range(n):
        for j in range(m):
            D[i, j] *= activate_grad(code, Z[i, j], A[i, j])


@kernel
def dense_forward_(A_prev, W, b, Z, A, code):
    """Hidden-layer forward: ``Z = A_prev @ W + b``; ``A = f(Z)`` (OUT Z, A)."""
    np.dot(A_prev, W, Z)
    bias_activation_(Z, b, A, code)


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
def finish_param_grads_(D, W, gW, gb, alpha, scale):
    """Add L2 and scale: ``gW = (gW + alpha W) * scale``, ``gb = sum_rows(D) * scale``.

    INOUT gW (holds ``a_prev.T @ D`` on entry); OUT gb.

    Returns
    -------
    float
        ``sum(W ** 2)``, for the L2 term of the loss.
    """
    sq = 0.0
    fan_in, fan_out = W.shape
    for i in range(fan_in):
        for j in range(fan_out):
            w = W[i, j]
            sq += w * w
            gW[i, j] = (gW[i, j] + alpha * w) * scale
    gb[:] = 0.0
    for i in range(D.shape[0]):
        for j in range(fan_out):
            gb[j] += D[i, j]
    for j in range(fan_out):
        gb[j] *= scale
    return sq


@kernel
def dense_backward_(D, A_prev, W, gW, gb, alpha, scale):
    """Weight and bias gradients of a dense layer with dense input.

    OUT gW, gb. Returns ``sum(W ** 2)``; see :func:`finish_param_grads_`.
    """
    np.dot(A_prev.T, D, gW)
    return finish_param_grads_(D, W, gW, gb, alpha, scale)


@kernel
def input_delta_(D, W, Z_prev, A_prev, D_prev, code):
    """Delta of the previous layer: ``D_prev = (D @ W.T) * f'(Z_prev)`` (OUT D_prev)."""
    np.dot(D, W.T, D_prev)
    activation_grad_(D_prev, Z_prev, A_prev, code)
