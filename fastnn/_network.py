"""The network plan: layers, the flat parameter buffer and its per-layer views.

All trained parameters of a network live in one contiguous buffer ``params``;
layer ``l`` stores its weight matrix ``W_l`` (``fan_in x fan_out``, row-major),
its bias ``b_l``, and for hidden layers the batch-norm scale and shift and the
PReLU slopes when those are enabled. Non-trained per-layer values (fixed
negative-side slopes, batch-norm running statistics) live in ``buffers``.
``coefs`` and ``intercepts`` are lists of views into ``params``, so writing to
``est.coefs_[0]`` changes the model, and optimizers update every parameter in
one pass over one array.
"""
import numpy as np

from . import _inference
from ._kernels.activations import (
    ACTIVATION_CODES,
    LEAKY_RELU,
    LEAKY_SLOPE,
    PRELU,
    PRELU_INIT,
    RRELU,
    RRELU_LOWER,
    RRELU_UPPER,
)
from ._kernels.losses import OUTPUT_CODES
from ._kernels.network import (
    B_OFF,
    BETA_OFF,
    COL_OFF,
    FAN_IN,
    FAN_OUT,
    GAMMA_OFF,
    LAYOUT_COLUMNS,
    MEAN_OFF,
    PSLOPE_OFF,
    SLOPE_OFF,
    VAR_OFF,
    W_OFF,
)

#: Batch-norm epsilon (PyTorch's default).
BATCH_NORM_EPS = 1e-5
RELU_FAMILY = {"relu", "leaky_relu", "prelu", "rrelu", "elu", "gelu", "silu"}
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
    if activation in RELU_FAMILY:
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
    mean = w @ Y / w.sum()
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


class Network:
    """A stack of dense layers whose parameters share one flat buffer.

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    hidden_activation : str
        Name in :data:`fastnn._kernels.activations.ACTIVATION_CODES`.
    out_activation : str
        Name in :data:`fastnn._kernels.losses.OUTPUT_CODES`.
    dtype : {"float32", "float64"}
        Compute dtype of parameters and activations.
    batch_norm : bool, default=False
        Whether every hidden layer is dense -> batch norm -> activation.

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        The flat parameter buffer.
    buffers : ndarray
        Non-trained values: fixed slopes and batch-norm running statistics.
    layout : ndarray of shape (n_layers, LAYOUT_COLUMNS), dtype int64
        Offsets and sizes of each layer's parts (see :mod:`fastnn._kernels.network`).
    coefs, intercepts : list of ndarray
        Views of each layer's ``W`` (``fan_in x fan_out``) and ``b``.
    """

    def __init__(self, layer_units, hidden_activation, out_activation, dtype,
                 batch_norm=False):
        self.layer_units = [int(u) for u in layer_units]
        self.hidden_activation = hidden_activation
        self.out_activation = out_activation
        self.dtype = np.dtype(dtype)
        self.batch_norm = bool(batch_norm)
        n_layers = len(self.layer_units) - 1
        layout = np.full((n_layers, LAYOUT_COLUMNS), -1, dtype=np.int64)
        p = q = col = 0  # next free offset in params, in buffers; workspace column
        for l, (fan_in, fan_out) in enumerate(zip(self.layer_units[:-1], self.layer_units[1:])):
            hidden = l < n_layers - 1
            layout[l, [W_OFF, B_OFF, FAN_IN, FAN_OUT, COL_OFF]] = (
                p, p + fan_in * fan_out, fan_in, fan_out, col)
            p += fan_in * fan_out + fan_out
            col += fan_out
            if hidden and self.batch_norm:
                layout[l, [GAMMA_OFF, BETA_OFF]] = (p, p + fan_out)
                p += 2 * fan_out
                layout[l, [MEAN_OFF, VAR_OFF]] = (q, q + fan_out)
                q += 2 * fan_out
            if hidden and self.hidden_code == PRELU:
                layout[l, PSLOPE_OFF] = p
                p += fan_out
            if hidden:
                layout[l, SLOPE_OFF] = q
                q += fan_out
        self.layout = layout
        self.params = np.zeros(p, dtype=self.dtype)
        self.buffers = np.zeros(q, dtype=self.dtype)
        self._make_views()
        self.reset_extras()

    @property
    def hidden_code(self):
        """Integer code of the hidden activation."""
        return ACTIVATION_CODES[self.hidden_activation]

    @property
    def out_code(self):
        """Integer code of the output activation."""
        return OUTPUT_CODES[self.out_activation]

    @property
    def n_params(self):
        """Number of trained parameters."""
        return self.params.shape[0]

    @property
    def n_layers(self):
        """Number of dense layers (hidden and output)."""
        return self.layout.shape[0]

    def part(self, l, column, buf=None):
        """View of one per-unit part of layer ``l`` (e.g. ``GAMMA_OFF``), or None."""
        off = self.layout[l, column]
        if off < 0:
            return None
        if buf is None:
            buf = self.buffers if column in (SLOPE_OFF, MEAN_OFF, VAR_OFF) else self.params
        return buf[off : off + self.layout[l, FAN_OUT]]

    def _make_views(self):
        views = self.layer_views(self.params)
        self.coefs = [w for w, _ in views]
        self.intercepts = [b for _, b in views]

    def layer_views(self, buf):
        """Per-layer ``(W, b)`` views of any buffer with this network's layout."""
        out = []
        for w_off, b_off, fan_in, fan_out in self.layout[:, [W_OFF, B_OFF, FAN_IN, FAN_OUT]]:
            out.append((buf[w_off : w_off + fan_in * fan_out].reshape(fan_in, fan_out),
                        buf[b_off : b_off + fan_out]))
        return out

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["coefs"], state["intercepts"]  # views: rebuilt on load
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._make_views()

    def set_layers(self, name, arrays):
        """Copy a list of per-layer arrays into the buffer, checking shapes.

        Parameters
        ----------
        name : {"coefs", "intercepts"}
            Which per-layer views to overwrite.
        arrays : list of array-like
            One array per layer, each of the shape of the current view.
        """
        views = getattr(self, name)
        arrays = list(arrays)
        if len(arrays) != len(views):
            raise ValueError(
                f"{name}_ must have one array per layer ({len(views)}), got {len(arrays)}."
            )
        for l, (view, new) in enumerate(zip(views, arrays)):
            new = np.asarray(new)
            if new.shape != view.shape:
                raise ValueError(f"{name}_[{l}] must have shape {view.shape}, got {new.shape}.")
        for view, new in zip(views, arrays):
            view[...] = new

    def reset_extras(self):
        """Batch-norm scale 1 / shift 0 / running mean 0 / running variance 1,
        PReLU slopes 0.25, fixed slopes of leaky ReLU (0.01) and of RReLU at
        inference (the mean of its training range)."""
        fixed = {LEAKY_RELU: LEAKY_SLOPE, PRELU: PRELU_INIT,
                 RRELU: 0.5 * (RRELU_LOWER + RRELU_UPPER)}.get(self.hidden_code, 0.0)
        for l in range(self.n_layers - 1):
            for column, value in [(GAMMA_OFF, 1.0), (BETA_OFF, 0.0), (MEAN_OFF, 0.0),
                                  (VAR_OFF, 1.0), (PSLOPE_OFF, PRELU_INIT), (SLOPE_OFF, fixed)]:
                view = self.part(l, column)
                if view is not None:
                    view[...] = value

    def initialize(self, weight_init, random_state, Y=None, sample_weight=None,
                   solver="adam"):
        """Initialise every parameter.

        ``weight_init`` is resolved by :func:`resolve_weight_init`. The named
        schemes draw every layer's weights from their variance and start the
        biases at zero. ``'auto_relu'`` (``'auto'`` for the ReLU family) draws
        uniform weights with :func:`auto_relu_variance`, hidden biases from
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (PyTorch's ``nn.Linear`` bias).
        ``'sklearn'``: scikit-learn's MLP scheme, weights and biases from
        ``U(-r, r)`` with ``r = sqrt(f / (fan_in + fan_out))``, ``f = 2`` for
        logistic and 6 otherwise, the same draws as ``MLPClassifier``'s for the
        same ``random_state``. ``'pytorch'``: ``nn.Linear``'s defaults, weights
        and biases from ``U(-r, r)`` with ``r = 1 / sqrt(fan_in)``.

        With ``weight_init='auto'`` and targets ``Y``, the output bias starts at
        :func:`prior_output_bias`: the network does not spend its first epochs
        learning the targets' offset or the class frequencies. ``solver`` picks
        what ``'auto'`` stands for (:func:`resolve_weight_init`).
        """
        scheme = resolve_weight_init(weight_init, self.hidden_activation, solver)
        n_hidden = self.n_layers - 1
        for l, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            fan_in, fan_out = W.shape
            hidden = l < n_hidden
            if scheme == "sklearn":
                factor = 2.0 if self.hidden_activation in ("logistic", "sigmoid") else 6.0
                bound = np.sqrt(factor / (fan_in + fan_out))
                W[...] = random_state.uniform(-bound, bound, W.shape)
                b[...] = random_state.uniform(-bound, bound, b.shape)
            elif scheme == "pytorch":
                bound = 1.0 / np.sqrt(fan_in)
                W[...] = random_state.uniform(-bound, bound, W.shape)
                b[...] = random_state.uniform(-bound, bound, b.shape)
            elif scheme == "auto_relu":
                variance = auto_relu_variance(fan_in, fan_out, n_hidden if hidden else 0)
                W[...] = draw_weight(True, variance, W.shape, random_state)
                bound = 1.0 / np.sqrt(fan_in)
                b[...] = random_state.uniform(-bound, bound, b.shape) if hidden else 0.0
            else:
                W[...] = init_weight(scheme, fan_in, fan_out, random_state)
                b[...] = 0.0
        if weight_init == "auto" and Y is not None:
            self.set_prior_output_bias(Y, sample_weight)
        self.reset_extras()

    def set_prior_output_bias(self, Y, sample_weight=None):
        """Set the output bias to :func:`prior_output_bias` of the targets ``Y``."""
        self.intercepts[-1][...] = prior_output_bias(self.out_activation, Y, sample_weight)

    def workspace_width(self):
        """Sum of every layer's units: the columns of one workspace buffer."""
        return int(self.layout[:, FAN_OUT].sum())

    def inference_layers(self):
        """``(coefs, intercepts, slopes)`` for the inference pass.

        Batch norm is folded into the dense layer before it:
        ``s = gamma / sqrt(running_var + eps)``, ``W' = W * s`` (per column),
        ``b' = (b - running_mean) * s + beta``. ``slopes`` holds each hidden
        layer's negative-side slope per unit.
        """
        coefs, intercepts, slopes = list(self.coefs), list(self.intercepts), []
        for l in range(self.n_layers - 1):
            if self.batch_norm:
                s = self.part(l, GAMMA_OFF).astype(np.float64) / np.sqrt(
                    self.part(l, VAR_OFF).astype(np.float64) + BATCH_NORM_EPS)
                coefs[l] = (coefs[l] * s).astype(self.dtype)
                intercepts[l] = ((intercepts[l] - self.part(l, MEAN_OFF)) * s
                                 + self.part(l, BETA_OFF)).astype(self.dtype)
            slope = self.part(l, PSLOPE_OFF)
            slopes.append(slope if slope is not None else self.part(l, SLOPE_OFF))
        return coefs, intercepts, slopes

    def forward(self, X, hidden_layer=None):
        """Output activations for validated input (compiled inference path).

        Parameters
        ----------
        X : ndarray or scipy.sparse.csr_matrix
            Input in this network's dtype (C-contiguous if dense).
        hidden_layer : int or None, default=None
            Stop after this hidden layer (0-based) and return its activations.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs) or (n_samples, units of the layer)
        """
        coefs, intercepts, slopes = self.inference_layers()
        if hidden_layer is None:
            return _inference.forward(X, coefs, intercepts, slopes, self.hidden_code,
                                      self.out_code)
        k = hidden_layer + 1
        return _inference.forward(X, coefs[:k], intercepts[:k], slopes[:k], self.hidden_code,
                                  -1)

    def summary_rows(self):
        """One dict per layer: name, kind, output shape, activation, parameter count,
        and ``index``, the dense layer the row belongs to."""
        rows = []
        for l in range(self.n_layers):
            fan_in, fan_out = self.layout[l, FAN_IN], self.layout[l, FAN_OUT]
            hidden = l < self.n_layers - 1
            rows.append(dict(index=l, layer=f"dense_{l}", kind="dense", output_shape=(None, int(fan_out)),
                             activation="linear" if (hidden and self.batch_norm) else (
                                 self.hidden_activation if hidden else self.out_activation),
                             params=int((fan_in + 1) * fan_out)))
            if hidden and self.batch_norm:
                rows.append(dict(index=l, layer=f"batch_norm_{l}", kind="batch_norm",
                                 output_shape=(None, int(fan_out)),
                                 activation=self.hidden_activation, params=int(2 * fan_out)))
            if hidden and self.layout[l, PSLOPE_OFF] >= 0:
                rows[-1]["params"] += int(fan_out)  # the learned PReLU slopes
        return rows

    def copy_hidden_layers_from(self, source):
        """Copy the leading hidden layers whose shapes match ``source``'s.

        Weights, biases and, where both networks have them, batch-norm scale, shift
        and running statistics and PReLU slopes are copied layer by layer from the
        input side, stopping at the first hidden layer whose ``(fan_in, fan_out)``
        differs (later layers see different inputs). The output layer is never
        copied. Returns the indices of the copied layers.
        """
        copied = []
        for l in range(min(self.n_layers, source.n_layers) - 1):
            if tuple(self.layout[l, [FAN_IN, FAN_OUT]]) != tuple(source.layout[l, [FAN_IN, FAN_OUT]]):
                break
            self.coefs[l][...] = source.coefs[l]
            self.intercepts[l][...] = source.intercepts[l]
            for column in (GAMMA_OFF, BETA_OFF, MEAN_OFF, VAR_OFF, PSLOPE_OFF):
                mine, theirs = self.part(l, column), source.part(l, column)
                if mine is not None and theirs is not None:
                    mine[...] = theirs
            copied.append(l)
        return copied

    def init_head_on_features(self, X, random_state):
        """Draw the output layer for the features the hidden layers give on ``X``.

        For a fresh output layer on copied (trained) hidden layers, whose features
        can be large: weights from ``U(-r, r)`` with ``r = sqrt(3) *
        HEAD_OUTPUT_STD / (sqrt(fan_in) * rms(h))``, ``h`` the last hidden layer's
        activations on ``X`` (inference mode), and a zero bias. The initial
        outputs then have standard deviation about :data:`HEAD_OUTPUT_STD`, so the
        loss starts within a few percent of a model that knows only the class
        frequencies (the bias is left as :meth:`initialize` set it), while the copied layers get a useful gradient from the first
        step, as under PyTorch's fresh ``nn.Linear`` head. A head drawn like a
        fresh network's started at 2.6 instead of ``log 5 = 1.61`` on digits 5-9
        over features trained on digits 0-4.

        Parameters
        ----------
        X : ndarray or sparse matrix
            Training rows in this network's dtype.
        random_state : numpy.random.RandomState
        """
        features = self.forward(X, hidden_layer=self.n_layers - 2).astype(np.float64)
        rms = float(np.sqrt(np.mean(features ** 2))) if features.size else 0.0
        W = self.coefs[-1]
        bound = np.sqrt(3.0) * HEAD_OUTPUT_STD / (np.sqrt(W.shape[0]) * (rms or 1.0))
        W[...] = random_state.uniform(-bound, bound, W.shape)

    def config(self):
        """What must match for a warm start to reuse this network."""
        return (self.layer_units, self.hidden_activation, self.out_activation,
                self.batch_norm)
