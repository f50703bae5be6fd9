"""The network plan: layer sizes, the flat parameter buffer and its per-layer views.

All parameters of a network live in one contiguous buffer; layer ``l`` stores
its weight matrix ``W_l`` (``fan_in x fan_out``, row-major) followed by its bias
``b_l``. ``coefs`` and ``intercepts`` are lists of views into that buffer, so
writing to ``est.coefs_[0]`` changes the model, and optimizers update every
parameter in one pass over one array.
"""
import numpy as np

from . import _inference
from ._kernels.activations import ACTIVATION_CODES
from ._kernels.losses import OUTPUT_CODES
from ._kernels.network import B_OFF, FAN_IN, FAN_OUT, W_OFF


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

    Attributes
    ----------
    params : ndarray of shape (n_params,)
        The flat parameter buffer.
    layout : ndarray of shape (n_layers, 4), dtype int64
        Per layer: offset of ``W``, offset of ``b``, ``fan_in``, ``fan_out``.
    coefs, intercepts : list of ndarray
        Views of each layer's ``W`` (``fan_in x fan_out``) and ``b``.
    """

    def __init__(self, layer_units, hidden_activation, out_activation, dtype):
        self.layer_units = [int(u) for u in layer_units]
        self.hidden_activation = hidden_activation
        self.out_activation = out_activation
        self.dtype = np.dtype(dtype)
        n_layers = len(self.layer_units) - 1
        layout = np.empty((n_layers, 4), dtype=np.int64)
        offset = 0
        for l, (fan_in, fan_out) in enumerate(zip(self.layer_units[:-1], self.layer_units[1:])):
            layout[l] = (offset, offset + fan_in * fan_out, fan_in, fan_out)
            offset += fan_in * fan_out + fan_out
        self.layout = layout
        self.params = np.zeros(offset, dtype=self.dtype)
        self._make_views()

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
        """Number of parameters (weights and biases)."""
        return self.params.shape[0]

    def _make_views(self):
        self.coefs = [self._view(self.params, l)[0] for l in range(len(self.layout))]
        self.intercepts = [self._view(self.params, l)[1] for l in range(len(self.layout))]

    def _view(self, buf, l):
        w_off, b_off, fan_in, fan_out = self.layout[l]
        return buf[w_off : w_off + fan_in * fan_out].reshape(fan_in, fan_out), buf[
            b_off : b_off + fan_out
        ]

    def layer_views(self, buf):
        """Per-layer ``(W, b)`` views of any buffer with this network's layout."""
        return [self._view(buf, l) for l in range(len(self.layout))]

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
                raise ValueError(
                    f"{name}_[{l}] must have shape {view.shape}, got {new.shape}."
                )
        for view, new in zip(views, arrays):
            view[...] = new

    def init_uniform(self, random_state):
        """scikit-learn's initialisation (Glorot uniform; factor 2 for logistic).

        For each layer in turn, ``W`` then ``b`` are drawn from
        ``U(-r, r)`` with ``r = sqrt(factor / (fan_in + fan_out))``,
        ``factor = 2`` for the logistic activation and ``6`` otherwise. The draws
        are the same as ``MLPClassifier``'s for the same ``random_state``.
        """
        factor = 2.0 if self.hidden_activation == "logistic" else 6.0
        for W, b in zip(self.coefs, self.intercepts):
            bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
            W[...] = random_state.uniform(-bound, bound, W.shape)
            b[...] = random_state.uniform(-bound, bound, b.shape)

    def activation_offsets(self, batch_rows):
        """Offsets of each layer's activations in a workspace of ``batch_rows`` rows."""
        widths = self.layout[:, FAN_OUT]
        return batch_rows * np.concatenate(([0], np.cumsum(widths[:-1]))).astype(np.int64)

    def workspace_size(self, batch_rows):
        """Elements of one activation workspace for ``batch_rows`` rows."""
        return int(batch_rows * self.layout[:, FAN_OUT].sum())

    def forward(self, X):
        """Output activations for validated input (compiled inference path).

        Parameters
        ----------
        X : ndarray or scipy.sparse.csr_matrix
            Input in this network's dtype (C-contiguous if dense).

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
        """
        return _inference.forward(X, self.coefs, self.intercepts, self.hidden_code, self.out_code)

    def describe(self):
        """Readable one-line summary, e.g. ``'20 -> 64 (relu) -> 4 (softmax)'``."""
        hidden = " -> ".join(f"{u} ({self.hidden_activation})" for u in self.layer_units[1:-1])
        parts = [str(self.layer_units[0])] + ([hidden] if hidden else [])
        parts.append(f"{self.layer_units[-1]} ({self.out_activation})")
        return " -> ".join(parts)


__all__ = ["Network", "W_OFF", "B_OFF", "FAN_IN", "FAN_OUT"]
