"""Plain-NumPy reference implementations that the compiled kernels are tested against.

Written for clarity, not speed, in float64, following the formulas in the
kernels' docstrings (and scikit-learn's MLP conventions).
"""
import numpy as np
from scipy.special import erf, expit

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _phi(z):
    return np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)


def _Phi(z):
    return 0.5 * (1 + erf(z / np.sqrt(2)))


# name -> (f(z, s), f'(z, s)); s is the negative-side slope of the leaky family.
ACTIVATIONS = {
    "identity": (lambda z, s: z, lambda z, s: np.ones_like(z)),
    "logistic": (lambda z, s: expit(z), lambda z, s: expit(z) * (1 - expit(z))),
    "tanh": (lambda z, s: np.tanh(z), lambda z, s: 1 - np.tanh(z) ** 2),
    "relu": (lambda z, s: np.maximum(z, 0), lambda z, s: (z > 0) * 1.0),
    "leaky_relu": (lambda z, s: np.where(z > 0, z, s * z), lambda z, s: np.where(z > 0, 1.0, s)),
    "elu": (lambda z, s: np.where(z > 0, z, np.expm1(z)), lambda z, s: np.where(z > 0, 1.0, np.exp(z))),
    "selu": (lambda z, s: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(z)),
             lambda z, s: SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(z))),
    "gelu": (lambda z, s: z * _Phi(z), lambda z, s: _Phi(z) + z * _phi(z)),
    "silu": (lambda z, s: z * expit(z), lambda z, s: expit(z) * (1 + z * (1 - expit(z)))),
    "mish": (lambda z, s: z * np.tanh(np.logaddexp(0, z)), lambda z, s: np.tanh(np.logaddexp(
        0, z)) + z * expit(z) * (1 - np.tanh(np.logaddexp(0, z)) ** 2)),
}
ACTIVATIONS["prelu"] = ACTIVATIONS["rrelu"] = ACTIVATIONS["leaky_relu"]
ACTIVATIONS["sigmoid"] = ACTIVATIONS["logistic"]
FIXED_SLOPE = {"leaky_relu": 0.01, "prelu": 0.25, "rrelu": 11 / 48}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


OUTPUTS = {"identity": lambda z: z, "logistic": expit, "softmax": softmax, "exp": np.exp}


def per_sample_loss(out, a, y):
    """Loss of each sample, summed over outputs (see fastnn.nn.output)."""
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


def batchnorm_train(z, gamma, beta, eps=1e-5):
    mu, var = z.mean(axis=0), z.var(axis=0)
    xhat = (z - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, xhat, mu, var


def batchnorm_backward(g, xhat, gamma, var, eps=1e-5):
    n = g.shape[0]
    dgamma, dbeta = (g * xhat).sum(axis=0), g.sum(axis=0)
    dxhat = g * gamma
    dz = (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (
        n * np.sqrt(var + eps))
    return dz, dgamma, dbeta


def forward(X, coefs, intercepts, hidden, out, slopes=None):
    """Activations of every layer, input first: ``[X, a_1, ..., a_out]`` and the ``z``s."""
    f = ACTIVATIONS[hidden][0]
    acts, zs = [X], []
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        z = acts[-1] @ W + b
        zs.append(z)
        if l < len(coefs) - 1:
            s = FIXED_SLOPE.get(hidden, 0.0) if slopes is None else slopes[l]
            acts.append(f(z, s))
        else:
            acts.append(OUTPUTS[out](z))
    return acts, zs


def loss_and_grads(X, Y, sw, coefs, intercepts, hidden, out, alpha, l1=0.0):
    """Batch loss and gradients, scikit-learn's weighting and L2 convention."""
    acts, zs = forward(X, coefs, intercepts, hidden, out)
    s = FIXED_SLOPE.get(hidden, 0.0)
    sw_sum = sw.sum()
    loss = (sw * per_sample_loss(out, acts[-1], Y)).sum() / sw_sum
    loss += 0.5 * alpha * sum((W**2).sum() for W in coefs) / sw_sum
    loss += l1 * sum(np.abs(W).sum() for W in coefs) / sw_sum
    delta = (acts[-1] - Y) * sw[:, None]
    gW, gb = [None] * len(coefs), [None] * len(coefs)
    for l in range(len(coefs) - 1, -1, -1):
        gW[l] = (acts[l].T @ delta + alpha * coefs[l] + l1 * np.sign(coefs[l])) / sw_sum
        gb[l] = delta.sum(axis=0) / sw_sum
        if l > 0:
            delta = (delta @ coefs[l].T) * ACTIVATIONS[hidden][1](zs[l - 1], s)
    return loss, gW, gb


# Optimizers: one step from (p, g, state, t) -> (p, state).
def sgd_step(p, g, vel, lr, momentum, nesterov):
    vel = momentum * vel - lr * g
    return (p + momentum * vel - lr * g if nesterov else p + vel), vel


def adam_step(p, g, m, v, t, lr, beta_1, beta_2, eps):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return p - lr_t * m / (np.sqrt(v) + eps), m, v


def adagrad_step(p, g, G, lr, eps):
    G = G + g**2
    return p - lr * g / (np.sqrt(G) + eps), G


def rmsprop_step(p, g, s, lr, rho, eps):
    s = rho * s + (1 - rho) * g**2
    return p - lr * g / (np.sqrt(s) + eps), s


def adamw_step(p, g, m, v, t, lr, beta_1, beta_2, eps, weight_decay):
    p = p * (1 - lr * weight_decay)
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def nadam_step(p, g, m, v, t, lr, beta_1, beta_2, eps):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat = beta_1 * m / (1 - beta_1 ** (t + 1)) + (1 - beta_1) * g / (1 - beta_1**t)
    v_hat = v / (1 - beta_2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def layernorm(z, gamma, beta, eps=1e-5):
    mu = z.mean(axis=1, keepdims=True)
    var = z.var(axis=1, keepdims=True)
    return gamma * (z - mu) / np.sqrt(var + eps) + beta


def layernorm_backward(g, z, gamma, eps=1e-5):
    """``dL/dz`` and ``(dgamma, dbeta)`` for ``dL/dh = g`` at pre-normalisation ``z``."""
    m = z.shape[1]
    mu = z.mean(axis=1, keepdims=True)
    invstd = 1 / np.sqrt(z.var(axis=1, keepdims=True) + eps)
    xhat = (z - mu) * invstd
    gx = g * gamma
    dz = invstd / m * (m * gx - gx.sum(axis=1, keepdims=True)
                       - xhat * (gx * xhat).sum(axis=1, keepdims=True))
    return dz, (g * xhat).sum(axis=0), g.sum(axis=0)


def inference_forward(net, X):
    """Output of a fitted network at inference, unfolded, in float64: each dense
    layer, batch norm with running statistics, layer norm, the activation with
    the inference slopes (learned PReLU slopes, the fixed ones otherwise),
    dropout as the identity, then the output activation."""
    a = np.asarray(X, dtype=float)
    n_layers = len(net.coefs)
    for l in range(n_layers):
        z = a @ net.coefs[l].astype(float) + net.intercepts[l]
        if l == n_layers - 1:
            return OUTPUTS[net.out_activation](z)
        parts = {k: v.astype(float) for k, v in net.parts(l).items()}
        if "gamma" in parts:
            z = (parts["gamma"] * (z - parts["running_mean"])
                 / np.sqrt(parts["running_var"] + 1e-5) + parts["beta"])
        if "ln_gamma" in parts:
            z = layernorm(z, parts["ln_gamma"], parts["ln_beta"])
        slope = parts.get("prelu_slopes", parts["slopes"])
        a = ACTIVATIONS[net.hidden_activation][0](z, slope)
    return a
