"""The network plan: a list of layer ops over one flat parameter buffer.

A :class:`Network` is built from the estimator's architecture parameters as a list
of layer ops (:mod:`fastnn.nn.layerop`); for each hidden layer ``l``::

    Dense(l) -> [BatchNorm(l)] -> [LayerNorm(l)] -> Activation(l) -> [Dropout(l)]

then ``Dense(L) -> Output(L)``. All trained parameters live in one contiguous
buffer ``params`` in op order, so each dense layer's parameters (weights, bias,
normalisation scale and shift, PReLU slopes) are one contiguous range, and
optimizers update everything in one pass over one array; non-trained values
(running statistics, fixed slopes) live in ``buffers``. ``coefs`` and
``intercepts`` are lists of views into ``params``, so writing to
``est.coefs_[0]`` changes the model. The kernels see the plan as the op table
``table`` (:mod:`fastnn.nn.optable`).
"""
import numpy as np

from . import inference
from .activations import ACTIVATION_CODES, Activation
from .batch_norm import BatchNorm
from .dense import Dense
from .dropout import Dropout
from .init import (
    HEAD_OUTPUT_STD,
    auto_relu_variance,
    draw_weight,
    init_weight,
    prior_output_bias,
    resolve_weight_init,
)
from .layer_norm import LayerNorm
from .layerop import Allocator, view
from .optable import AUX1, DELTA, N_COLUMNS, P0, P1, Q0
from .output import Output


class Network:
    """A stack of dense layers and the ops between them, over one flat buffer.

    Parameters
    ----------
    layer_units : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    hidden_activation : str
        A key of :data:`fastnn.nn.activations.ACTIVATIONS`.
    out_activation : str
        A key of :data:`fastnn.nn.output.OUTPUT_CODES`.
    dtype : {"float32", "float64"}
        Compute dtype of parameters and activations.
    batch_norm, layer_norm : bool, default=False
        Whether every hidden layer normalises its pre-activations.
    dropout : sequence of float, default=()
        Dropout rate of each hidden layer (missing or 0: no dropout op).

    Attributes
    ----------
    ops : list of LayerOp
        The plan, in forward order.
    table : ndarray of shape (n_ops, N_COLUMNS), int64
        The op table the kernels read.
    params : ndarray of shape (n_params,)
        The flat parameter buffer.
    buffers : ndarray
        Non-trained values: running statistics and fixed slopes.
    coefs, intercepts : list of ndarray
        Views of each dense layer's ``W`` (``fan_in x fan_out``) and ``b``.
    """

    def __init__(self, layer_units, hidden_activation, out_activation, dtype,
                 batch_norm=False, layer_norm=False, dropout=()):
        self.layer_units = [int(u) for u in layer_units]
        self.hidden_activation = hidden_activation
        self.out_activation = out_activation
        self.dtype = np.dtype(dtype)
        self.batch_norm = bool(batch_norm)
        self.layer_norm = bool(layer_norm)
        self._build(tuple(float(r) for r in dropout))
        self.params = np.zeros(self.n_params, dtype=self.dtype)
        self.buffers = np.zeros(self.n_buffers, dtype=self.dtype)
        self._make_views()
        self.reset_extras()

    # ------------------------------------------------------------- the plan
    def _build(self, rates):
        """The op list, its allocation and the op table (parameters untouched)."""
        self.dropout = rates
        units = self.layer_units
        n_hidden = len(units) - 2
        ops = []
        for l in range(n_hidden):
            fan_in, m = units[l], units[l + 1]
            normalised = self.batch_norm or self.layer_norm
            ops.append(Dense(l, fan_in, m, fused=not normalised))
            if self.batch_norm:
                ops.append(BatchNorm(l, m))
            if self.layer_norm:
                ops.append(LayerNorm(l, m))
            ops.append(Activation(l, m, self.hidden_activation))
            if l < len(rates) and rates[l] > 0:
                ops.append(Dropout(l, m, rates[l]))
        ops.append(Dense(n_hidden, units[-2], units[-1]))
        ops.append(Output(n_hidden, units[-1], self.out_activation))
        alloc = Allocator()
        src = -1
        delta_columns = np.concatenate([[0], np.cumsum(units[1:])])[:-1]
        for i, op in enumerate(ops):
            src = op.allocate(alloc, src)
            op.row[DELTA] = delta_columns[op.layer]
            if isinstance(op, Dense) and op.layer > 0:
                op.row[AUX1] = delta_columns[op.layer - 1]
            if isinstance(op, Activation) and getattr(ops[i - 1], "fused", False):
                op.row[P1] = ops[i - 1].row[P1]  # the dense bias, added in the same pass
        self.ops = ops
        self.table = (np.array([op.row for op in ops], dtype=np.int64)
                      .reshape(-1, N_COLUMNS))
        self.dense = [op for op in ops if isinstance(op, Dense)]
        self.n_params, self.n_buffers = alloc.n_params, alloc.n_buffers
        self.acts_columns, self.stats_columns = alloc.acts_columns, alloc.stats_columns
        self.row_stats = alloc.row_stats
        self.delta_columns = int(sum(units[1:]))

    def set_dropout(self, rates):
        """Rebuild the plan for new dropout rates (between fits); the parameters
        are kept (dropout owns none)."""
        rates = tuple(float(r) for r in rates)
        if rates != self.dropout:
            self._build(rates)

    @property
    def hidden_code(self):
        """Integer code of the hidden activation."""
        return ACTIVATION_CODES[self.hidden_activation]

    @property
    def out_code(self):
        """Integer code of the output activation."""
        return self.ops[-1].code

    @property
    def n_layers(self):
        """Number of dense layers (hidden and output)."""
        return len(self.dense)

    def layer_ops(self, l):
        """The ops of dense layer ``l``, in forward order."""
        return [op for op in self.ops if op.layer == l]

    def parts(self, l):
        """Every named part of layer ``l`` (see each op's ``parts``), and
        ``slopes``, the fixed negative-side slopes of a hidden layer."""
        out = {}
        for op in self.layer_ops(l):
            out.update(op.parts(self))
            if isinstance(op, Activation):
                out["slopes"] = view(self.buffers, op.row[Q0], op.units)
        return out

    def part(self, l, name):
        """View of the part ``name`` (e.g. ``"gamma"``) of layer ``l``, or None."""
        return self.parts(l).get(name)

    def layer_ranges(self):
        """``(start, stop)`` of each dense layer's parameters in ``params``."""
        starts = [int(op.row[P0]) for op in self.dense] + [self.n_params]
        return [(starts[l], starts[l + 1]) for l in range(self.n_layers)]

    def _make_views(self):
        views = self.layer_views(self.params)
        self.coefs = [w for w, _ in views]
        self.intercepts = [b for _, b in views]

    def layer_views(self, buf):
        """Per-layer ``(W, b)`` views of any buffer with this network's layout."""
        return [op.weights(buf) for op in self.dense]

    def state_dict(self):
        """Copies of the parameters and buffers, and the dropout plan."""
        return {"params": self.params.copy(), "buffers": self.buffers.copy(),
                "dropout": self.dropout}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict` in place (views stay valid)."""
        self.set_dropout(state["dropout"])
        self.params[:] = state["params"]
        self.buffers[:] = state["buffers"]

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["coefs"], state["intercepts"]  # views: rebuilt on load
        state.pop("_inference_cache", None)
        return state

    def __setstate__(self, state):
        if "ops" not in state:  # a Network pickled before the plan of layer ops
            state = _from_layout_state(state)
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
        """Every op's starting values (normalisation scale 1 / shift 0, running
        mean 0 / variance 1, slopes): everything but the dense weights."""
        for op in self.ops:
            op.reset(self)

    # ------------------------------------------------------- initialisation
    def initialize(self, weight_init, random_state, Y=None, sample_weight=None,
                   solver="adam"):
        """Initialise every parameter.

        ``weight_init`` is resolved by :func:`~fastnn.nn.init.resolve_weight_init`.
        The named schemes draw every layer's weights from their variance and
        start the biases at zero. ``'auto_relu'`` (``'auto'`` for the ReLU
        family) draws uniform weights with
        :func:`~fastnn.nn.init.auto_relu_variance`, hidden biases from
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (PyTorch's ``nn.Linear`` bias).
        ``'sklearn'``: scikit-learn's MLP scheme, weights and biases from
        ``U(-r, r)`` with ``r = sqrt(f / (fan_in + fan_out))``, ``f = 2`` for
        logistic and 6 otherwise, the same draws as ``MLPClassifier``'s for the
        same ``random_state``. ``'pytorch'``: ``nn.Linear``'s defaults, weights
        and biases from ``U(-r, r)`` with ``r = 1 / sqrt(fan_in)``.

        With ``weight_init='auto'`` and targets ``Y``, the output bias starts at
        :func:`~fastnn.nn.init.prior_output_bias`: the network does not spend
        its first epochs learning the targets' offset or the class frequencies.
        ``solver`` picks what ``'auto'`` stands for.
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
        """Set the output bias to :func:`~fastnn.nn.init.prior_output_bias` of ``Y``."""
        self.intercepts[-1][...] = prior_output_bias(self.out_activation, Y, sample_weight)

    def init_head_on_features(self, X, random_state):
        """Draw the output layer for the features the hidden layers give on ``X``.

        For a fresh output layer on copied (trained) hidden layers, whose features
        can be large: weights from ``U(-r, r)`` with ``r = sqrt(3) *
        HEAD_OUTPUT_STD / (sqrt(fan_in) * rms(h))``, ``h`` the last hidden layer's
        activations on ``X`` (inference mode). The initial outputs then have
        standard deviation about :data:`~fastnn.nn.init.HEAD_OUTPUT_STD`, so the
        loss starts within a few percent of a model that knows only the class
        frequencies (the bias is left as :meth:`initialize` set it), while the
        copied layers get a useful gradient from the first step, as under
        PyTorch's fresh ``nn.Linear`` head. A head drawn like a fresh network's
        started at 2.6 instead of ``log 5 = 1.61`` on digits 5-9 over features
        trained on digits 0-4.

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

    # ------------------------------------------------------------ inference
    def inference_steps(self, layers=None):
        """One dict per dense layer for the inference pass and ONNX export.

        Keys: ``W``, ``b`` (batch norm folded in: see
        :meth:`~fastnn.nn.batch_norm.BatchNorm.fold`), ``norm`` (layer norm's
        ``(gamma, beta)`` or None), ``code`` and ``slopes`` (hidden layers) or
        ``out_code`` (the output layer), and ``ops``, the layer's ops.
        """
        steps = []
        for l in range(self.n_layers if layers is None else layers):
            step = {"norm": None, "ops": self.layer_ops(l)}
            for op in step["ops"]:
                op.fold(self, step)
            steps.append(step)
        return steps

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
        return inference.forward(X, *self._inference_arrays(hidden_layer))

    def _inference_arrays(self, hidden_layer):
        """The inference pass's arguments after ``X``. Without batch norm every
        array is a view of ``params`` / ``buffers``, which training updates in
        place, so they are kept (single-row prediction then costs one call);
        batch norm's folded weights are copies, computed afresh each time."""
        cache = self.__dict__.setdefault("_inference_cache", {})
        hit = cache.get(hidden_layer)
        if hit is not None and hit[0] is self.params and hit[1] is self.buffers:
            return hit[2]
        steps = self.inference_steps(None if hidden_layer is None else hidden_layer + 1)
        hidden = steps if hidden_layer is not None else steps[:-1]
        out_code = -1 if hidden_layer is not None else steps[-1]["out_code"]
        arrays = ([s["W"] for s in steps], [s["b"] for s in steps],
                  [s["slopes"] for s in hidden], self.hidden_code, out_code,
                  [s["norm"] for s in steps])
        if not self.batch_norm:
            cache[hidden_layer] = (self.params, self.buffers, arrays)
        return arrays

    # ------------------------------------------------- inspection, transfer
    def summary_rows(self):
        """One dict per op but the output: ``index`` (its dense layer), ``layer``,
        ``kind``, ``output_shape``, ``activation`` and ``params`` (trained values)."""
        rows = []
        for op in self.ops:
            if op.kind == "output":
                rows[-1]["activation"] = op.name
                continue
            activation = op.name if op.kind == "activation" else ""
            rows.append(dict(index=op.layer, layer=f"{op.kind}_{op.layer}", kind=op.kind,
                             output_shape=(None, op.units), activation=activation,
                             params=op.n_trained()))
        return rows

    def copy_hidden_layers_from(self, source):
        """Copy the leading hidden layers whose shapes match ``source``'s.

        Weights, biases and every part both networks' ops have (normalisation
        scale, shift and running statistics, PReLU slopes) are copied layer by
        layer from the input side, stopping at the first hidden layer whose
        ``(fan_in, fan_out)`` differs (later layers see different inputs). The
        output layer is never copied. Returns the indices of the copied layers.
        """
        copied = []
        for l in range(min(self.n_layers, source.n_layers) - 1):
            if self.coefs[l].shape != source.coefs[l].shape:
                break
            self.coefs[l][...] = source.coefs[l]
            self.intercepts[l][...] = source.intercepts[l]
            theirs = {}
            for op in source.layer_ops(l):
                theirs.update(op.parts(source))
            for op in self.layer_ops(l):
                for name, view in op.parts(self).items():
                    if name in theirs:
                        view[...] = theirs[name]
            copied.append(l)
        return copied

    def config(self):
        """What must match for a warm start to reuse this network."""
        return (self.layer_units, self.hidden_activation, self.out_activation,
                self.batch_norm, self.layer_norm)

    def describe(self):
        """The plan as JSON-able data (one dict per op)."""
        return [op.describe() for op in self.ops]


def _from_layout_state(state):
    """The state of a Network pickled by fastnn before the plan of layer ops: the
    same flat buffers in the same order, rebuilt as a plan."""
    net = Network(state["layer_units"], state["hidden_activation"], state["out_activation"],
                  state["dtype"], batch_norm=state.get("batch_norm", False))
    if net.params.shape != state["params"].shape or net.buffers.shape != state["buffers"].shape:
        raise ValueError("pickled network does not match its description")
    new = dict(net.__dict__)
    del new["coefs"], new["intercepts"]
    new["params"], new["buffers"] = state["params"], state["buffers"]
    return new
