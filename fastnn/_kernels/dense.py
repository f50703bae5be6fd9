"""Fused dense-layer kernels: ``z = a_prev @ W + b``, ``a = f(z)``.

Forward and backward sit side by side. GEMMs go to BLAS through ``np.dot(.., out=)``
into preallocated views; everything elementwise is one fused pass over the output.
``W`` has shape ``(fan_in, fan_out)`` as in scikit-learn.

``S`` holds the negative-side slopes of the leaky ReLU family: shape ``(1, m)``
for one slope per unit (fixed, or learned by PReLU) or ``(n, m)`` for one per
element (RReLU in training); other activations ignore it.

Backward, for a batch with weights summing to ``sw_sum`` (``scale = 1 / sw_sum``),
L2 strength ``alpha`` and L1 strength ``l1`` (``D`` is the layer's delta, already
weighted per sample)::

    dW      = (a_prev.T @ D + alpha * W + l1 * sign(W)) * scale
    db      = sum_rows(D) * scale
    D_prev  = (D @ W.T) * f'(z_prev)
"""
import numpy as np

from .._jit import kernel
from .activations import activate, activate_grad


@kernel
def bias_activation_(Z, b, A, code, S):
    """Fused pass: ``Z += b`` then ``A = f(Z)`` (INOUT Z, OUT A)."""
    n, m = Z.shape
    per_element = S.shape[0] > 1
    for i in range(n):
        si = i if per_element else 0
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            A[i, j] = activate(code, z, S[si, j])


@kernel
def activation_(H, A, code, S):
    """``A = f(H)`` (OUT A)."""
    n, m = H.shape
    per_element = S.shape[0] > 1
    for i in range(n):
        si = i if per_element else 0
        for j in range(m):
            A[i, j] = activate(code, H[i, j], S[si, j])


@kernel
def activation_backward_(G, H, A, code, S, gslope, scale):
    """``G *= f'(H)`` (INOUT G: ``dL/da`` in, ``dL/dh`` out).

    When ``gslope`` is not empty (PReLU) it receives the slope gradient
    ``scale * sum_i G_ij * min(H_ij, 0)`` (OUT).
    """
    n, m = G.shape
    per_element = S.shape[0] > 1
    want_slope = gslope.shape[0] > 0
    if want_slope:
        gslope[:] = 0.0
    for i in range(n):
        si = i if per_element else 0
        for j in range(m):
            g = G[i, j]
            h = H[i, j]
            if want_slope and h < 0:
                gslope[j] += g * h
            G[i, j] = g * activate_grad(code, h, A[i, j], S[si, j])
    if want_slope:
        for j in range(m):
            gslope[j] *= scale


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
    """Add the penalties and scale: ``gW = (gW + alpha W + l1 sign(W)) * scale``,
    ``gb = sum_rows(D) * scale``.

    INOUT gW (holds ``a_prev.T @ D`` on entry); OUT gb.

    Returns
    -------
    sq, absolute : float
        ``sum(W ** 2)`` and ``sum(|W|)``, for the penalty terms of the loss.
    """
    sq = 0.0
    absolute = 0.0
    fan_in, fan_out = W.shape
    for i in range(fan_in):
        for j in range(fan_out):
            w = W[i, j]
            sq += w * w
            g = gW[i, j] + alpha * w
            if l1 > 0:
                absolute += abs(w)
                if w > 0:
                    g += l1
                elif w < 0:
                    g -= l1
            gW[i, j] = g * scale
    gb[:] = 0.0
    for i in range(D.shape[0]):
        for j in range(fan_out):
            gb[j] += D[i, j]
    for j in range(fan_out):
        gb[j] *= scale
    return sq, absolute


@kernel
def dense_backward_(D, A_prev, W, gW, gb, alpha, l1, scale):
    """Weight and bias gradients of a dense layer with dense input.

    OUT gW, gb. Returns ``(sum(W ** 2), sum(|W|))``; see :func:`finish_param_grads_`.
    """
    np.dot(A_prev.T, D, gW)
    return finish_param_grads_(D, W, gW, gb, alpha, l1, scale)
