"""The layer-norm op: per-row normalisation of a hidden layer's pre-activations.

For each row ``i`` over the ``m`` units of the layer (Ba et al., 2016)::

    mu_i  = mean_j z_ij          var_i = mean_j (z_ij - mu_i)^2
    xhat  = (z - mu_i) / sqrt(var_i + eps)
    h     = gamma_j * xhat + beta_j

Backward, with ``g = dL/dh``, ``gx = g * gamma`` and ``invstd_i = 1 /
sqrt(var_i + eps)``::

    dgamma_j = sum_i g_ij xhat_ij        dbeta_j = sum_i g_ij
    dz_i = invstd_i / m * (m gx_i - sum_j gx_ij - xhat_i * sum_j gx_ij xhat_ij)

Unlike batch norm it uses no batch statistics, so training and inference compute
the same thing, every row is normalised on its own, and it cannot be folded into
the dense layer: the inference pass and the ONNX graph normalise each row.
"""
import math

import numpy as np

from .jit import kernel
from .layerop import LayerOp, matrix_view, view
from .optable import AUX0, DELTA, DST, KIND, LAYER, LAYER_NORM, P0, P1, SRC, UNITS, block, vector
from .settings import LAYER_NORM_EPS


@kernel
def layernorm_forward_(Z, gamma, beta, H, mean, invstd, eps):
    """OUT ``H``; ``Z`` INOUT (overwritten by ``xhat``); OUT the per-row ``mean``
    and ``invstd`` (float64, one entry per row)."""
    n, m = Z.shape
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += Z[i, j]
        mu = s / m
        sq = 0.0
        for j in range(m):
            d = Z[i, j] - mu
            sq += d * d
        k = 1.0 / math.sqrt(sq / m + eps)
        mean[i] = mu
        invstd[i] = k
        for j in range(m):
            xh = (Z[i, j] - mu) * k
            Z[i, j] = xh
            H[i, j] = gamma[j] * xh + beta[j]


@kernel
def layernorm_backward_(G, xhat, gamma, invstd, ggamma, gbeta):
    """``G`` INOUT (``dL/dh`` in, ``dL/dz`` out); OUT ``ggamma``, ``gbeta`` unless
    they are empty (a frozen layer)."""
    n, m = G.shape
    if ggamma.shape[0] > 0:
        ggamma[:] = 0.0
        gbeta[:] = 0.0
        for i in range(n):
            for j in range(m):
                ggamma[j] += G[i, j] * xhat[i, j]
                gbeta[j] += G[i, j]
    for i in range(n):
        s1 = 0.0
        s2 = 0.0
        for j in range(m):
            gx = G[i, j] * gamma[j]
            s1 += gx
            s2 += gx * xhat[i, j]
        k = invstd[i] / m
        for j in range(m):
            G[i, j] = k * (m * G[i, j] * gamma[j] - s1 - xhat[i, j] * s2)


# ----------------------------------------------------------------- op kernels
@kernel
def forward_op_(row, params, acts, row_stats, cap, n, eps):
    """Layer-norm op forward: SRC (overwritten by ``xhat``) -> DST."""
    m = row[UNITS]
    r = row[AUX0]
    layernorm_forward_(block(acts, row[SRC], cap, n, m), vector(params, row[P0], m),
                       vector(params, row[P1], m), block(acts, row[DST], cap, n, m),
                       row_stats[r, :n], row_stats[r + 1, :n], eps)


@kernel
def backward_op_(row, params, grads, acts, deltas, row_stats, cap, n, trainable):
    """Layer-norm op backward on the layer's delta (INOUT); scale and shift
    gradients when the layer trains."""
    m = row[UNITS]
    ggamma = vector(grads, row[P0], m) if trainable else grads[0:0]
    gbeta = vector(grads, row[P1], m) if trainable else grads[0:0]
    layernorm_backward_(block(deltas, row[DELTA], cap, n, m),
                        block(acts, row[SRC], cap, n, m), vector(params, row[P0], m),
                        row_stats[row[AUX0] + 1, :n], ggamma, gbeta)


class LayerNorm(LayerOp):
    """Layer norm of a hidden layer's pre-activations (after batch norm, if both).

    Parts: ``ln_gamma`` and ``ln_beta`` (trained), starting at 1 and 0.
    """

    kind = "layer_norm"

    def allocate(self, alloc, src):
        r = self.row
        r[KIND], r[LAYER], r[UNITS], r[SRC] = LAYER_NORM, self.layer, self.units, src
        r[P0] = alloc.params(self.units)
        r[P1] = alloc.params(self.units)
        r[AUX0] = alloc.rows()
        r[DST] = alloc.block(self.units)
        return r[DST]

    def parts(self, net):
        return {"ln_gamma": view(net.params, self.row[P0], self.units),
                "ln_beta": view(net.params, self.row[P1], self.units)}

    def reset(self, net):
        parts = self.parts(net)
        parts["ln_gamma"][...] = 1.0
        parts["ln_beta"][...] = 0.0

    def n_trained(self):
        return 2 * self.units

    def fold(self, net, step):
        parts = self.parts(net)
        step["norm"] = (parts["ln_gamma"], parts["ln_beta"])

    def onnx(self, g, x, step):
        # means as products with a constant column of 1/m: valid in every opset
        m = self.units
        avg = g.const(np.full((m, 1), 1.0 / m), "row_mean")
        centered = g.node("Sub", [x, g.node("MatMul", [x, avg])], "centered")
        var = g.node("MatMul", [g.node("Mul", [centered, centered]), avg], "row_var")
        std = g.node("Sqrt", [g.node("Add", [var, g.const(LAYER_NORM_EPS, "ln_eps")])])
        gamma, beta = step["norm"]
        scaled = g.node("Mul", [g.node("Div", [centered, std]), g.const(gamma, "ln_gamma")])
        return g.node("Add", [scaled, g.const(beta, "ln_beta")], "layer_norm")
