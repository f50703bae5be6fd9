"""In-place optimizer updates over the flat parameter buffer, and their registry.

Each optimizer is one fused loop over ``params`` / ``grads`` / its state rows,
specified in the tests by a short NumPy reference. :data:`OPTIMIZERS` is the one
registry: per public ``solver`` name its integer code, the names of its state
rows (``state`` has shape ``(n_state, n_trainable)``) and the ``settings``
fields it reads (:mod:`fastnn.nn.settings`). :func:`segment_step_` dispatches on
the code.

Frozen layers (transfer learning) have no gradient and no optimizer state: the
training loop updates each trainable range of the flat buffer with
:func:`segment_step_`, whose state columns are packed one range after another.

Adding an optimizer: a step kernel, its registry entry, a branch in
:func:`segment_step_` and a row in the tests' optimizer table.
"""
import math
from dataclasses import dataclass

from .jit import kernel
from .optable import DENSE, FAN_IN, KIND, LAYER, P0, UNITS, matrix
from .regularization import clip_gradients_, max_norm_
from .settings import (
    BETA_1,
    BETA_2,
    CLIP_NORM,
    CLIP_VALUE,
    EPSILON,
    LR,
    MAX_NORM,
    MOMENTUM,
    NESTEROV,
    RHO,
    WEIGHT_DECAY,
)

NO_UPDATE = -1
SGD = 0
ADAM = 1
ADAGRAD = 2
RMSPROP = 3
ADAMW = 4
NADAM = 5


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer: its code, named state rows and the settings it reads."""

    code: int
    state: tuple
    settings: tuple


_ADAM_SETTINGS = ("learning_rate", "beta_1", "beta_2", "epsilon")
#: Public solver name -> its specification (``lbfgs`` is driven by SciPy instead).
OPTIMIZERS = {
    "sgd": OptimizerSpec(SGD, ("velocity",), ("learning_rate", "momentum", "nesterov")),
    "adam": OptimizerSpec(ADAM, ("m", "v"), _ADAM_SETTINGS),
    "adagrad": OptimizerSpec(ADAGRAD, ("sum_sq",), ("learning_rate", "epsilon")),
    "rmsprop": OptimizerSpec(RMSPROP, ("mean_sq",), ("learning_rate", "rho", "epsilon")),
    "adamw": OptimizerSpec(ADAMW, ("m", "v"), _ADAM_SETTINGS + ("weight_decay",)),
    "nadam": OptimizerSpec(NADAM, ("m", "v"), _ADAM_SETTINGS),
}
#: Public solver name -> integer code.
OPTIMIZER_CODES = {name: spec.code for name, spec in OPTIMIZERS.items()}


@kernel
def sgd_step_(params, grads, velocity, lr, momentum, nesterov):
    """SGD with (Nesterov) momentum, as scikit-learn's ``SGDOptimizer``::

        v = momentum * v - lr * g
        p += momentum * v - lr * g    if nesterov
        p += v                         otherwise
    """
    dt = params.dtype.type
    lr, momentum = dt(lr), dt(momentum)
    for i in range(params.shape[0]):
        g = grads[i]
        v = momentum * velocity[i] - lr * g
        velocity[i] = v
        if nesterov:
            params[i] += momentum * v - lr * g
        else:
            params[i] += v


@kernel
def adagrad_step_(params, grads, G, lr, epsilon):
    """AdaGrad::

        G += g^2
        p -= lr * g / (sqrt(G) + epsilon)
    """
    dt = params.dtype.type
    lr, epsilon = dt(lr), dt(epsilon)
    for i in range(params.shape[0]):
        g = grads[i]
        Gi = G[i] + g * g
        G[i] = Gi
        params[i] -= lr * g / (math.sqrt(Gi) + epsilon)


@kernel
def rmsprop_step_(params, grads, s, lr, rho, epsilon):
    """RMSProp (AdaGrad with an exponential moving average)::

        s = rho s + (1 - rho) g^2
        p -= lr * g / (sqrt(s) + epsilon)
    """
    dt = params.dtype.type
    lr, epsilon, one_minus_rho, rho = dt(lr), dt(epsilon), dt(1.0 - rho), dt(rho)
    for i in range(params.shape[0]):
        g = grads[i]
        si = rho * s[i] + one_minus_rho * g * g
        s[i] = si
        params[i] -= lr * g / (math.sqrt(si) + epsilon)


@kernel
def adam_step_(params, grads, m, v, lr, beta_1, beta_2, epsilon, t, weight_decay, nesterov):
    """Adam with bias-corrected moments, decoupled weight decay and optional Nesterov
    look-ahead; AdamW is ``weight_decay > 0``, NAdam is ``nesterov``::

        p -= lr * weight_decay * p
        m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2
        m_hat = m / (1 - beta_1^t)                                      (Adam/AdamW)
        m_hat = beta_1 m / (1 - beta_1^(t+1)) + (1 - beta_1) g / (1 - beta_1^t)  (NAdam)
        p -= lr * m_hat / (sqrt(v / (1 - beta_2^t)) + epsilon)

    scikit-learn's Adam, ``p -= lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m /
    (sqrt(v) + eps)``, is this update with ``epsilon = eps / sqrt(1 - beta_2^t)``.
    The per-step factors are computed in float64, the loop in the parameters' dtype.
    """
    c1 = 1.0 - beta_1**t
    if nesterov:
        k_m, k_g = beta_1 / (1.0 - beta_1 ** (t + 1)), (1.0 - beta_1) / c1
    else:
        k_m, k_g = 1.0 / c1, 0.0
    dt = params.dtype.type
    b1, omb1, b2, omb2 = dt(beta_1), dt(1.0 - beta_1), dt(beta_2), dt(1.0 - beta_2)
    km, kg, kv = dt(k_m), dt(k_g), dt(1.0 / (1.0 - beta_2**t))
    lr_, eps, decay = dt(lr), dt(epsilon), dt(1.0 - lr * weight_decay)
    for i in range(params.shape[0]):
        g = grads[i]
        mi = b1 * m[i] + omb1 * g
        vi = b2 * v[i] + omb2 * g * g
        m[i] = mi
        v[i] = vi
        m_hat = km * mi + kg * g
        params[i] = params[i] * decay - lr_ * m_hat / (math.sqrt(vi * kv) + eps)


@kernel
def segment_step_(code, params, grads, state, settings, t, start, stop, state_start):
    """Apply one update of optimizer ``code`` to ``params[start:stop]``, whose state is
    ``state[:, state_start:state_start + stop - start]``; ``t`` is the 1-based step."""
    n = stop - start
    p = params[start:stop]
    g = grads[start:stop]
    s = state_start
    if code == SGD:
        sgd_step_(p, g, state[0, s : s + n], settings[LR], settings[MOMENTUM],
                  settings[NESTEROV] != 0)
    elif code == ADAM:  # scikit-learn's epsilon placement
        epsilon = settings[EPSILON] / math.sqrt(1.0 - settings[BETA_2] ** t)
        adam_step_(p, g, state[0, s : s + n], state[1, s : s + n], settings[LR], settings[BETA_1],
                   settings[BETA_2], epsilon, t, 0.0, False)
    elif code == ADAGRAD:
        adagrad_step_(p, g, state[0, s : s + n], settings[LR], settings[EPSILON])
    elif code == RMSPROP:
        rmsprop_step_(p, g, state[0, s : s + n], settings[LR], settings[RHO], settings[EPSILON])
    elif code == ADAMW:
        adam_step_(p, g, state[0, s : s + n], state[1, s : s + n], settings[LR], settings[BETA_1],
                   settings[BETA_2], settings[EPSILON], t, settings[WEIGHT_DECAY], False)
    elif code == NADAM:
        adam_step_(p, g, state[0, s : s + n], state[1, s : s + n], settings[LR], settings[BETA_1],
                   settings[BETA_2], settings[EPSILON], t, 0.0, True)


@kernel
def update_(code, params, grads, state, segments, settings, step, table, frozen):
    """One update after a batch's backward pass: clip the trainable gradients,
    step optimizer ``code`` over each trainable range, then cap the incoming
    weight norm of each trainable dense layer (``max_norm``). Returns the new
    step count."""
    clip_gradients_(grads, segments, settings[CLIP_VALUE], settings[CLIP_NORM])
    step += 1
    for s in range(segments.shape[0]):
        segment_step_(code, params, grads, state, settings, step, segments[s, 0],
                      segments[s, 1], segments[s, 2])
    if settings[MAX_NORM] > 0:
        for k in range(table.shape[0]):
            row = table[k]
            if row[KIND] == DENSE and frozen[row[LAYER]] == 0:
                max_norm_(matrix(params, row[P0], row[FAN_IN], row[UNITS]), settings[MAX_NORM])
    return step
