"""The dropout op: inverted dropout after a hidden layer's activation, forward and
backward, and the op.

In training each unit of each row is kept with probability ``1 - rate`` and
scaled by ``1 / (1 - rate)``, so the expected activation is unchanged and
inference is the identity; the backward pass multiplies the delta by the same
mask. The mask of element ``(i, j)`` is uniform draw ``i * m + j`` of the
layer's stream for the batch (counter-based, see :mod:`fastnn.nn.random`).
"""
from .jit import kernel
from .layerop import LayerOp
from .optable import AUX0, DELTA, DROPOUT, DST, KIND, LAYER, SRC, UNITS, block
from .random import uniform


@kernel
def dropout_(A, M, P, rate, key):
    """Inverted dropout: ``M = (u >= rate) / (1 - rate)``, ``P = A * M`` (OUT M, P).

    ``u`` is uniform draw ``i * m + j`` of stream ``key``. Dividing by
    ``1 - rate`` in training keeps the expected activation, so inference is the
    identity.
    """
    n, m = A.shape
    keep = 1.0 / (1.0 - rate)
    for i in range(n):
        for j in range(m):
            mask = keep if uniform(key, i * m + j) >= rate else 0.0
            M[i, j] = mask
            P[i, j] = A[i, j] * mask



@kernel
def forward_op_(row, acts, rate, cap, n, key):
    """Dropout op forward in training: SRC -> DST through the mask in AUX0."""
    m = row[UNITS]
    dropout_(block(acts, row[SRC], cap, n, m), block(acts, row[AUX0], cap, n, m),
             block(acts, row[DST], cap, n, m), rate, key)


@kernel
def backward_op_(row, acts, deltas, cap, n):
    """Dropout op backward: the layer's delta times the mask (INOUT)."""
    m = row[UNITS]
    D = block(deltas, row[DELTA], cap, n, m)
    M = block(acts, row[AUX0], cap, n, m)
    for i in range(n):
        for j in range(m):
            D[i, j] *= M[i, j]


class Dropout(LayerOp):
    """Dropout with probability ``rate`` after hidden layer ``layer``'s activation.

    The rate itself is a training setting: the kernels read it from the
    per-layer ``rates`` array, so only layers with a positive rate have the op.
    """

    kind = "dropout"

    def __init__(self, layer, units, rate):
        super().__init__(layer, units)
        self.rate = float(rate)

    def allocate(self, alloc, src):
        r = self.row
        r[KIND], r[LAYER], r[UNITS], r[SRC] = DROPOUT, self.layer, self.units, src
        r[AUX0] = alloc.block(self.units)
        r[DST] = alloc.block(self.units)
        return r[DST]

    def describe(self):
        return {**super().describe(), "rate": self.rate}
