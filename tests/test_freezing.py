"""``freeze_layers``: frozen layers stay bit-identical, cost no optimizer state and
no gradient, and work with every solver, warm_start, partial_fit and saving."""
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

from fastnn import DNNClassifier, DNNRegressor, load


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


def layer_state(est, l):
    """Every value of hidden layer ``l``: weights, bias, batch norm, slopes."""
    net = est._net
    values = [net.coefs[l].copy(), net.intercepts[l].copy()]
    values += [view.copy() for _, view in sorted(net.parts(l).items())]
    return values


def assert_layers_identical(a, b, layers):
    for l in layers:
        for x, y in zip(layer_state(a, l), layer_state(b, l), strict=True):
            assert_array_equal(x, y)


def assert_layers_changed(a, b, layers):
    for l in layers:
        assert not np.array_equal(a._net.coefs[l], b._net.coefs[l]), f"layer {l} did not train"


def fit_quietly(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, **kwargs)


COMMON = dict(hidden_layer_sizes=(32, 24, 16), activation="prelu", batch_norm=True,
              max_iter=3, random_state=0)


@pytest.fixture(scope="module")
def source(digits):
    X, y = digits
    return fit_quietly(DNNClassifier(**COMMON), X, y % 5)


@pytest.mark.parametrize("solver", ["adam", "sgd", "rmsprop", "lbfgs"])
@pytest.mark.parametrize("freeze, frozen, trained", [
    (1, [0], [1, 2]), (2, [0, 1], [2]), (3, [0, 1, 2], []), ((1,), [1], [0, 2]),
    ((0, -1), [0, 2], [1]),
])
def test_frozen_layers_stay_bit_identical(digits, source, solver, freeze, frozen, trained):
    X, y = digits
    est = DNNClassifier(**dict(COMMON, solver=solver, max_norm=3.0, clip_norm=5.0,
                               dropout=0.1, alpha=1e-3, learning_rate_init=0.01, max_iter=8),
                        init_from=source, freeze_layers=freeze)
    fit_quietly(est, X, y)
    assert_layers_identical(est, source, frozen)
    assert_layers_changed(est, source, trained)
    assert not np.array_equal(est._net.coefs[-1], source._net.coefs[-1])
    assert est.score(X, y) > 0.5  # learns the new 10-class target (chance: 0.1)


def test_frozen_layers_cost_no_optimizer_state_and_no_gradient(digits, source):
    X, y = digits
    est = fit_quietly(DNNClassifier(**COMMON, init_from=source, freeze_layers=2), X, y)
    net, trainer = est._net, est._trainer
    first_trainable = net.layer_ranges()[2][0]  # where hidden layer 2's parameters start
    assert trainer.state.shape == (2, net.n_params - first_trainable)  # Adam: m and v
    # the kernels never wrote a gradient for the frozen layers
    assert_array_equal(trainer._grads[:first_trainable], 0.0)
    assert np.any(trainer._grads[first_trainable:] != 0.0)


def test_retraining_only_the_output_layer_keeps_the_features(digits, source):
    X, y = digits
    est = fit_quietly(DNNClassifier(**COMMON, init_from=source, freeze_layers=3), X, y)
    assert_array_equal(est.hidden_activations(X), source.hidden_activations(X))
    assert est.summary().trainable_params == (16 + 1) * 10


def test_freezing_with_sparse_input_and_a_regressor(digits):
    X, y = digits
    Xs = sp.csr_matrix(X)
    src = fit_quietly(DNNRegressor(hidden_layer_sizes=(16, 8), max_iter=2, random_state=0),
                      Xs, y.astype(float))
    est = fit_quietly(DNNRegressor(hidden_layer_sizes=(16, 8), max_iter=3, random_state=1,
                                   init_from=src, freeze_layers=1), Xs, y.astype(float))
    assert_layers_identical(est, src, [0])
    assert_layers_changed(est, src, [1])


def test_partial_fit_and_warm_start_keep_frozen_layers(digits, source):
    X, y = digits
    est = DNNClassifier(**COMMON, init_from=source, freeze_layers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in range(0, 1500, 300):
            est.partial_fit(X[start:start + 300], y[start:start + 300], classes=np.arange(10))
    assert_layers_identical(est, source, [0, 1])
    est.set_params(warm_start=True, max_iter=2)
    fit_quietly(est, X, y)
    assert_layers_identical(est, source, [0, 1])
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 7


def test_unfreezing_between_partial_fits_keeps_optimizer_state(digits, source):
    """Gradual unfreezing: parameters trainable before and after keep their Adam
    moments; the newly trainable layer starts from zero state."""
    X, y = digits
    est = DNNClassifier(**COMMON, init_from=source, freeze_layers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y, classes=np.arange(10))
        before = est._trainer.state.copy()
        est.set_params(freeze_layers=1)
        est.partial_fit(X[:0 + 200], y[:200])
    state = est._trainer.state
    net = est._net
    n_layer1 = net.layer_ranges()[1][1] - net.layer_ranges()[1][0]
    assert state.shape == (2, before.shape[1] + n_layer1)
    assert_layers_identical(est, source, [0])
    assert_layers_changed(est, source, [1])
    # still-trainable parameters kept their state through the switch (then moved on)
    assert np.count_nonzero(state[:, n_layer1:]) > 0


def test_summary_marks_frozen_layers(digits, source):
    X, y = digits
    est = fit_quietly(DNNClassifier(**COMMON, init_from=source, freeze_layers=(0, 2)), X, y)
    table = est.summary()
    flags = {row["layer"]: row["trainable"] for row in table.rows}
    assert flags == {f"{kind}_{l}": l in (1, 3) for l in range(3)
                     for kind in ("dense", "batch_norm", "activation")} | {"dense_3": True}
    assert table.trainable_params == sum(r["params"] for r in table.rows if r["trainable"])
    assert "frozen" in str(table)


def test_frozen_model_saves_loads_and_pickles(digits, source, tmp_path):
    X, y = digits
    est = fit_quietly(DNNClassifier(**COMMON, init_from=source, freeze_layers=(1,)), X, y)
    path = tmp_path / "frozen.fnn"
    est.save(path)
    for other in (load(path), pickle.loads(pickle.dumps(est))):
        assert_array_equal(other.predict_proba(X), est.predict_proba(X))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other.partial_fit(X[:100], y[:100])
        assert_layers_identical(other, source, [1])


@pytest.mark.parametrize("value, message", [
    (4, "freezes more hidden layers than the network has"),
    ((3,), "is not a hidden layer"),
    ((-4,), "is not a hidden layer"),
    ((0.5,), "tuple of hidden-layer indices"),
    ((True,), "tuple of hidden-layer indices"),
])
def test_bad_freeze_layers_values_raise_clear_errors(digits, value, message):
    X, y = digits
    est = DNNClassifier(hidden_layer_sizes=(8, 8, 8), max_iter=1, freeze_layers=value)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)
    assert not hasattr(est, "_net")


def test_bad_freeze_value_in_partial_fit_leaves_the_model_untouched(digits):
    X, y = digits
    est = fit_quietly(DNNClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0), X, y)
    before = est.predict_proba(X)
    est.set_params(freeze_layers=2)
    with pytest.raises(ValueError, match="freezes more hidden layers"):
        est.partial_fit(X, y)
    assert_array_equal(est.predict_proba(X), before)


def test_a_model_saved_after_changing_freeze_layers_loads_and_unfreezes(digits, source,
                                                                        tmp_path):
    """The saved optimizer state covers the layers that were trainable; the file
    records which, and the next partial_fit applies the new freeze_layers."""
    X, y = digits
    est = fit_quietly(DNNClassifier(**COMMON, init_from=source, freeze_layers=1), X, y)
    est.set_params(freeze_layers=None)  # about to fine-tune everything
    est.save(tmp_path / "m.fnn")
    loaded = load(tmp_path / "m.fnn")
    assert_array_equal(loaded._trainer.state, est._trainer.state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded.partial_fit(X, y)
    assert loaded._trainer.state.shape == (2, loaded._net.n_params)
    assert_layers_changed(loaded, source, [0])
