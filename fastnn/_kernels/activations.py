"""Hidden-layer activations ``a = f(z)`` and their derivatives ``f'(z)``.

Each activation is a pair of scalar kernels side by side: ``name(z, s)`` and
``name_grad(z, a, s)``. The derivative may use the pre-activation ``z`` or the
output ``a``, whichever is cheaper; ``s`` is the negative-side slope of the
leaky family (fixed for ``leaky_relu``, learned per unit for ``prelu``, random
per element in training for ``rrelu``) and is ignored by the others.
:func:`activate` and :func:`activate_grad` dispatch on the integer code;
:data:`ACTIVATION_CODES` maps the public names.

The array kernels at the end (:func:`bias_activation_`, :func:`activation_`,
:func:`activation_backward_`) branch on the code once, outside the loop: each
branch runs an inlined loop body with a constant code, so it compiles to a
tight loop for that one activation.

``S`` holds negative-side slopes: shape ``(1, m)`` for one slope per unit
(fixed, or learned by PReLU) or ``(n, m)`` for one per element (RReLU in
training); other activations ignore it.

Adding an activation: write the pair, give it a code, add a branch to
:func:`activate`, :func:`activate_grad` and the three :func:`_dispatch` users
(one line each), a row to the tests' activation table, and the same formula to
``csrc/_inference_ext.pyx``.
"""
import math

from .._jit import inline_kernel, kernel

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

#: Public activation name -> integer code used by every kernel.
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "sigmoid": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "prelu": PRELU,
    "rrelu": RRELU,
    "elu": ELU,
    "selu": SELU,
    "gelu": GELU,
    "silu": SILU,
}
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
def activate(code, z, s):
    """Apply activation ``code`` to the scalar ``z`` (negative-side slope ``s``)."""
    if code == RELU:
        return relu(z, s)
    if code == LEAKY_RELU or code == PRELU or code == RRELU:
        return sloped_relu(z, s)
    if code == TANH:
        return tanh(z, s)
    if code == LOGISTIC:
        return logistic(z, s)
    if code == ELU:
        return elu(z, s)
    if code == SELU:
        return selu(z, s)
    if code == GELU:
        return gelu(z, s)
    if code == SILU:
        return silu(z, s)
    return identity(z, s)


@kernel
def activate_grad(code, z, a, s):
    """Derivative of activation ``code`` at ``z`` (output ``a``, slope ``s``)."""
    if code == RELU:
        return relu_grad(z, a, s)
    if code == LEAKY_RELU or code == PRELU or code == RRELU:
        return sloped_relu_grad(z, a, s)
    if code == TANH:
        return tanh_grad(z, a, s)
    if code == LOGISTIC:
        return logistic_grad(z, a, s)
    if code == ELU:
        return elu_grad(z, a, s)
    if code == SELU:
        return selu_grad(z, a, s)
    if code == GELU:
        return gelu_grad(z, a, s)
    if code == SILU:
        return silu_grad(z, a, s)
    return identity_grad(z, a, s)


@inline_kernel
def _bias_activation_loop(Z, b, A, code, S):
    n, m = Z.shape
    per_element = S.shape[0] > 1
    for i in range(n):
        si = i if per_element else 0
        for j in range(m):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            A[i, j] = activate(code, z, S[si, j])


@inline_kernel
def _activation_loop(H, A, code, S):
    n, m = H.shape
    per_element = S.shape[0] > 1
    for i in range(n):
        si = i if per_element else 0
        for j in range(m):
            A[i, j] = activate(code, H[i, j], S[si, j])


@inline_kernel
def _backward_loop(G, H, A, code, S):
    n, m = G.shape
    per_element = S.shape[0] > 1
    for i in range(n):
        si = i if per_element else 0
        for j in range(m):
            G[i, j] *= activate_grad(code, H[i, j], A[i, j], S[si, j])


@kernel
def bias_activation_(Z, b, A, code, S):
    """Fused pass: ``Z += b`` then ``A = f(Z)`` (INOUT Z, OUT A)."""
    if code == RELU:
        _bias_activation_loop(Z, b, A, RELU, S)
    elif code == LEAKY_RELU or code == PRELU or code == RRELU:
        _bias_activation_loop(Z, b, A, LEAKY_RELU, S)
    elif code == TANH:
        _bias_activation_loop(Z, b, A, TANH, S)
    elif code == LOGISTIC:
        _bias_activation_loop(Z, b, A, LOGISTIC, S)
    elif code == ELU:
        _bias_activation_loop(Z, b, A, ELU, S)
    elif code == SELU:
        _bias_activation_loop(Z, b, A, SELU, S)
    elif code == GELU:
        _bias_activation_loop(Z, b, A, GELU, S)
    elif code == SILU:
        _bias_activation_loop(Z, b, A, SILU, S)
    else:
        _bias_activation_loop(Z, b, A, IDENTITY, S)


@kernel
def activation_(H, A, code, S):
    """``A = f(H)`` (OUT A)."""
    if code == RELU:
        _activation_loop(H, A, RELU, S)
    elif code == LEAKY_RELU or code == PRELU or code == RRELU:
        _activation_loop(H, A, LEAKY_RELU, S)
    elif code == TANH:
        _activation_loop(H, A, TANH, S)
    elif code == LOGISTIC:
        _activation_loop(H, A, LOGISTIC, S)
    elif code == ELU:
        _activation_loop(H, A, ELU, S)
    elif code == SELU:
        _activation_loop(H, A, SELU, S)
    elif code == GELU:
        _activation_loop(H, A, GELU, S)
    elif code == SILU:
        _activation_loop(H, A, SILU, S)
    else:
        _activation_loop(H, A, IDENTITY, S)


@kernel
def activation_backward_(G, H, A, code, S, gslope):
    """``G *= f'(H)`` (INOUT G: ``dL/da`` in, ``dL/dh`` out).

    For PReLU, ``gslope`` (OUT) receives the slope gradient
    ``sum_i G_ij * min(H_ij, 0)`` (``d a / d s = min(h, 0)``), unless it is
    empty (frozen slopes).
    """
    if code == PRELU and gslope.shape[0] > 0:
        n, m = G.shape
        gslope[:] = 0.0
        for i in range(n):
            for j in range(m):
                if H[i, j] < 0:
                    gslope[j] += G[i, j] * H[i, j]
    if code == RELU:
        _backward_loop(G, H, A, RELU, S)
    elif code == LEAKY_RELU or code == PRELU or code == RRELU:
        _backward_loop(G, H, A, LEAKY_RELU, S)
    elif code == TANH:
        _backward_loop(G, H, A, TANH, S)
    elif code == LOGISTIC:
        _backward_loop(G, H, A, LOGISTIC, S)
    elif code == ELU:
        _backward_loop(G, H, A, ELU, S)
    elif code == SELU:
        _backward_loop(G, H, A, SELU, S)
    elif code == GELU:
        _backward_loop(G, H, A, GELU, S)
    elif code == SILU:
        _backward_loop(G, H, A, SILU, S)
    else:
        _backward_loop(G, H, A, IDENTITY, S)
