"""What every layer op of a network plan does outside the training kernels.

An op kind lives in one domain module (``dense.py``, ``batch_norm.py``, ...):
its Numba forward and backward kernels side by side, and a :class:`LayerOp`
subclass with its other behaviour in one place: the space it takes in the flat
buffers and workspaces (:meth:`LayerOp.allocate`), its starting values
(:meth:`LayerOp.reset`), its part in the inference pass
(:meth:`LayerOp.fold`), its ONNX nodes (:meth:`LayerOp.onnx`), its row of
``summary()`` and what transfer learning copies (:meth:`LayerOp.parts`).
Saving needs nothing per op: the parts live in the flat buffers, and the plan is
rebuilt from the estimator's parameters.
"""
import numpy as np

from .optable import N_COLUMNS


def view(buf, offset, n):
    """``buf[offset:offset + n]`` (for Python code: the kernels' ``optable.vector``
    is compiled)."""
    return buf[offset : offset + n]


def matrix_view(buf, offset, rows, cols):
    """Row-major ``(rows, cols)`` view of ``buf`` from ``offset`` (Python side)."""
    return buf[offset : offset + rows * cols].reshape(rows, cols)


class Allocator:
    """Hands out offsets while a plan is built, op by op in forward order.

    Attributes
    ----------
    n_params, n_buffers : int
        Sizes of the flat ``params`` and ``buffers`` arrays so far.
    acts_columns : int
        Columns of the activation workspace so far (blocks are ``cap`` rows).
    stats_columns : int
        Columns of the float64 per-unit statistics array (batch norm).
    row_stats : int
        Rows of the float64 per-row statistics array (layer norm), two per op.
    """

    def __init__(self):
        self.n_params = 0
        self.n_buffers = 0
        self.acts_columns = 0
        self.stats_columns = 0
        self.row_stats = 0

    def params(self, size):
        """Offset of ``size`` new trained values."""
        offset, self.n_params = self.n_params, self.n_params + size
        return offset

    def buffers(self, size):
        """Offset of ``size`` new non-trained values."""
        offset, self.n_buffers = self.n_buffers, self.n_buffers + size
        return offset

    def block(self, units):
        """Workspace column of a new ``(cap, units)`` activation block."""
        column, self.acts_columns = self.acts_columns, self.acts_columns + units
        return column

    def stats(self, units):
        """Column of ``units`` new per-unit statistics (two rows: mean, 1/std)."""
        column, self.stats_columns = self.stats_columns, self.stats_columns + units
        return column

    def rows(self):
        """Index of a new pair of per-row statistics rows."""
        index, self.row_stats = self.row_stats, self.row_stats + 2
        return index


class LayerOp:
    """One op of a network plan (see the module docstring).

    Parameters
    ----------
    layer : int
        Index of the dense layer the op belongs to.
    units : int
        Width of the op's output.

    Attributes
    ----------
    row : ndarray of shape (N_COLUMNS,), int64
        The op's row of the op table (filled by :meth:`allocate`).
    """

    #: Name used in summaries and plan descriptions.
    kind = "op"

    def __init__(self, layer, units):
        self.layer = int(layer)
        self.units = int(units)
        self.row = np.full(N_COLUMNS, -1, dtype=np.int64)

    def allocate(self, alloc, src):
        """Reserve this op's space; ``src`` is its input's workspace column
        (-1 for the batch input). Returns its output's column."""
        raise NotImplementedError

    def reset(self, net):
        """Set this op's non-weight parts to their starting values."""

    def parts(self, net):
        """``{name: view}`` of this op's per-unit parts (trained ones in
        ``params``, running statistics and fixed slopes in ``buffers``): what
        transfer learning copies. Dense weights are not listed here."""
        return {}

    def n_trained(self):
        """Number of trained values this op owns (for ``summary()``)."""
        return 0

    def fold(self, net, step):
        """Contribute to this layer's inference step (a dict, see
        :meth:`fastnn.nn.plan.Network.inference_steps`)."""

    def onnx(self, g, x, step):
        """ONNX nodes of this op on input name ``x``; returns the output name.
        Ops folded into the dense layer before them return ``x``."""
        return x

    def describe(self):
        """The op as JSON-able settings (for plan descriptions)."""
        return {"kind": self.kind, "layer": self.layer, "units": self.units}
