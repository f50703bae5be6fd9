"""Hidden-layer activations: the scalar pairs, their registry and the activation op.

Each activation is a pair of scalar kernels side by side: ``name(z, s)`` and
``name_grad(z, a, s)``. The derivative may use the pre-activation ``z`` or the
output ``a``, whichever is cheaper; ``s`` is the negative-side slope of the
leaky family (fixed for ``leaky_relu``, learned per unit for ``prelu``, random
per element in training for ``rrelu``) and is ignored by the others.

:data:`ACTIVATIONS` is the one registry: per public name its code, the scalar
pair, whether the ReLU-family initialisation applies, and its ONNX form (the
graph of the same formula). The op kernels loop over the registry
(:func:`forward_loops_` and :func:`backward_loops_` unroll it with
``numba.literal_unroll``), so each activation gets tight loops of its own with
no per-element dispatch. The Cython inference pass (``csrc/_inference_ext.pyx``)
has the same formulas under the same codes; ``tests/test_activations.py`` checks
that every registry entry has its Cython formula, ONNX form, NumPy reference and
a correctly declared init family, and the kernel, gradient, inference and ONNX
tests run over the registry.

Adding an activation: the scalar pair here and its registry entry, the formula in
``activate`` and ``HIDDEN_CODES`` of ``csrc/_inference_ext.pyx``, and a NumPy
reference in ``tests/reference.py``.
"""
import math
from dataclasses import dataclass

import numpy as np
from numba import literal_unroll

from .jit import inline_kernel, kernel
from .layerop import LayerOp, matrix_view, view
from .optable import (
    ACTIVATION,
    AUX0,
    AUX1,
    DST,
    KIND,
    LAYER,
    P0,
    P1,
    Q0,
    SRC,
    UNITS,
    block,
    vector,
)
from .random import uniform

IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
LEAKY_RELU = 4
PRELU = 5
RRELU = 6
ELU = 7
SELU = 8
GELU = 9
SILU = 10
MISH = 11

LEAKY_SLOPE = 0.01
PRELU_INIT = 0.25
RRELU_LOWER, RRELU_UPPER = 1.0 / 8.0, 1.0 / 3.0
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
INV_SQRT2 = 0.7071067811865476
INV_SQRT_2PI = 0.3989422804014327


@kernel
def identity(z, s):
    """``f(z) = z``."""
    return z


@kernel
def identity_grad(z, a, s):
    """``f'(z) = 1``."""
    return 1.0


@kernel
def logistic(z, s):
    """``f(z) = 1 / (1 + exp(-z))``, evaluated without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@kernel
def logistic_grad(z, a, s):
    """``f'(z) = a (1 - a)``."""
    return a * (1.0 - a)


@kernel
def tanh(z, s):
    """``f(z) = tanh(z)``."""
    return math.tanh(z)


@kernel
def tanh_grad(z, a, s):
    """``f'(z) = 1 - a^2``."""
    return 1.0 - a * a


@kernel
def relu(z, s):
    """``f(z) = max(z, 0)``."""
    return z if z > 0 else 0.0


@kernel
def relu_grad(z, a, s):
    """``f'(z) = 1 if z > 0 else 0``."""
    return 1.0 if z > 0 else 0.0


@kernel
def sloped_relu(z, s):
    """Leaky / parametric / randomized ReLU: ``f(z) = z if z > 0 else s z``."""
    return z if z > 0 else s * z


@kernel
def sloped_relu_grad(z, a, s):
    """``f'(z) = 1 if z > 0 else s``."""
    return 1.0 if z > 0 else s


@kernel
def elu(z, s):
    """``f(z) = z if z > 0 else exp(z) - 1`` (alpha = 1)."""
    return z if z > 0 else math.expm1(z)


@kernel
def elu_grad(z, a, s):
    """``f'(z) = 1 if z > 0 else a + 1``."""
    return 1.0 if z > 0 else a + 1.0


@kernel
def selu(z, s):
    """``f(z) = scale * (z if z > 0 else alpha (exp(z) - 1))``."""
    return SELU_SCALE * z if z > 0 else SELU_SCALE * SELU_ALPHA * math.expm1(z)


@kernel
def selu_grad(z, a, s):
    """``f'(z) = scale if z > 0 else a + scale * alpha``."""
    return SELU_SCALE if z > 0 else a + SELU_SCALE * SELU_ALPHA


@kernel
def gelu(z, s):
    """``f(z) = z Phi(z)``, ``Phi`` the standard normal CDF (exact, via erf)."""
    return 0.5 * z * (1.0 + math.erf(z * INV_SQRT2))


@kernel
def gelu_grad(z, a, s):
    """``f'(z) = Phi(z) + z phi(z)``."""
    return 0.5 * (1.0 + math.erf(z * INV_SQRT2)) + z * INV_SQRT_2PI * math.exp(-0.5 * z * z)


@kernel
def silu(z, s):
    """``f(z) = z sigmoid(z)``."""
    return z * logistic(z, s)


@kernel
def silu_grad(z, a, s):
    """``f'(z) = sigmoid(z) (1 + z (1 - sigmoid(z)))``."""
    g = logistic(z, s)
    return g * (1.0 + z * (1.0 - g))


@kernel
def mish(z, s):
    """``f(z) = z tanh(softplus(z))``, ``softplus(z) = log(1 + exp(z))``."""
    return z * math.tanh(z if z > 20.0 else math.log1p(math.exp(z)))


@kernel
def mish_grad(z, a, s):
    """``f'(z) = t + z sigmoid(z) (1 - t^2)``, ``t = tanh(softplus(z))``."""
    t = math.tanh(z if z > 20.0 else math.log1p(math.exp(z)))
    return t + z * logistic(z, s) * (1.0 - t * t)


# ----------------------------------------------------------------- ONNX forms
# ``f(g, z, slope) -> name of f(z)`` with ``g`` fastnn's ONNX graph writer
# (:mod:`fastnn.io.onnx`). The piecewise ones are written ``relu(z) + h(min(z,
# 0))`` with ``h(0) = 0``: exact on both sides, and ``exp`` never overflows.
def _expm1_neg(g, z):
    """``exp(min(z, 0)) - 1``: ELU's negative side."""
    return g.node("Sub", [g.node("Exp", [g.node("Min", [z, g.const(0.0, "zero")])]),
                          g.const(1.0, "one")])


def _onnx_elu(g, z, slope):
    return g.node("Add", [g.node("Relu", [z]), _expm1_neg(g, z)], "elu")


def _onnx_selu(g, z, slope):
    pos = g.node("Mul", [g.node("Relu", [z]), g.const(SELU_SCALE, "selu_scale")])
    neg = g.node("Mul", [_expm1_neg(g, z),
                         g.const(SELU_SCALE * SELU_ALPHA, "selu_scale_alpha")])
    return g.node("Add", [pos, neg], "selu")


def _onnx_gelu(g, z, slope):
    u = g.node("Mul", [z, g.const(INV_SQRT2, "inv_sqrt2")])
    if g.dtype == np.float64:  # onnxruntime has no float64 Erf kernel
        erf = g.cast(g.node("Erf", [g.cast(u, np.float32)]), np.float64)
    else:
        erf = g.node("Erf", [u])
    half_z = g.node("Mul", [z, g.const(0.5, "half")])
    return g.node("Mul", [half_z, g.node("Add", [erf, g.const(1.0, "one")])], "gelu")


def _onnx_sloped_relu(g, z, slope):  # not PRelu: onnxruntime has no float64 kernel for it
    neg = g.node("Mul", [g.node("Min", [z, g.const(0.0, "zero")]), g.const(slope, "slope")])
    return g.node("Add", [g.node("Relu", [z]), neg], "sloped_relu")


# ------------------------------------------------------------------- registry
@dataclass(frozen=True)
class ActivationSpec:
    """One hidden activation.

    Attributes
    ----------
    code : int
        The integer code every kernel dispatches on (Numba and Cython).
    forward, grad : numba dispatcher
        The scalar pair ``f(z, s)`` and ``f'(z, a, s)``.
    relu_family : bool
        Whether ``weight_init='auto'`` uses the ReLU-family scheme for it.
    onnx : callable
        ``onnx(g, z, slope) -> name``: the same formula as ONNX nodes.
    fixed_slope : float
        Negative-side slope kept in ``buffers`` (leaky family; 0 otherwise).
    """

    code: int
    forward: object
    grad: object
    relu_family: bool
    onnx: object
    fixed_slope: float = 0.0


#: Public activation name -> its specification.
ACTIVATIONS = {
    "identity": ActivationSpec(IDENTITY, identity, identity_grad, False, lambda g, z, slope: z),
    "logistic": ActivationSpec(LOGISTIC, logistic, logistic_grad, False, lambda g, z, slope: g.node("Sigmoid", [z])),
    "tanh": ActivationSpec(TANH, tanh, tanh_grad, False, lambda g, z, slope: g.node("Tanh", [z])),
    "relu": ActivationSpec(RELU, relu, relu_grad, True, lambda g, z, slope: g.node("Relu", [z])),
    "leaky_relu": ActivationSpec(LEAKY_RELU, sloped_relu, sloped_relu_grad, True, _onnx_sloped_relu, LEAKY_SLOPE),
    "prelu": ActivationSpec(PRELU, sloped_relu, sloped_relu_grad, True, _onnx_sloped_relu, PRELU_INIT),
    "rrelu": ActivationSpec(RRELU, sloped_relu, sloped_relu_grad, True, _onnx_sloped_relu,
                            0.5 * (RRELU_LOWER + RRELU_UPPER)),
    "elu": ActivationSpec(ELU, elu, elu_grad, True, _onnx_elu),
    "selu": ActivationSpec(SELU, selu, selu_grad, False, _onnx_selu),
    "gelu": ActivationSpec(GELU, gelu, gelu_grad, True, _onnx_gelu),
    "silu": ActivationSpec(SILU, silu, silu_grad, True, lambda g, z, slope: g.node(
        "Mul", [z, g.node("Sigmoid", [z])], "silu")),
    "mish": ActivationSpec(MISH, mish, mish_grad, True, lambda g, z, slope: g.node(
        "Mul", [z, g.node("Tanh", [g.node("Softplus", [z])])], "mish")),
}
ACTIVATIONS["sigmoid"] = ACTIVATIONS["logistic"]
#: Public activation name -> integer code.
ACTIVATION_CODES = {name: spec.code for name, spec in ACTIVATIONS.items()}


#: ``(code, f, f')`` of every activation: the op kernels unroll over it
#: (``numba.literal_unroll``), so each activation gets loops of its own.
_KERNELS = tuple({spec.code: (spec.code, spec.forward, spec.grad)
                  for spec in ACTIVATIONS.values()}.values())


# ------------------------------------------------------------------ op kernels
@inline_kernel
def _slopes(code, row, params, buffers, acts, cap, n, training, key):
    """Negative-side slopes: ``(1, m)`` per unit, or ``(n, m)`` freshly drawn
    from ``U(lower, upper)`` for RReLU in training."""
    m = row[UNITS]
    if code == RRELU and training:
        R = block(acts, row[AUX1], cap, n, m)
        for i in range(n):
            for j in range(m):
                R[i, j] = RRELU_LOWER + (RRELU_UPPER - RRELU_LOWER) * uniform(key, i * m + j)
        return R
    if row[P0] >= 0:
        return vector(params, row[P0], m).reshape((1, m))
    return vector(buffers, row[Q0], m).reshape((1, m))


@kernel
def forward_loops_(code, H, b, A, S, fused):
    """``A = f(H)``, with ``H += b`` first when ``fused``: one loop per activation,
    unrolled over the registry (:data:`_KERNELS`) and chosen by ``code``."""
    n, m = H.shape
    stride = 1 if S.shape[0] > 1 else 0  # per-element slopes (RReLU) or per unit
    for entry in literal_unroll(_KERNELS):
        if entry[0] == code:
            f = entry[1]
            if fused:
                for i in range(n):
                    for j in range(m):
                        z = H[i, j] + b[j]
                        H[i, j] = z
                        A[i, j] = f(z, S[i * stride, j])
            else:
                for i in range(n):
                    for j in range(m):
                        A[i, j] = f(H[i, j], S[i * stride, j])


@kernel
def backward_loops_(code, D, H, A, S):
    """``D *= f'(H)``, one loop per activation (as :func:`forward_loops_`)."""
    n, m = D.shape
    stride = 1 if S.shape[0] > 1 else 0
    for entry in literal_unroll(_KERNELS):
        if entry[0] == code:
            g = entry[2]
            for i in range(n):
                for j in range(m):
                    D[i, j] *= g(H[i, j], A[i, j], S[i * stride, j])


@kernel
def forward_op_(row, net, acts, cap, n, training, key):
    """Activation op forward: ``A = f(H)`` from SRC into DST, or ``A = f(Z + b)``
    (and ``Z += b`` in place) when the op carries the dense layer's bias
    (``P1``); RReLU's slopes are drawn into AUX1 in training."""
    code = row[AUX0]
    m = row[UNITS]
    S = _slopes(code, row, net.params, net.buffers, acts, cap, n, training, key)
    fused = row[P1] >= 0
    b = vector(net.params, max(row[P1], 0), m if fused else 0)
    forward_loops_(code, block(acts, row[SRC], cap, n, m), b, block(acts, row[DST], cap, n, m),
                   S, fused)


@kernel
def backward_op_(row, net, acts, D, cap, n, trainable):
    """Activation op backward: ``D *= f'(H)`` on the layer's delta (INOUT:
    ``dL/da`` in, ``dL/dh`` out). For PReLU in a trainable layer, the slope
    gradient ``sum_i D_ij * min(H_ij, 0)`` (``d a / d s = min(h, 0)``) goes to
    ``grads``."""
    code = row[AUX0]
    m = row[UNITS]
    H = block(acts, row[SRC], cap, n, m)
    if code == RRELU:
        S = block(acts, row[AUX1], cap, n, m)
    elif row[P0] >= 0:
        S = vector(net.params, row[P0], m).reshape((1, m))
    else:
        S = vector(net.buffers, row[Q0], m).reshape((1, m))
    p = row[P0]
    if code == PRELU and p >= 0 and trainable:
        gslope = vector(net.grads, p, m)
        gslope[:] = 0.0
        for i in range(n):
            for j in range(m):
                if H[i, j] < 0:
                    gslope[j] += D[i, j] * H[i, j]
    backward_loops_(code, D, H, block(acts, row[DST], cap, n, m), S)


class Activation(LayerOp):
    """The activation op ``a = f(h)`` of a hidden layer.

    Parameters
    ----------
    layer, units : int
    name : str
        A key of :data:`ACTIVATIONS`.
    fused_bias : int
        Offset of the dense layer's bias when this op adds it (``f(z + b)`` in
        one pass), else -1.

    Notes
    -----
    Parts: ``prelu_slopes`` (trained, PReLU only) and ``slopes`` (fixed
    negative-side slopes in ``buffers``, used at inference by the leaky family;
    for RReLU the mean of its training range). RReLU draws one slope per element
    into a workspace block in training.
    """

    kind = "activation"

    def __init__(self, layer, units, name, fused_bias=-1):
        super().__init__(layer, units)
        self.name = name
        self.fused_bias = fused_bias

    @property
    def spec(self):
        """The registry entry (looked up, so that pickles hold only the name)."""
        return ACTIVATIONS[self.name]

    def allocate(self, alloc, src):
        r = self.row
        r[KIND], r[LAYER], r[UNITS], r[SRC] = ACTIVATION, self.layer, self.units, src
        r[AUX0] = self.spec.code
        r[P1] = self.fused_bias
        if self.spec.code == PRELU:
            r[P0] = alloc.params(self.units)
        r[Q0] = alloc.buffers(self.units)
        r[DST] = alloc.block(self.units)
        if self.spec.code == RRELU:
            r[AUX1] = alloc.block(self.units)
        return r[DST]

    def reset(self, net):
        view(net.buffers, self.row[Q0], self.units)[...] = self.spec.fixed_slope
        if self.row[P0] >= 0:
            view(net.params, self.row[P0], self.units)[...] = PRELU_INIT

    def parts(self, net):
        if self.row[P0] < 0:
            return {}
        return {"prelu_slopes": view(net.params, self.row[P0], self.units)}

    def n_trained(self):
        return self.units if self.row[P0] >= 0 else 0

    def slopes(self, net):
        """Negative-side slope per unit at inference."""
        if self.row[P0] >= 0:
            return view(net.params, self.row[P0], self.units)
        return view(net.buffers, self.row[Q0], self.units)

    def fold(self, net, step):
        step["code"] = self.spec.code
        step["slopes"] = self.slopes(net)

    def onnx(self, g, x, step):
        return self.spec.onnx(g, x, step["slopes"])

    def describe(self):
        return {**super().describe(), "activation": self.name}
