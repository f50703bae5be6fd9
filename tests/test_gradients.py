"""Finite-difference checks of the analytic gradients of every parameter, in float64.

The objective is the full-batch training loss (penalties included) as the L-BFGS
solver sees it: random parts (dropout masks, RReLU slopes) come from a fixed seed,
so they are the same in every evaluation.
"""
import numpy as np
import pytest
from conftest import make_network, make_targets

from fastnn.nn.activations import ACTIVATION_CODES
from fastnn.nn.output import OUTPUT_CODES
from fastnn.training.data import TrainData
from fastnn.training.lbfgs import FullBatch
from fastnn.training.minibatch import TrainingSettings as Regularization
from fastnn.training.minibatch import trainable_index, trainable_segments


def loss_and_grad(net, data, settings):
    loss, grads = FullBatch(net, data, settings)()
    return loss, grads.copy()


def finite_difference_check(net, data, reg, h=1e-6):
    """Analytic vs central differences for every trainable parameter; the
    gradient of frozen ones (``reg.frozen``) must be reported as exactly 0."""
    _, grads = loss_and_grad(net, data, reg)
    grads = grads.copy()
    trainable = trainable_index(trainable_segments(net, reg.frozen_flags(net.n_layers)))
    frozen = np.setdiff1d(np.arange(net.n_params), trainable)
    np.testing.assert_array_equal(grads[frozen], 0.0)
    grads = grads[trainable]
    numeric = np.empty_like(grads)
    base = net.params.copy()
    for k, i in enumerate(trainable):
        net.params[:] = base
        net.params[i] += h
        up, _ = loss_and_grad(net, data, reg)
        net.params[i] -= 2 * h
        down, _ = loss_and_grad(net, data, reg)
        numeric[k] = (up - down) / (2 * h)
    net.params[:] = base
    np.testing.assert_allclose(grads, numeric, rtol=1e-5, atol=1e-7)


def _data(out, rng, n=9, n_in=4, n_out=2):
    X = rng.normal(size=(n, n_in))
    return TrainData.build(X, make_targets(out, n, n_out, rng, np.float64),
                           rng.uniform(0.5, 2.0, n))


@pytest.mark.parametrize("out", sorted(OUTPUT_CODES))
@pytest.mark.parametrize("hidden", sorted(set(ACTIVATION_CODES) - {"sigmoid"}))
def test_gradient_of_every_activation_and_loss(hidden, out, rng):
    net = make_network((4, 5, 3, 2), hidden, out, np.float64, seed=1)
    net.params *= 0.6
    # With these seeds no pre-activation lies within h of a kink (relu family).
    finite_difference_check(net, _data(out, rng), Regularization(alpha=0.05))


def test_gradient_of_learned_prelu_slopes(rng):
    net = make_network((4, 6, 5, 3), "prelu", "softmax", np.float64, seed=2)
    slopes = [net.part(l, "prelu_slopes") for l in range(2)]
    for s in slopes:
        s[...] = rng.uniform(0.05, 0.5, s.shape)
    finite_difference_check(net, _data("softmax", rng, n_out=3), Regularization())


@pytest.mark.parametrize("hidden", ["tanh", "relu", "prelu"])
def test_gradient_through_batch_norm(hidden, rng):
    net = make_network((4, 6, 5, 3), hidden, "softmax", np.float64, seed=3, batch_norm=True)
    for l in range(2):
        net.part(l, "gamma")[...] = rng.uniform(0.5, 1.5, 6 if l == 0 else 5)
        net.part(l, "beta")[...] = rng.normal(0, 0.3, 6 if l == 0 else 5)
    finite_difference_check(net, _data("softmax", rng, n=12, n_out=3),
                            Regularization(alpha=0.01))


def test_gradient_with_dropout_fixed_mask_and_l1(rng):
    net = make_network((4, 8, 6, 2), "elu", "identity", np.float64, seed=4)
    reg = Regularization(dropout=(0.3, 0.5), alpha=0.02, l1=0.01)
    finite_difference_check(net, _data("identity", rng, n=10), reg)


def test_gradient_with_everything_at_once(rng):
    net = make_network((4, 7, 6, 3), "rrelu", "logistic", np.float64, seed=5, batch_norm=True)
    reg = Regularization(dropout=(0.2, 0.4), alpha=0.02, l1=0.01)
    finite_difference_check(net, _data("logistic", rng, n=11, n_out=3), reg)


@pytest.mark.parametrize("frozen", [(0,), (1,), (0, 1), (0, 2), (0, 1, 2)])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_gradient_with_frozen_layers(frozen, batch_norm, rng):
    """Frozen layers: batch norm in inference mode (running statistics), no gradient
    for their parameters, correct gradients for the layers below and above."""
    net = make_network((4, 6, 5, 4, 3), "prelu", "softmax", np.float64, seed=6,
                       batch_norm=batch_norm)
    for l in range(3):
        m = net.coefs[l].shape[1]
        net.part(l, "prelu_slopes")[...] = rng.uniform(0.05, 0.5, m)
        if batch_norm:
            net.part(l, "gamma")[...] = rng.uniform(0.5, 1.5, m)
            net.part(l, "beta")[...] = rng.normal(0, 0.3, m)
            net.part(l, "running_mean")[...] = rng.normal(0, 0.5, m)
            net.part(l, "running_var")[...] = rng.uniform(0.5, 2.0, m)
    reg = Regularization(frozen=frozen, dropout=(0.2, 0.0, 0.3), alpha=0.02)
    finite_difference_check(net, _data("softmax", rng, n=12, n_out=3), reg)


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_gradient_through_layer_norm(hidden, batch_norm, rng):
    net = make_network((4, 6, 5, 3), hidden, "softmax", np.float64, seed=7,
                       batch_norm=batch_norm, layer_norm=True)
    for l in range(2):
        m = net.coefs[l].shape[1]
        net.part(l, "ln_gamma")[...] = rng.uniform(0.5, 1.5, m)
        net.part(l, "ln_beta")[...] = rng.normal(0, 0.3, m)
    finite_difference_check(net, _data("softmax", rng, n=12, n_out=3),
                            Regularization(alpha=0.01, dropout=(0.2, 0.0)))


def test_gradient_through_a_frozen_layer_norm_layer(rng):
    net = make_network((4, 6, 5, 3), "elu", "identity", np.float64, seed=8, layer_norm=True)
    finite_difference_check(net, _data("identity", rng, n=10, n_out=3),
                            Regularization(frozen=(0,)))
