"""Regularisation and stability kernels of the update: input noise, gradient
clipping, max-norm.

Penalties that enter the gradient of each weight matrix (L2 ``alpha`` and ``l1``,
both with scikit-learn's scaling by the batch's total sample weight) live in
:func:`fastnn.nn.dense.finish_param_grads_`; dropout is a layer op
(:mod:`fastnn.nn.dropout`).
"""
import math

from .jit import kernel
from .random import normal


@kernel
def add_gaussian_noise_(X, std, key):
    """``X += std * N(0, 1)`` elementwise (INOUT X): input-noise augmentation."""
    n, m = X.shape
    for i in range(n):
        for j in range(m):
            X[i, j] += std * normal(key, i * m + j)


@kernel
def clip_gradients_(grads, segments, clip_value, clip_norm):
    """Clip each element to ``[-clip_value, clip_value]``, then rescale the whole
    gradient so its L2 norm is at most ``clip_norm`` (INOUT grads; 0 disables either).

    Only the trainable ranges ``grads[start:stop]`` of ``segments`` (rows of
    ``(start, stop, state_start)``, see :func:`.optimizers.segment_step_`) take
    part: frozen parameters have no gradient.
    """
    if clip_value > 0:
        for k in range(segments.shape[0]):
            for i in range(segments[k, 0], segments[k, 1]):
                g = grads[i]
                if g > clip_value:
                    grads[i] = clip_value
                elif g < -clip_value:
                    grads[i] = -clip_value
    if clip_norm > 0:
        sq = 0.0
        for k in range(segments.shape[0]):
            for i in range(segments[k, 0], segments[k, 1]):
                sq += grads[i] * grads[i]
        norm = math.sqrt(sq)
        if norm > clip_norm:
            factor = clip_norm / norm
            for k in range(segments.shape[0]):
                for i in range(segments[k, 0], segments[k, 1]):
                    grads[i] *= factor


@kernel
def max_norm_(W, max_norm):
    """Scale each unit's incoming weight vector (column of ``W``) to L2 norm at most
    ``max_norm`` (INOUT W)."""
    fan_in, fan_out = W.shape
    for j in range(fan_out):
        sq = 0.0
        for i in range(fan_in):
            sq += W[i, j] * W[i, j]
        norm = math.sqrt(sq)
        if norm > max_norm:
            factor = max_norm / norm
            for i in range(fan_in):
                W[i, j] *= factor
