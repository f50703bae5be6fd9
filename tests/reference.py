"""Plain-NumPy reference implementations that the compiled kernels are tested against.

Written for clarity, not speed, in float64, following the formulas in the
kernels' docstrings (and scikit-learn's MLP conventions).
"""
import numpy as np
from scipy.special import expit

ACTIVATIONS = {
    "identity": (lambda z: z, lambda z, a: np.ones_like(z)),
    "logistic": (expit, lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a**2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype)),
}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


OUTPUTS = {"identity": lambda z: z, "logistic": expit, "softmax": softmax, "exp": np.exp}


def per_sample_loss(out, a, y):
    """Loss of each sample, summed over outputs (see fastnn._kernels.losses)."""
    eps = np.finfo(a.dtype).eps
    p = np.clip(a, eps, 1 - eps)
    if out == "softmax":
        return -(y * np.log(p)).sum(axis=1)
    if out == "logistic":
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)
    if out == "exp":
        ylog = np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / a), 0.0)
        return (ylog - y + a).sum(axis=1)
    return 0.5 * ((a - y) ** 2).sum(axis=1)


def forward(X, coefs, intercepts, hidden, out):
    """Activations of every layer, input first: ``[X, a_1, ..., a_out]`` and the ``z``s."""
    f = ACTIVATIONS[hidden][0]
    acts, zs = [X], []
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        z = acts[-1] @ W + b
        zs.append(z)
        acts.append(f(z) if l < len(coefs) - 1 else OUTPUTS[out](z))
    return acts, zs


def loss_and_grads(X, Y, sw, coefs, intercepts, hidden, out, alpha):
    """Batch loss and gradients, scikit-learn's weighting and L2 convention."""
    acts, zs = forward(X, coefs, intercepts, hidden, out)
    sw_sum = sw.sum()
    loss = (sw * per_sample_loss(out, acts[-1], Y)).sum() / sw_sum
    loss += 0.5 * alpha * sum((W**2).sum() for W in coefs) / sw_sum
    delta = (acts[-1] - Y) * sw[:, None]
    gW, gb = [None] * len(coefs), [None] * len(coefs)
    for l in range(len(coefs) - 1, -1, -1):
        gW[l] = (acts[l].T @ delta + alpha * coefs[l]) / sw_sum
        gb[l] = delta.sum(axis=0) / sw_sum
        if l > 0:
            delta = (delta @ coefs[l].T) * ACTIVATIONS[hidden][1](zs[l - 1], acts[l])
    return loss, gW, gb


def sgd_step(p, g, vel, lr, momentum, nesterov):
    vel = momentum * vel - lr * g
    return (p + momentum * vel - lr * g if nesterov else p + vel), vel


def adam_step(p, g, m, v, t, lr, beta_1, beta_2, eps):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return p - lr_t * m / (np.sqrt(v) + eps), m, v
