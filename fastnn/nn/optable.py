"""The op table: how the compiled kernels see a network's list of layer ops.

A network (:class:`fastnn.nn.plan.Network`) is a list of layer ops: for each
hidden layer ``dense -> [batch norm] -> [layer norm] -> activation -> [dropout]``,
then ``dense -> output``. The kernels read it as one int64 row per op, in
forward order, with the columns below (``-1`` where an op has no such part).
Every op kind reads only the columns its docstring names.

==========  ================================================================
KIND        op kind code (:data:`KINDS`)
LAYER       index of the dense layer the op belongs to (frozen flags, random
            streams and delta blocks are per dense layer)
SRC         workspace column of the op's input block (-1: the batch input)
DST         workspace column of the op's output block
UNITS       width of the output block
FAN_IN      width of the input (dense ops)
P0, P1, P2  offsets of the op's parameters in the flat ``params`` buffer
Q0, Q1      offsets of its non-trained values in ``buffers``
AUX0, AUX1  per-kind integers (activation code, statistics column, ...)
FUSED       1 when the next op adds this dense op's bias (dense + activation)
DELTA       column of this op's layer in the delta workspace
==========  ================================================================

Activations of a batch live in one flat workspace: the ``(n, units)`` block at
column ``c`` starts at ``cap * c`` (``cap`` is the workspace's row capacity), so a
block's rows are contiguous and nothing is allocated during training. Deltas live
in a second workspace with one block per dense layer, and the ops of a layer
transform it in place on the way down.
"""
from .jit import kernel

(KIND, LAYER, SRC, DST, UNITS, FAN_IN, P0, P1, P2, Q0, Q1, AUX0, AUX1, FUSED,
 DELTA) = range(15)
N_COLUMNS = 15

#: Op kinds, in the order their kernels are dispatched.
DENSE, BATCH_NORM, LAYER_NORM, ACTIVATION, DROPOUT, OUTPUT = range(6)
KINDS = {"dense": DENSE, "batch_norm": BATCH_NORM, "layer_norm": LAYER_NORM,
         "activation": ACTIVATION, "dropout": DROPOUT, "output": OUTPUT}
# Random streams per batch and layer.
DROPOUT_STREAM, RRELU_STREAM, NOISE_STREAM = range(3)


@kernel
def block(buf, column, cap, n, units):
    """The row-major ``(n, units)`` block at workspace column ``column``."""
    start = cap * column
    return buf[start : start + n * units].reshape((n, units))


@kernel
def vector(buf, offset, n):
    """``buf[offset:offset + n]``: one per-unit part of a flat buffer."""
    return buf[offset : offset + n]


@kernel
def matrix(buf, offset, rows, cols):
    """Row-major ``(rows, cols)`` view of a flat buffer starting at ``offset``."""
    return buf[offset : offset + rows * cols].reshape((rows, cols))
