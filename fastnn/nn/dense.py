"""The dense op ``z = a_prev @ W + b``: forward and backward kernels and the op.

Forward and backward sit side by side. GEMMs go to BLAS through ``np.dot(.., out=)``
into preallocated views; the bias is added in its own pass, or, when an
activation follows directly, in the activation's pass (the op's ``FUSED``
column). ``W`` has shape ``(fan_in, fan_out)`` as in scikit-learn. The first
layer multiplies CSR input without densifying it.

Backward, for a batch with weights summing to ``sw_sum`` (``scale = 1 / sw_sum``),
L2 strength ``alpha`` and L1 strength ``l1``; ``D`` is the layer's delta, already
weighted per sample and multiplied by ``scale`` (the output delta is scaled once;
backpropagation is linear, so every delta carries it)::

    dW      = a_prev.T @ D + (alpha * W + l1 * sign(W)) * scale
    db      = sum_rows(D)
    D_prev  = D @ W.T           (then the layer below's ops take it further down)
"""
import numpy as np
from .jit import kernel
from .layerop import LayerOp, matrix_view, view
from .optable import (
    AUX1,
    DELTA,
    DENSE,
    DST,
    FAN_IN,
    FUSED,
    KIND,
    LAYER,
    P0,
    P1,
    SRC,
    UNITS,
    block,
    matrix,
    vector,
)

@kernel
def add_bias_(Z, b):
    """``Z += b`` (INOUT Z)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            Z[i, j] += b[j]


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


# ----------------------------------------------------------------- op kernels
@kernel
def forward_op_(row, params, acts, Xin, rows, data, cap, n, sparse):
    """Dense op forward: ``Z = A_in @ W`` into DST, plus the bias unless the next
    op adds it. ``A_in`` is the SRC block, or the batch input ``Xin`` (dense) /
    rows ``rows`` of the CSR matrix in ``data`` when SRC is -1."""
    m = row[UNITS]
    W = matrix(params, row[P0], row[FAN_IN], m)
    Z = block(acts, row[DST], cap, n, m)
    if row[SRC] >= 0:
        np.dot(block(acts, row[SRC], cap, n, row[FAN_IN]), W, Z)
    elif sparse:
        csr_matmul_(data.data, data.indices, data.indptr, rows, W, Z)
    else:
        np.dot(Xin, W, Z)
    if row[FUSED] == 0:
        add_bias_(Z, vector(params, row[P1], m))


@kernel
def backward_op_(row, params, grads, acts, deltas, Xin, rows, data, cap, n, sparse,
                 trainable, propagate, alpha, l1, scale):
    """Dense op backward from its layer's delta ``D``: the weight and bias
    gradients when ``trainable`` (OUT grads), then ``D_prev = D @ W.T`` into the
    layer below's delta block when ``propagate``.

    Returns ``(sum(W ** 2), sum(|W|))`` of a trainable layer (0 otherwise), for
    the penalty terms of the loss.
    """
    m = row[UNITS]
    fan_in = row[FAN_IN]
    W = matrix(params, row[P0], fan_in, m)
    D = block(deltas, row[DELTA], cap, n, m)
    s1 = 0.0
    s2 = 0.0
    if trainable:
        gW = matrix(grads, row[P0], fan_in, m)
        gb = vector(grads, row[P1], m)
        if row[SRC] >= 0:
            s1, s2 = dense_backward_(D, block(acts, row[SRC], cap, n, fan_in), W, gW, gb,
                                     alpha, l1, scale)
        elif sparse:
            csr_weight_grad_(data.data, data.indices, data.indptr, rows, D, gW)
            s1, s2 = finish_param_grads_(D, W, gW, gb, alpha, l1, scale)
        else:
            s1, s2 = dense_backward_(D, Xin, W, gW, gb, alpha, l1, scale)
    if propagate:
        np.dot(D, W.T, block(deltas, row[AUX1], cap, n, fan_in))
    return s1, s2


class Dense(LayerOp):
    """The dense op of layer ``layer``: ``W`` (``fan_in x fan_out``) and ``b``.

    Parameters
    ----------
    layer : int
    fan_in, fan_out : int
    fused : bool
        Whether the activation right after adds the bias (one pass for both).
    """

    kind = "dense"

    def __init__(self, layer, fan_in, fan_out, fused=False):
        super().__init__(layer, fan_out)
        self.fan_in = int(fan_in)
        self.fused = bool(fused)

    def allocate(self, alloc, src):
        r = self.row
        r[KIND], r[LAYER], r[UNITS], r[FAN_IN], r[SRC] = (
            DENSE, self.layer, self.units, self.fan_in, src)
        r[P0] = alloc.params(self.fan_in * self.units)
        r[P1] = alloc.params(self.units)
        r[FUSED] = int(self.fused)
        r[DST] = alloc.block(self.units)
        return r[DST]

    def weights(self, buf):
        """``(W, b)`` views of any buffer laid out like ``params``."""
        return (matrix_view(buf, self.row[P0], self.fan_in, self.units),
                view(buf, self.row[P1], self.units))

    def n_trained(self):
        return (self.fan_in + 1) * self.units

    def fold(self, net, step):
        step["W"], step["b"] = self.weights(net.params)

    def onnx(self, g, x, step):
        z = g.node("MatMul", [x, g.const(step["W"], "coefficient")], "mul_result")
        return g.node("Add", [z, g.const(step["b"], "intercepts")], "add_result")

    def describe(self):
        return {**super().describe(), "fan_in": self.fan_in}
