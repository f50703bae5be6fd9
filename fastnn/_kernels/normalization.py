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
folded into the preceding dense layer (see ``Network.inference_layers``). A frozen
layer's batch norm runs in inference mode in training too, so its backward is the
per-unit scale ``dz = g * gamma / sqrt(running_var + eps)``.
"""
import math

from .._jit import kernel


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
