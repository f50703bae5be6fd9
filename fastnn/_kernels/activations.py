"""Hidden-layer activations ``a = f(z)`` and their derivatives ``f'(z)``.

Each activation is a pair of scalar kernels side by side: ``name(z)`` and
``name_grad(z, a)`` (the derivative may use the pre-activation ``z`` or the
output ``a``, whichever is cheaper). :func:`activate` and :func:`activate_grad`
dispatch on the integer code; :data:`ACTIVATION_CODES` maps the public names.

Adding an activation: write the pair, give it a code, add a branch to both
dispatchers and a row to the tests' activation table. The inference path in
``csrc/_inference.pyx`` implements the same codes.
"""
import math

from .._jit import kernel

IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3

#: Public activation name -> integer code used by every kernel.
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
}


@kernel
def identity(z):
    """``f(z) = z``."""
    return z


@kernel
def identity_grad(z, a):
    """``f'(z) = 1``."""
    return 1.0


@kernel
def logistic(z):
    """``f(z) = 1 / (1 + exp(-z))``, evaluated without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@kernel
def logistic_grad(z, a):
    """``f'(z) = a (1 - a)``."""
    return a * (1.0 - a)


@kernel
def tanh(z):
    """``f(z) = tanh(z)``."""
    return math.tanh(z)


@kernel
def tanh_grad(z, a):
    """``f'(z) = 1 - a^2``."""
    return 1.0 - a * a


@kernel
def relu(z):
    """``f(z) = max(z, 0)``."""
    return z if z > 0 else 0.0


@kernel
def relu_grad(z, a):
    """``f'(z) = 1 if z > 0 else 0``."""
    return 1.0 if z > 0 else 0.0


@kernel
def activate(code, z):
    """Apply the activation with integer ``code`` to the scalar ``z``."""
    if code == RELU:
        return relu(z)
    if code == TANH:
        return tanh(z)
    if code == LOGISTIC:
        return logistic(z)
    return identity(z)


@kernel
def activate_grad(code, z, a):
    """Derivative of activation ``code`` at pre-activation ``z`` (output ``a``)."""
    if code == RELU:
        return relu_grad(z, a)
    if code == TANH:
        return tanh_grad(z, a)
    if code == LOGISTIC:
        return logistic_grad(z, a)
    return identity_grad(z, a)
