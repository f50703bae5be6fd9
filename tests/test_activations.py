"""The activation registry is the one place an activation is declared: every
entry has its Numba pair, its inference formula in the Cython pass, an ONNX form,
a NumPy reference and an initialisation family, and they agree.

The numerical checks of each form against the reference run over the registry
too (``test_kernels.py``, ``test_gradients.py``, ``test_inference.py``,
``test_onnx.py``); this file checks that nothing is missing or mis-declared.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import reference as ref
from fastnn.nn import _inference_ext
from fastnn.nn.activations import ACTIVATIONS, ActivationSpec
from fastnn.nn.init import resolve_weight_init

NAMES = sorted(ACTIVATIONS)
Z = np.linspace(-6, 6, 241)


def test_codes_are_unique_and_the_inference_pass_knows_exactly_these():
    codes = {name: spec.code for name, spec in ACTIVATIONS.items()}
    by_code = {}
    for name, code in codes.items():
        by_code.setdefault(code, set()).add(name)
    aliases = [names for names in by_code.values() if len(names) > 1]
    assert aliases == [{"logistic", "sigmoid"}]  # the one alias, sharing its entry
    assert set(_inference_ext.HIDDEN_CODES) == set(codes.values())


def test_an_unknown_code_is_refused_by_the_inference_pass():
    X = np.ones((2, 2))
    with pytest.raises(ValueError, match="no inference formula"):
        _inference_ext.forward(X, [np.eye(2)], [np.zeros(2)], [np.zeros(2)], 99, -1)


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_is_complete(name):
    spec = ACTIVATIONS[name]
    assert isinstance(spec, ActivationSpec)
    assert name in ref.ACTIVATIONS, f"tests/reference.py has no NumPy reference for {name!r}"
    assert callable(spec.onnx) and isinstance(spec.relu_family, bool)


@pytest.mark.parametrize("name", NAMES)
def test_scalar_pair_the_inference_pass_and_the_reference_agree(name):
    spec = ACTIVATIONS[name]
    slope = spec.fixed_slope or 0.2
    f_ref, df_ref = ref.ACTIVATIONS[name]
    expected = f_ref(Z, slope)
    numba_f = np.array([spec.forward(z, slope) for z in Z])
    numba_df = np.array([spec.grad(z, a, slope) for z, a in zip(Z, numba_f)])
    assert_allclose(numba_f, expected, rtol=1e-12, atol=1e-12)
    assert_allclose(numba_df, df_ref(Z, slope), rtol=1e-12, atol=1e-12)
    # the Cython pass: one identity layer whose units are the activation's inputs
    X = Z.reshape(-1, 1).copy()
    cython = _inference_ext.forward(X, [np.eye(1)], [np.zeros(1)], [np.full(1, slope)],
                                    spec.code, -1)
    assert_allclose(cython[:, 0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_the_derivative_is_the_derivative(name):
    """Central differences of the forward kernel, away from the kinks at 0."""
    spec = ACTIVATIONS[name]
    slope, h = spec.fixed_slope or 0.2, 1e-6
    z = Z[np.abs(Z) > 1e-3]
    fd = np.array([(spec.forward(v + h, slope) - spec.forward(v - h, slope)) / (2 * h)
                   for v in z])
    grad = np.array([spec.grad(v, spec.forward(v, slope), slope) for v in z])
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_the_declared_init_family_matches_the_shape_of_the_function(name):
    """ReLU-like (slope about 1 at z = 10, under 0.5 at z = -10,
    unscaled) gets the ReLU-family initialisation; a wrong or forgotten flag
    would silently change the default init."""
    spec = ACTIVATIONS[name]
    slope = spec.fixed_slope or 0.25
    pos = spec.grad(10.0, spec.forward(10.0, slope), slope)
    neg = spec.grad(-10.0, spec.forward(-10.0, slope), slope)
    relu_like = abs(pos - 1) < 0.01 and abs(neg) < 0.5
    assert spec.relu_family == relu_like
    assert (resolve_weight_init("auto", name) == "auto_relu") == relu_like
