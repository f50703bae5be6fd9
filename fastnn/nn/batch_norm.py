"""Batch normalization of a dense layer's pre-activations, forward and backward.

For each unit ``j`` over the ``n`` rows of a batch (PyTorch's convention)::

    mu_j  = mean_i z_ij          var_j = mean_i (z_ij - mu_j)^2      (biased)
    xhat  = (z - mu_j) / sqrt(var_j + eps)
    h     = gamma_j * xhat + beta_j
    running_mu  = (1 - momentum) running_mu  + momentum mu_j
    running_var = (1 - momentum) running_var + momentum var_j * n / (n - 1)

Backward, with ``g = dL/dh`` and ``invstd = 1 / sqrt(var + eps)``::

    dgamma_j = sum_i g_ij xhat_ij        dbeta_j = sum_i g_ij
    dz = invstd / n * (n * g gamma - sum_i(g gamma) - xhat * sum_i(g gamma xhat))

At inference the running statistics replace the batch ones, and the affine map is
folded into the preceding dense layer (:meth:`BatchNorm.fold`): with ``s = gamma /
sqrt(running_var + eps)``, ``W' = W * s`` per column and ``b' = (b - running_mean)
* s + beta``. A frozen layer's batch norm runs in inference mode in training too,
so its backward is the per-unit scale ``dz = g * gamma / sqrt(running_var + eps)``.
"""
import math

import numpy as np

from .jit import kernel
from .layerop import LayerOp, matrix_view, view
from .optable import (
    AUX0,
    BATCH_NORM,
    DELTA,
    DST,
    KIND,
    LAYER,
    P0,
    P1,
    Q0,
    Q1,
    SRC,
    UNITS,
    block,
    vector,
)
from .settings import BATCH_NORM_EPS


@kernel
def batchnorm_train_(Z, gamma, beta, H, mean, invstd, running_mean, running_var,
                     momentum, eps, update_running):
    """Training forward: OUT ``H``; ``Z`` INOUT (overwritten by ``xhat``); OUT ``mean``,
    ``invstd``; INOUT running statistics (updated when ``update_running``).

    Every pass walks the row-major arrays row by row; the per-unit sums
    accumulate in ``mean`` / ``invstd`` (float64 in the training workspace).
    """
    n, m = Z.shape
    mean[:] = 0.0
    for i in range(n):
        for j in range(m):
            mean[j] += Z[i, j]
    for j in range(m):
        mean[j] /= n
    invstd[:] = 0.0  # holds the sum of squared deviations first
    for i in range(n):
        for j in range(m):
            d = Z[i, j] - mean[j]
            invstd[j] += d * d
    for j in range(m):
        var = invstd[j] / n
        invstd[j] = 1.0 / math.sqrt(var + eps)
        if update_running and n > 1:
            running_mean[j] = (1.0 - momentum) * running_mean[j] + momentum * mean[j]
            running_var[j] = (1.0 - momentum) * running_var[j] + momentum * var * n / (n - 1)
    for i in range(n):
        for j in range(m):
            xh = (Z[i, j] - mean[j]) * invstd[j]
            Z[i, j] = xh
            H[i, j] = gamma[j] * xh + beta[j]


@kernel
def batchnorm_inference_(Z, gamma, beta, H, running_mean, running_var, eps):
    """Inference forward with running statistics: OUT ``H`` (``Z`` unchanged)."""
    n, m = Z.shape
    for i in range(n):
        for j in range(m):
            scale = gamma[j] / math.sqrt(running_var[j] + eps)
            H[i, j] = (Z[i, j] - running_mean[j]) * scale + beta[j]


@kernel
def batchnorm_backward_(G, xhat, gamma, invstd, ggamma, gbeta):
    """Backward: ``G`` INOUT (``dL/dh`` in, ``dL/dz`` out); OUT ``ggamma``, ``gbeta``."""
    n, m = G.shape
    ggamma[:] = 0.0
    gbeta[:] = 0.0
    for i in range(n):
        for j in range(m):
            g = G[i, j]
            gbeta[j] += g
            ggamma[j] += g * xhat[i, j]
    for i in range(n):
        for j in range(m):
            k = gamma[j] * invstd[j] / n
            G[i, j] = k * (n * G[i, j] - gbeta[j] - xhat[i, j] * ggamma[j])


@kernel
def batchnorm_inference_backward_(G, gamma, running_var, eps):
    """Backward of the inference forward (a frozen layer): ``G`` INOUT,
    ``dL/dh`` in, ``dL/dz = dL/dh * gamma / sqrt(running_var + eps)`` out."""
    n, m = G.shape
    for i in range(n):
        for j in range(m):
            G[i, j] *= gamma[j] / math.sqrt(running_var[j] + eps)


# ----------------------------------------------------------------- op kernels
@kernel
def forward_op_(row, params, buffers, acts, stats, cap, n, batch_stats, update_running,
                momentum, eps):
    """Batch-norm op forward from SRC (overwritten by ``xhat`` with batch
    statistics) into DST: batch statistics when ``batch_stats`` (a training
    batch of a trainable layer), running ones otherwise."""
    m = row[UNITS]
    Z = block(acts, row[SRC], cap, n, m)
    H = block(acts, row[DST], cap, n, m)
    gamma, beta = vector(params, row[P0], m), vector(params, row[P1], m)
    running_mean, running_var = vector(buffers, row[Q0], m), vector(buffers, row[Q1], m)
    if batch_stats:
        c = row[AUX0]
        batchnorm_train_(Z, gamma, beta, H, stats[0, c : c + m], stats[1, c : c + m],
                         running_mean, running_var, momentum, eps, update_running)
    else:
        batchnorm_inference_(Z, gamma, beta, H, running_mean, running_var, eps)


@kernel
def backward_op_(row, params, grads, buffers, acts, deltas, stats, cap, n, trainable, eps):
    """Batch-norm op backward on the layer's delta (INOUT): batch-statistics
    backward and the scale and shift gradients when the layer trains, the
    inference-mode scale when it is frozen."""
    m = row[UNITS]
    D = block(deltas, row[DELTA], cap, n, m)
    gamma = vector(params, row[P0], m)
    if trainable:
        c = row[AUX0]
        batchnorm_backward_(D, block(acts, row[SRC], cap, n, m), gamma, stats[1, c : c + m],
                            vector(grads, row[P0], m), vector(grads, row[P1], m))
    else:
        batchnorm_inference_backward_(D, gamma, vector(buffers, row[Q1], m), eps)


class BatchNorm(LayerOp):
    """Batch norm of a hidden layer's pre-activations.

    Parts: ``gamma``, ``beta`` (trained) and ``running_mean``, ``running_var``
    (buffers); they start at 1, 0, 0 and 1.
    """

    kind = "batch_norm"

    def allocate(self, alloc, src):
        r = self.row
        r[KIND], r[LAYER], r[UNITS], r[SRC] = BATCH_NORM, self.layer, self.units, src
        r[P0] = alloc.params(self.units)
        r[P1] = alloc.params(self.units)
        r[Q0] = alloc.buffers(self.units)
        r[Q1] = alloc.buffers(self.units)
        r[AUX0] = alloc.stats(self.units)
        r[DST] = alloc.block(self.units)
        return r[DST]

    def parts(self, net):
        m = self.units
        return {"gamma": view(net.params, self.row[P0], m),
                "beta": view(net.params, self.row[P1], m),
                "running_mean": view(net.buffers, self.row[Q0], m),
                "running_var": view(net.buffers, self.row[Q1], m)}

    def reset(self, net):
        for name, value in [("gamma", 1.0), ("beta", 0.0), ("running_mean", 0.0),
                            ("running_var", 1.0)]:
            self.parts(net)[name][...] = value

    def n_trained(self):
        return 2 * self.units

    def fold(self, net, step):
        parts = self.parts(net)
        s = parts["gamma"].astype(np.float64) / np.sqrt(
            parts["running_var"].astype(np.float64) + BATCH_NORM_EPS)
        step["W"] = (step["W"] * s).astype(net.dtype)
        step["b"] = ((step["b"] - parts["running_mean"]) * s + parts["beta"]).astype(net.dtype)
