"""In-place optimizer updates over the flat parameter buffer.

Each optimizer is one fused loop over ``params`` / ``grads`` / its state rows
(``state`` has shape ``(n_state, n_params)``), specified in the tests by a short
NumPy reference. :func:`optimizer_step_` dispatches on the integer code;
:data:`OPTIMIZER_CODES` maps the public ``solver`` names. The per-call settings
come in ``hyper`` (float64, layout :data:`HYPER_FIELDS`).
"""
import math

from .._jit import kernel

NO_UPDATE = -1
SGD = 0
ADAM = 1

#: Public solver name -> integer code (``lbfgs`` is driven by SciPy instead).
OPTIMIZER_CODES = {"sgd": SGD, "adam": ADAM}
#: Number of state rows each optimizer keeps.
STATE_ROWS = {SGD: 1, ADAM: 2, NO_UPDATE: 0}
#: Meaning of each entry of the ``hyper`` array.
HYPER_FIELDS = ("learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon")
LR, MOMENTUM, NESTEROV, BETA_1, BETA_2, EPSILON = range(len(HYPER_FIELDS))


@kernel
def sgd_step_(params, grads, velocity, lr, momentum, nesterov):
    """SGD with (Nesterov) momentum, as scikit-learn's ``SGDOptimizer``::

        v = momentum * v - lr * g
        p += momentum * v - lr * g    if nesterov
        p += v                         otherwise
    """
    for i in range(params.shape[0]):
        g = grads[i]
        v = momentum * velocity[i] - lr * g
        velocity[i] = v
        if nesterov:
            params[i] += momentum * v - lr * g
        else:
            params[i] += v


@kernel
def adam_step_(params, grads, m, v, lr, beta_1, beta_2, epsilon, t):
    """Adam, step ``t >= 1``, in scikit-learn's form::

        m = beta_1 m + (1 - beta_1) g
        v = beta_2 v + (1 - beta_2) g^2
        lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        p -= lr_t * m / (sqrt(v) + epsilon)
    """
    lr_t = lr * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
    for i in range(params.shape[0]):
        g = grads[i]
        mi = beta_1 * m[i] + (1.0 - beta_1) * g
        vi = beta_2 * v[i] + (1.0 - beta_2) * g * g
        m[i] = mi
        v[i] = vi
        params[i] -= lr_t * mi / (math.sqrt(vi) + epsilon)


@kernel
def optimizer_step_(code, params, grads, state, hyper, t):
    """Apply one update of optimizer ``code``; ``t`` is the 1-based step count."""
    if code == SGD:
        sgd_step_(params, grads, state[0], hyper[LR], hyper[MOMENTUM], hyper[NESTEROV] != 0)
    elif code == ADAM:
        adam_step_(
            params, grads, state[0], state[1], hyper[LR], hyper[BETA_1], hyper[BETA_2],
            hyper[EPSILON], t,
        )
