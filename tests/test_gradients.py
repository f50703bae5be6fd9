"""Finite-difference checks of the analytic gradients, in float64."""
import numpy as np
import pytest
from conftest import make_network, make_targets

from fastnn._kernels.activations import ACTIVATION_CODES
from fastnn._kernels.losses import OUTPUT_CODES
from fastnn._solvers import TrainData, loss_and_grad


@pytest.mark.parametrize("out", sorted(OUTPUT_CODES))
@pytest.mark.parametrize("hidden", sorted(ACTIVATION_CODES))
def test_gradient_matches_finite_differences(hidden, out, rng):
    net = make_network((4, 5, 3, 2), hidden, out, np.float64, seed=1)
    net.params *= 0.6
    X = rng.normal(size=(9, 4))
    Y = make_targets(out, 9, 2, rng, np.float64)
    sw = rng.uniform(0.5, 2.0, 9)
    data = TrainData.build(X, Y, sw)
    alpha = 0.05
    _, grads = loss_and_grad(net, data, alpha)
    grads = grads.copy()
    h = 1e-6
    numeric = np.empty_like(grads)
    base = net.params.copy()
    for i in range(net.n_params):
        net.params[:] = base
        net.params[i] += h
        up, _ = loss_and_grad(net, data, alpha)
        net.params[i] -= 2 * h
        down, _ = loss_and_grad(net, data, alpha)
        numeric[i] = (up - down) / (2 * h)
    net.params[:] = base
    # With these seeds no pre-activation lies within h of relu's kink.
    np.testing.assert_allclose(grads, numeric, rtol=1e-5, atol=1e-7)
