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
folded into the preceding dense layer (see ``Network.inference_layers``).
"""
import math

from .._jit import kernel


@kernel
def batchnorm_train_(Z, gamma, beta, H, mean, invstd, running_mean, running_var,
                     momentum, eps, update_running):
    """Training forward: OUT ``H``; ``Z`` INOUT (overwritten by ``xhat``); OUT ``mean``,
    ``invstd``; INOUT running statistics (updated when ``update_running``)."""
    n, m = Z.shape
    for j in range(m):
        s = 0.0
        for i in range(n):
            s += Z[i, j]
        mu = s / n
        ss = 0.0
        for i in range(n):
            d = Z[i, j] - mu
            ss += d * d
        var = ss / n
        inv = 1.0 / math.sqrt(var + eps)
        mean[j] = mu
        invstd[j] = inv
        g = gamma[j]
        bt = beta[j]
        for i in range(n):
            xh = (Z[i, j] - mu) * inv
            Z[i, j] = xh
            H[i, j] = g * xh + bt
        if update_running and n > 1:
            running_mean[j] = (1.0 - momentum) * running_mean[j] + momentum * mu
            running_var[j] = (1.0 - momentum) * running_var[j] + momentum * var * n / (n - 1)


@kernel
def batchnorm_inference_(Z, gamma, beta, H, running_mean, running_var, eps):
    """Inference forward with running statistics: OUT ``H`` (``Z`` unchanged)."""
    n, m = Z.shape
    for j in range(m):
        scale = gamma[j] / math.sqrt(running_var[j] + eps)
        shift = beta[j] - running_mean[j] * scale
        for i in range(n):
            H[i, j] = Z[i, j] * scale + shift


@kernel
def batchnorm_backward_(G, xhat, gamma, invstd, ggamma, gbeta, scale):
    """Backward: ``G`` INOUT (``dL/dh`` in, ``dL/dz`` out); OUT ``ggamma``, ``gbeta``
    (multiplied by ``scale``, the batch's ``1 / sum(sample_weight)``)."""
    n, m = G.shape
    for j in range(m):
        sg = 0.0
        sgx = 0.0
        for i in range(n):
            sg += G[i, j]
            sgx += G[i, j] * xhat[i, j]
        ggamma[j] = sgx * scale
        gbeta[j] = sg * scale
        k = gamma[j] * invstd[j] / n
        for i in range(n):
            G[i, j] = k * (n * G[i, j] - sg - xhat[i, j] * sgx)
