"""The output op: output activations fused with their loss and the output delta.

Each output activation is paired with its canonical loss, so the gradient of the
per-sample loss with respect to the output pre-activation is ``a - y`` in every
case (scikit-learn's conventions, per sample and summed over outputs):

=========  ==========  ==========================================================
code       activation  loss ``l(y, a)``
=========  ==========  ==========================================================
IDENTITY   ``z``       half squared error ``0.5 * sum_k (a_k - y_k)^2``
LOGISTIC   sigmoid     binary log loss ``-sum_k y log a + (1 - y) log(1 - a)``
SOFTMAX    softmax     categorical log loss ``-sum_k y_k log a_k``
EXP        ``exp(z)``  half Poisson deviance ``sum_k y log(y / a) - y + a``
=========  ==========  ==========================================================

Probabilities inside the logs are clipped to ``[eps, 1 - eps]`` of the dtype,
as scikit-learn does.
"""
import math

import numpy as np

from .jit import kernel
from .activations import logistic
from .layerop import LayerOp
from .optable import AUX0, DELTA, DST, KIND, LAYER, OUTPUT, SRC, UNITS, block

IDENTITY = 0
LOGISTIC = 1
SOFTMAX = 2
EXP = 3

#: Output activation name (scikit-learn's ``out_activation_``) -> code.
OUTPUT_CODES = {"identity": IDENTITY, "logistic": LOGISTIC, "softmax": SOFTMAX, "exp": EXP}


@kernel
def output_activation_(code, Z):
    """Apply output activation ``code`` row by row (INOUT Z, shape (n, k)).

    Sigmoid outputs are kept inside ``[eps / 2, 1 - eps / 2]`` so that
    probabilities stay strictly between 0 and 1 in float32.
    """
    n, k = Z.shape
    half_eps = np.finfo(Z.dtype).eps / 2
    for i in range(n):
        if code == SOFTMAX:
            m = Z[i, 0]
            for j in range(1, k):
                if Z[i, j] > m:
                    m = Z[i, j]
            s = 0.0
            for j in range(k):
                e = math.exp(Z[i, j] - m)
                Z[i, j] = e
                s += e
            for j in range(k):
                Z[i, j] = Z[i, j] / s
        elif code == LOGISTIC:
            for j in range(k):
                Z[i, j] = min(max(logistic(Z[i, j], 0.0), half_eps), 1.0 - half_eps)
        elif code == EXP:
            for j in range(k):
                Z[i, j] = math.exp(Z[i, j])


@kernel
def loss_delta_(code, A, Y, sw, D):
    """Weighted loss of output activations ``A`` and the output delta.

    Parameters
    ----------
    code : int
        Output code (:data:`OUTPUT_CODES`).
    A : ndarray of shape (n, k)
        IN: output activations (after :func:`output_activation_`).
    Y : ndarray of shape (n, k)
        IN: targets (one-hot or indicator for classifiers).
    sw : ndarray of shape (n,)
        IN: sample weights.
    D : ndarray of shape (n, k)
        OUT: ``sw_i * (a_i - y_i)``, the weighted gradient of the loss with
        respect to the output pre-activations.

    Returns
    -------
    float
        ``sum_i sw_i * l(y_i, a_i)``.
    """
    n, k = A.shape
    eps = np.finfo(A.dtype).eps
    total = 0.0
    for i in range(n):
        row_loss = 0.0
        for j in range(k):
            a = A[i, j]
            y = Y[i, j]
            if code == SOFTMAX:
                if y != 0:
                    row_loss -= y * math.log(min(max(a, eps), 1.0 - eps))
            elif code == LOGISTIC:
                p = min(max(a, eps), 1.0 - eps)
                if y != 0:
                    row_loss -= y * math.log(p)
                if y != 1:
                    row_loss -= (1.0 - y) * math.log(1.0 - p)
            elif code == EXP:
                if y > 0:
                    row_loss += y * math.log(y / a)
                row_loss += a - y
            else:
                row_loss += 0.5 * (a - y) * (a - y)
            D[i, j] = sw[i] * (a - y)
        total += sw[i] * row_loss
    return total


@kernel
def scale_(D, scale):
    """``D *= scale`` (INOUT D)."""
    dt = D.dtype.type
    s = dt(scale)
    n, m = D.shape
    for i in range(n):
        for j in range(m):
            D[i, j] *= s


@kernel
def loss_op_(row, acts, deltas, Y, sw, cap, n, scale):
    """Output op in training: output activation in place on the last dense
    layer's block, the weighted loss, and the output delta ``sw (a - y)``
    scaled by ``scale = 1 / sum(sw)`` into the layer's delta block. Returns the
    weighted loss sum."""
    code = row[AUX0]
    A = block(acts, row[SRC], cap, n, row[UNITS])
    D = block(deltas, row[DELTA], cap, n, row[UNITS])
    output_activation_(code, A)
    loss_sum = loss_delta_(code, A, Y, sw, D)
    scale_(D, scale)
    return loss_sum


# ONNX forms of the output activations: ``f(g, z) -> name``.
def _onnx_clipped_sigmoid(g, z):
    """Sigmoid kept inside ``[eps / 2, 1 - eps / 2]``, as the inference pass does."""
    half_eps = np.finfo(g.dtype).eps / 2
    low = g.node("Max", [g.node("Sigmoid", [z]), g.const(half_eps, "half_eps")])
    return g.node("Min", [low, g.const(1.0 - half_eps, "one_minus_half_eps")])


ONNX_FORMS = {
    IDENTITY: lambda g, z: z,
    LOGISTIC: _onnx_clipped_sigmoid,
    SOFTMAX: lambda g, z: g.node("Softmax", [z], axis=1),
    EXP: lambda g, z: g.node("Exp", [z]),
}


class Output(LayerOp):
    """The output activation and its loss, in place on the last dense layer's
    output (no parts of its own).

    Parameters
    ----------
    layer, units : int
    name : str
        A key of :data:`OUTPUT_CODES` (scikit-learn's ``out_activation_``).
    """

    kind = "output"

    def __init__(self, layer, units, name):
        super().__init__(layer, units)
        self.name = name
        self.code = OUTPUT_CODES[name]

    def allocate(self, alloc, src):
        r = self.row
        r[KIND], r[LAYER], r[UNITS], r[SRC], r[DST] = OUTPUT, self.layer, self.units, src, src
        r[AUX0] = self.code
        return src

    def fold(self, net, step):
        step["out_code"] = self.code

    def onnx(self, g, x, step):
        return ONNX_FORMS[self.code](g, x)

    def describe(self):
        return {**super().describe(), "output": self.name}
