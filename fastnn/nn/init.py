"""Weight initialisation schemes, and what ``weight_init='auto'`` stands for.

See the ``weight_init`` entry of the estimators' docstring for the measurements
behind ``'auto'``.
"""
import numpy as np

from .activations import ACTIVATIONS

WEIGHT_INITS = ("auto", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                "lecun_normal", "sklearn", "pytorch")
#: ``weight_init='auto'`` for ReLU networks: the hidden stack loses at most this
#: many factors of 2 of variance at initialisation (see :func:`auto_relu_variance`).
MAX_VARIANCE_HALVINGS = 8
#: Standard deviation of a fresh output layer's initial outputs on copied layers
#: (transfer learning, see :meth:`Network.init_head_on_features`).
HEAD_OUTPUT_STD = 0.2


def resolve_weight_init(weight_init, activation, solver="adam"):
    """The scheme ``'auto'`` stands for.

    For the ReLU family: ``'auto_relu'`` (see :func:`auto_relu_variance`) with a
    stochastic solver, He uniform with L-BFGS (which has no per-parameter step
    size to interact with the weights' scale, and did better from larger
    weights: diabetes with ``alpha=30``, R^2 0.20 with He against 0.11, mean of 8
    seeds). LeCun normal for SELU, Glorot uniform for logistic / tanh / identity.
    """
    if weight_init != "auto":
        return weight_init
    if activation in ACTIVATIONS and ACTIVATIONS[activation].relu_family:
        return "he_uniform" if solver == "lbfgs" else "auto_relu"
    if activation == "selu":
        return "lecun_normal"
    return "glorot_uniform"


def auto_relu_variance(fan_in, fan_out, n_hidden):
    """Weight variance of a layer of a ReLU network with ``n_hidden`` hidden
    layers under ``weight_init='auto'``.

    ``1 / (fan_in + fan_out)``, half of Glorot's variance, with a floor of
    ``2 ** (1 - MAX_VARIANCE_HALVINGS / n_hidden) / fan_in`` for hidden layers.
    With half-Glorot weights a square ReLU layer divides the signal's variance
    by 4, so up to 4 hidden layers the floor is inactive; deeper, it keeps the
    total loss through the stack at ``2 ** MAX_VARIANCE_HALVINGS`` (what Glorot
    loses at 8 layers) and tends to He's ``2 / fan_in`` as depth grows: a 16-layer
    stack gets ``1.41 / fan_in``.

    Parameters
    ----------
    fan_in, fan_out : int
    n_hidden : int
        Hidden layers of the network; 0 for the output layer (no floor).

    Returns
    -------
    float
    """
    half_glorot = 1.0 / (fan_in + fan_out)
    if n_hidden == 0:
        return half_glorot
    return max(half_glorot, 2.0 ** (1.0 - MAX_VARIANCE_HALVINGS / n_hidden) / fan_in)


def prior_output_bias(out_activation, Y, sample_weight):
    """Output bias of a model that knows only the targets' distribution.

    ``softmax``: the log class frequencies; ``logistic``: the log-odds of each
    output's frequency; ``identity``: the mean target; ``exp``: its log. All
    weighted by ``sample_weight`` and clipped away from 0 and 1.

    Parameters
    ----------
    out_activation : {"softmax", "logistic", "identity", "exp"}
    Y : ndarray of shape (n_samples, n_outputs)
        Encoded targets (one-hot or indicator for classifiers).
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    ndarray of shape (n_outputs,), float64
    """
    Y = np.asarray(Y, dtype=np.float64)
    w = np.ones(Y.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if Y.shape[0] == 0 or w.sum() <= 0:
        return np.zeros(Y.shape[1])
    # einsum, not ``w @ Y``: a BLAS product here would wake NumPy's own OpenBLAS
    # threads (not the BLAS the kernels call), which then spin for about 0.1 s
    # beside the first epoch's BLAS threads: 0.05-0.1 s on a 2-thread MNIST fit.
    mean = np.einsum("i,ij->j", w, Y) / w.sum()
    if out_activation == "identity":
        return mean
    eps = 1e-6
    if out_activation == "exp":
        return np.log(np.maximum(mean, eps))
    p = np.clip(mean, eps, 1.0 - eps)
    if out_activation == "softmax":
        return np.log(p)
    return np.log(p / (1.0 - p))


def init_weight(scheme, fan_in, fan_out, random_state):
    """Draw a ``(fan_in, fan_out)`` weight matrix.

    ``glorot``: variance ``2 / (fan_in + fan_out)``; ``he``: ``2 / fan_in``;
    ``lecun``: ``1 / fan_in``. A uniform draw on ``[-r, r]`` has variance
    ``r^2 / 3``, so ``r = sqrt(3 * variance)``.
    """
    variance = {
        "glorot": 2.0 / (fan_in + fan_out), "he": 2.0 / fan_in, "lecun": 1.0 / fan_in,
    }[scheme.split("_")[0]]
    return draw_weight(scheme.endswith("uniform"), variance, (fan_in, fan_out), random_state)


def draw_weight(uniform, variance, shape, random_state):
    """Zero-mean draws of the given variance: uniform on ``[-r, r]`` with
    ``r = sqrt(3 variance)``, or normal."""
    if uniform:
        bound = np.sqrt(3.0 * variance)
        return random_state.uniform(-bound, bound, shape)
    return random_state.normal(0.0, np.sqrt(variance), shape)
