"""In-place optimizer updates over the flat parameter buffer.

Each optimizer is one fused loop over ``params`` / ``grads`` / its state rows
(``state`` has shape ``(n_state, n_params)``), specified in the tests by a short
NumPy reference. :func:`optimizer_step_` dispatches on the integer code;
:data:`OPTIMIZER_CODES` maps the public ``solver`` names and
:data:`STATE_ROWS` says how much state each keeps. Settings come in the float64
``hyper`` array (layout :data:`HYPER_FIELDS`, shared with the training loop).

Frozen layers (transfer learning) have no gradient and no optimizer state: the
training loop updates each trainable range of the flat buffer with
:func:`segment_step_`, whose state columns are packed one range after another.

Adding an optimizer: a step kernel, a code, a branch in :func:`segment_step_`,
its ``STATE_ROWS`` entry and a row in the tests' optimizer table.
"""
import math

from .._jit import kernel

NO_UPDATE = -1
SGD = 0
ADAM = 1
ADAGRAD = 2
RMSPROP = 3
ADAMW = 4
NADAM = 5

#: Public solver name -> integer code (``lbfgs`` is driven by SciPy instead).
OPTIMIZER_CODES = {
    "sgd": SGD, "adam": ADAM, "adagrad": ADAGRAD, "rmsprop": RMSPROP, "adamw": ADAMW,
    "nadam": NADAM,
}
#: Number of state rows each optimizer keeps.
STATE_ROWS = {NO_UPDATE: 0, SGD: 1, ADAM: 2, ADAGRAD: 1, RMSPROP: 1, ADAMW: 2, NADAM: 2}
#: Meaning of each entry of the ``hyper`` array (optimizer and training settings).
HYPER_FIELDS = (
    "learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho",
    "weight_decay", "alpha", "l1", "max_norm", "clip_norm", "clip_value", "input_noise",
    "batch_norm_momentum", "batch_norm_eps",
)
(LR, MOMENTUM, NESTEROV, BETA_1, BETA_2, EPSILON, RHO, WEIGHT_DECAY, ALPHA, L1, MAX_NORM,
 CLIP_NORM, CLIP_VALUE, INPUT_NOISE, BN_MOMENTUM, BN_EPS) = range(len(HYPER_FIELDS))


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
def segment_step_(code, params, grads, state, hyper, t, start, stop, state_start):
    """Apply one update of optimizer ``code`` to ``params[start:stop]``, whose state is
    ``state[:, state_start:state_start + stop - start]``; ``t`` is the 1-based step."""
    n = stop - start
    p = params[start:stop]
    g = grads[start:stop]
    s = state_start
    if code == SGD:
        sgd_step_(p, g, state[0, s : s + n], hyper[LR], hyper[MOMENTUM],
                  hyper[NESTEROV] != 0)
    elif code == ADAM:  # scikit-learn's epsilon placement
        epsilon = hyper[EPSILON] / math.sqrt(1.0 - hyper[BETA_2] ** t)
        adam_step_(p, g, state[0, s : s + n], state[1, s : s + n], hyper[LR], hyper[BETA_1],
                   hyper[BETA_2], epsilon, t, 0.0, False)
    elif code == ADAGRAD:
        adagrad_step_(p, g, state[0, s : s + n], hyper[LR], hyper[EPSILON])
    elif code == RMSPROP:
        rmsprop_step_(p, g, state[0, s : s + n], hyper[LR], hyper[RHO], hyper[EPSILON])
    elif code == ADAMW:
        adam_step_(p, g, state[0, s : s + n], state[1, s : s + n], hyper[LR], hyper[BETA_1],
                   hyper[BETA_2], hyper[EPSILON], t, hyper[WEIGHT_DECAY], False)
    elif code == NADAM:
        adam_step_(p, g, state[0, s : s + n], state[1, s : s + n], hyper[LR], hyper[BETA_1],
                   hyper[BETA_2], hyper[EPSILON], t, 0.0, True)


@kernel
def optimizer_step_(code, params, grads, state, hyper, t):
    """Apply one update of optimizer ``code`` to every parameter (state of shape
    ``(n_state, n_params)``); ``t`` is the 1-based step count."""
    segment_step_(code, params, grads, state, hyper, t, 0, params.shape[0], 0)
