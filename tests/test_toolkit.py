"""The deep-learning toolkit through the estimators: what users come to fastnn for."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import reference as ref
from fastnn import DNNClassifier, DNNRegressor
from fastnn.exceptions import DivergenceError
from fastnn.nn.activations import ACTIVATIONS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)


# One row per solver: its settings for a (64,) network on digits.
SOLVER_TABLE = [
    ("sgd", dict(learning_rate_init=0.1, momentum=0.9)),
    ("adam", dict(learning_rate_init=0.003)),
    ("adagrad", dict(learning_rate_init=0.05)),
    ("rmsprop", dict(learning_rate_init=0.002)),
    ("adamw", dict(learning_rate_init=0.003, weight_decay=0.01)),
    ("nadam", dict(learning_rate_init=0.003)),
    ("lbfgs", dict(max_iter=200)),
]


def test_every_solver_has_a_row():
    solvers = DNNClassifier._parameter_constraints["solver"][0].options
    assert {row[0] for row in SOLVER_TABLE} == solvers


@pytest.mark.parametrize("solver, settings", SOLVER_TABLE, ids=[r[0] for r in SOLVER_TABLE])
def test_every_solver_reaches_95_percent_on_digits(solver, settings, digits):
    X_tr, X_te, y_tr, y_te = digits
    params = dict(hidden_layer_sizes=(64,), max_iter=40, random_state=0, solver=solver)
    clf = DNNClassifier(**{**params, **settings}).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) >= 0.95


def test_batch_norm_rescues_a_deep_logistic_network(digits):
    """Course notes: with batch norm, sigmoid networks no longer vanish."""
    X_tr, X_te, y_tr, y_te = digits
    kw = dict(hidden_layer_sizes=(32,) * 6, activation="logistic", max_iter=15,
              learning_rate_init=0.01, random_state=0)
    plain = DNNClassifier(**kw).fit(X_tr, y_tr).score(X_te, y_te)
    normed = DNNClassifier(batch_norm=True, **kw).fit(X_tr, y_tr).score(X_te, y_te)
    assert normed > 0.9 and normed > plain + 0.2, (plain, normed)


def test_dropout_narrows_the_train_test_gap_of_an_oversized_network(digits):
    X_tr, X_te, y_tr, y_te = digits
    rng = np.random.default_rng(0)
    noisy = y_tr.copy()
    flip = rng.random(len(noisy)) < 0.3  # label noise for the big network to memorise
    noisy[flip] = rng.integers(0, 10, flip.sum())
    kw = dict(hidden_layer_sizes=(256, 256), max_iter=50, alpha=0.0, learning_rate_init=0.003,
              n_iter_no_change=10**6, random_state=0)
    gaps = {}
    for rate in (0.0, 0.5):
        clf = DNNClassifier(dropout=rate, **kw).fit(X_tr, noisy)
        gaps[rate] = clf.score(X_tr, noisy) - clf.score(X_te, y_te)
    assert gaps[0.5] < gaps[0.0] - 0.1, gaps


def test_he_init_trains_a_deep_relu_net_that_small_random_init_does_not(digits):
    X_tr, X_te, y_tr, y_te = digits
    kw = dict(hidden_layer_sizes=(64,) * 8, solver="sgd", learning_rate_init=0.05,
              momentum=0.9, n_iter_no_change=10**6, random_state=0)
    he = DNNClassifier(weight_init="he_normal", max_iter=20, **kw).fit(X_tr, y_tr)
    small = DNNClassifier(max_iter=1, warm_start=True, **kw).fit(X_tr, y_tr)
    rng = np.random.default_rng(0)
    small.coefs_ = [rng.normal(0, 0.01, c.shape) for c in small.coefs_]
    small.intercepts_ = [np.zeros_like(b) for b in small.intercepts_]
    small.set_params(max_iter=20).fit(X_tr, y_tr)
    assert he.score(X_te, y_te) > 0.9
    assert small.score(X_te, y_te) < 0.3


def test_gradient_clipping_keeps_a_too_high_learning_rate_finite(digits):
    X_tr, X_te, y_tr, y_te = digits
    kw = dict(hidden_layer_sizes=(64, 64), solver="sgd", learning_rate_init=20.0, momentum=0.9,
              max_iter=20, random_state=0)
    with pytest.raises(DivergenceError):
        DNNClassifier(**kw).fit(X_tr, y_tr)
    clipped = DNNClassifier(clip_norm=1.0, **kw).fit(X_tr, y_tr)
    assert np.isfinite(clipped.loss_curve_).all() and max(clipped.loss_curve_) < 100
    assert np.isfinite(clipped.predict_proba(X_te)).all()
    by_value = DNNClassifier(clip_value=0.01, **kw).fit(X_tr, y_tr)
    assert np.isfinite(by_value.loss_curve_).all() and max(by_value.loss_curve_) < 100


@pytest.mark.parametrize("activation", ["relu", "prelu", "rrelu", "selu"])
def test_batch_norm_and_dropout_change_nothing_at_inference(activation, digits):
    X_tr, X_te, y_tr, _ = digits
    clf = DNNClassifier(hidden_layer_sizes=(32, 16), activation=activation, batch_norm=True,
                        dropout=(0.3, 0.2), max_iter=5, random_state=0).fit(X_tr, y_tr)
    first = clf.predict_proba(X_te)
    assert_array_equal(clf.predict_proba(X_te), first)  # deterministic
    # equals the training-mode forward pass with running statistics and no dropout
    assert_allclose(first, ref.inference_forward(clf._net, X_te), rtol=1e-4, atol=1e-6)
    running_var = clf._net.part(0, "running_var")
    assert not np.allclose(running_var, 1.0)  # the running statistics were learned


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_trains(activation, digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = DNNClassifier(hidden_layer_sizes=(64,), activation=activation, max_iter=30,
                        learning_rate_init=0.005, random_state=0).fit(X_tr, y_tr)
    assert clf.score(X_te, y_te) > 0.9


def test_prelu_slopes_are_learned(digits):
    X_tr, _, y_tr, _ = digits
    clf = DNNClassifier(hidden_layer_sizes=(32,), activation="prelu", max_iter=10,
                        learning_rate_init=0.01, random_state=0).fit(X_tr, y_tr)
    slopes = clf._net.part(0, "prelu_slopes")
    assert not np.allclose(slopes, 0.25)


@pytest.mark.parametrize("scheme, variance", [
    ("glorot_uniform", lambda i, o: 2 / (i + o)), ("glorot_normal", lambda i, o: 2 / (i + o)),
    ("he_uniform", lambda i, o: 2 / i), ("he_normal", lambda i, o: 2 / i),
    ("lecun_normal", lambda i, o: 1 / i),
])
def test_weight_init_schemes(scheme, variance):
    from fastnn.nn.plan import Network

    net = Network([400, 300, 2], "relu", "softmax", "float64")
    net.initialize(scheme, np.random.RandomState(0))
    W = net.coefs[0]
    assert abs(W.var() / variance(400, 300) - 1) < 0.05
    assert not net.intercepts[0].any()  # biases start at zero
    assert W.any()


def test_weight_init_auto_picks_by_activation():
    from fastnn.nn.init import resolve_weight_init

    assert resolve_weight_init("auto", "relu") == "auto_relu"
    assert resolve_weight_init("auto", "gelu") == "auto_relu"
    assert resolve_weight_init("auto", "relu", "lbfgs") == "he_uniform"
    assert resolve_weight_init("auto", "selu") == "lecun_normal"
    assert resolve_weight_init("auto", "tanh") == "glorot_uniform"


@pytest.mark.parametrize("n_hidden", [2, 4, 8, 16, 32])
def test_weight_init_auto_for_relu_is_half_glorot_with_a_floor_for_deep_stacks(n_hidden):
    """Half of Glorot's variance; hidden layers of deep stacks at least
    2 ** (1 - 8 / n_hidden) / fan_in; hidden biases U(+-1/sqrt(fan_in)); the
    output layer half Glorot with no floor and (without targets) a zero bias."""
    from fastnn.nn.plan import Network

    units = [300] + [400] * n_hidden + [10]
    net = Network(units, "relu", "softmax", "float64")
    net.initialize("auto", np.random.RandomState(0))
    expected = max(1.0 / 800, 2.0 ** (1 - 8 / n_hidden) / 400)
    for l in range(1, n_hidden):  # square hidden layers
        assert abs(net.coefs[l].var() / expected - 1) < 0.05, l
        bias = net.intercepts[l]
        assert abs(bias).max() <= 1 / np.sqrt(400) and abs(bias.var() * 3 * 400 - 1) < 0.2
    assert abs(net.coefs[-1].var() / (1.0 / 410) - 1) < 0.05
    assert not net.intercepts[-1].any()
    first = max(1.0 / 700, 2.0 ** (1 - 8 / n_hidden) / 300)
    assert abs(np.abs(net.coefs[0]).max() / np.sqrt(3 * first) - 1) < 1e-3


@pytest.mark.parametrize("out, Y, sw, expected", [
    ("softmax", np.eye(3)[[0, 0, 0, 1]], None, np.log([0.75, 0.25, 1e-6])),
    ("logistic", np.array([[1.0], [0.0], [0.0], [0.0]]), None, [np.log(1 / 3)]),
    ("logistic", np.array([[1.0], [0.0]]), np.array([3.0, 1.0]), [np.log(3.0)]),
    ("identity", np.array([[10.0, -1.0], [20.0, 1.0]]), None, [15.0, 0.0]),
    ("exp", np.array([[2.0], [6.0]]), None, [np.log(4.0)]),
])
def test_weight_init_auto_starts_the_output_bias_at_the_targets_prior(out, Y, sw, expected):
    from fastnn.nn.init import prior_output_bias
    from fastnn.nn.plan import Network

    assert_allclose(prior_output_bias(out, Y, sw), expected, rtol=1e-5)
    net = Network([4, 5, Y.shape[1]], "relu", out, "float64")
    net.initialize("auto", np.random.RandomState(0), Y, sw)
    assert_allclose(net.intercepts[-1], expected, rtol=1e-5)
    net.initialize("glorot_uniform", np.random.RandomState(0), Y, sw)  # named schemes: zero
    assert not net.intercepts[-1].any()


def test_the_first_loss_of_an_offset_regression_target_is_its_variance():
    """y = 100 + noise: with the mean as output bias the first batch's loss is about
    var(y) / 2, not (100 ** 2) / 2."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = 100.0 + X[:, 0] + rng.normal(size=400)
    auto = DNNRegressor(hidden_layer_sizes=(16,), max_iter=1, random_state=0).fit(X, y)
    named = DNNRegressor(hidden_layer_sizes=(16,), max_iter=1, random_state=0,
                         weight_init="glorot_uniform").fit(X, y)
    assert auto._initial_loss < 2.0 and named._initial_loss > 1000.0


def test_l1_gives_sparser_weights_and_max_norm_bounds_columns(digits):
    X_tr, _, y_tr, _ = digits
    kw = dict(hidden_layer_sizes=(64,), max_iter=20, random_state=0, solver="sgd",
              learning_rate_init=0.05)
    plain = DNNClassifier(**kw).fit(X_tr, y_tr)
    lasso = DNNClassifier(l1=0.5, **kw).fit(X_tr, y_tr)
    small = lambda c: (np.abs(c) < 1e-2).mean()  # noqa: E731
    assert small(lasso.coefs_[0]) > small(plain.coefs_[0]) + 0.2
    capped = DNNClassifier(max_norm=0.5, **kw).fit(X_tr, y_tr)
    for W in capped.coefs_:
        assert (np.linalg.norm(W, axis=0) <= 0.5 + 1e-5).all()


def test_input_noise_is_reproducible_and_needs_dense_input(digits):
    X_tr, _, y_tr, _ = digits
    kw = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    a = DNNClassifier(input_noise=0.1, **kw).fit(X_tr, y_tr)
    b = DNNClassifier(input_noise=0.1, **kw).fit(X_tr, y_tr)
    c = DNNClassifier(**kw).fit(X_tr, y_tr)
    assert_array_equal(a._net.params, b._net.params)
    assert not np.array_equal(a._net.params, c._net.params)
    with pytest.raises(ValueError, match="input_noise needs dense input"):
        DNNClassifier(input_noise=0.1, **kw).fit(sp.csr_matrix(X_tr), y_tr)


def test_dropout_is_reproducible_per_random_state(digits):
    X_tr, _, y_tr, _ = digits
    kw = dict(hidden_layer_sizes=(32, 32), dropout=(0.5, 0.1), max_iter=3)
    a = DNNClassifier(random_state=1, **kw).fit(X_tr, y_tr)
    b = DNNClassifier(random_state=1, **kw).fit(X_tr, y_tr)
    c = DNNClassifier(random_state=2, **kw).fit(X_tr, y_tr)
    assert_array_equal(a._net.params, b._net.params)
    assert not np.array_equal(a._net.params, c._net.params)


def test_class_weight_balanced_equals_the_matching_sample_weights():
    X, y = make_classification(300, 6, weights=[0.8, 0.2], random_state=0)
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, shuffle=False)
    balanced = DNNClassifier(class_weight="balanced", **kw).fit(X, y)
    counts = np.bincount(y)
    sw = (len(y) / (2 * counts))[y]
    manual = DNNClassifier(**kw).fit(X, y, sample_weight=sw)
    assert_allclose(balanced._net.params, manual._net.params, rtol=1e-5)
    as_dict = DNNClassifier(class_weight={0: 1.0, 1: 3.0}, **kw).fit(X, y, sample_weight=sw)
    both = DNNClassifier(**kw).fit(X, y, sample_weight=sw * np.where(y == 1, 3.0, 1.0))
    assert_allclose(as_dict._net.params, both._net.params, rtol=1e-5)
    with pytest.raises(ValueError, match="partial_fit"):
        DNNClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("schedule, expected", [
    ("constant", lambda e: 0.1),
    ("step", lambda e: 0.1 * 0.5 ** (e // 3)),
    ("exponential", lambda e: 0.1 * 0.5**e),
    ("cosine", lambda e: 0.1 * 0.5 * (1 + np.cos(np.pi * e / 8))),
])
@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
def test_learning_rate_schedules_apply_to_every_solver(schedule, expected, solver, digits):
    X_tr, _, y_tr, _ = digits
    clf = DNNClassifier(hidden_layer_sizes=(8,), solver=solver, learning_rate=schedule,
                        learning_rate_init=0.1, lr_decay=0.5, lr_step_epochs=3, max_iter=8,
                        n_iter_no_change=10**6, random_state=0).fit(X_tr, y_tr)
    assert_allclose(clf.history_["learning_rate"], [expected(e) for e in range(8)])


def test_invscaling_and_adaptive_schedules(digits):
    X_tr, _, y_tr, _ = digits
    inv = DNNClassifier(hidden_layer_sizes=(8,), solver="adam", learning_rate="invscaling",
                        learning_rate_init=0.1, power_t=0.5, max_iter=3,
                        random_state=0).fit(X_tr, y_tr)
    n = len(y_tr)
    assert_allclose(inv.history_["learning_rate"], [0.1, 0.1 / (n + 1) ** 0.5,
                                                    0.1 / (2 * n + 1) ** 0.5])
    ada = DNNClassifier(hidden_layer_sizes=(8,), solver="adam", learning_rate="adaptive",
                        learning_rate_init=0.01, tol=10.0, n_iter_no_change=2, max_iter=12,
                        random_state=0).fit(X_tr, y_tr)
    rates = ada.history_["learning_rate"]
    assert rates[0] == 0.01 and min(rates) < 0.01
    assert all(np.isclose(b, a) or np.isclose(b, a / 5) for a, b in zip(rates, rates[1:]))


def test_explicit_validation_set_history_and_early_stopping(digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = DNNClassifier(hidden_layer_sizes=(32,), max_iter=6, random_state=0)
    clf.fit(X_tr, y_tr, X_val=X_te, y_val=y_te)
    h = clf.history_
    assert set(h) == {"loss", "val_loss", "val_score", "learning_rate", "epoch_time"}
    assert all(len(v) == 6 for v in h.values())
    assert h["loss"] == clf.loss_curve_
    assert h["val_loss"] == clf.validation_loss_curve_
    assert h["val_score"] == clf.validation_scores_
    assert h["val_score"][-1] == pytest.approx(clf.score(X_te, y_te))
    assert h["val_loss"][-1] == pytest.approx(-np.mean(np.log(
        clf.predict_proba(X_te)[np.arange(len(y_te)), y_te])), rel=1e-4)
    assert all(t > 0 for t in h["epoch_time"])
    es = DNNClassifier(hidden_layer_sizes=(32,), max_iter=200, early_stopping=True,
                       n_iter_no_change=3, learning_rate_init=0.01, random_state=0)
    es.fit(X_tr, y_tr, X_val=X_te, y_val=y_te)
    assert es.n_iter_ < 200
    assert es.best_validation_score_ == max(es.validation_scores_)
    assert es.score(X_te, y_te) == pytest.approx(es.best_validation_score_)  # best restored


def test_validation_fraction_split_is_stratified_and_recorded(digits, monkeypatch):
    import fastnn.estimators.base as base

    X_tr, _, y_tr, _ = digits
    seen = {}
    real_split = base.train_test_split

    def spy(*args, **kwargs):
        seen["stratify"] = kwargs.get("stratify")
        return real_split(*args, **kwargs)

    monkeypatch.setattr(base, "train_test_split", spy)
    clf = DNNClassifier(hidden_layer_sizes=(16,), max_iter=4, early_stopping=True,
                        validation_fraction=0.2, random_state=0).fit(X_tr, y_tr)
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_
    assert_array_equal(seen["stratify"], y_tr)  # multiclass: stratified by label
    rare = y_tr.copy()
    rare[0] = 10  # a class with one member cannot be stratified: a plain split instead
    DNNClassifier(hidden_layer_sizes=(16,), max_iter=2, early_stopping=True,
                  random_state=0).fit(X_tr, rare)
    assert seen["stratify"] is None


def test_callbacks_see_each_epoch_and_can_stop_training(digits):
    X_tr, _, y_tr, _ = digits
    seen = []

    def record(est, info):
        seen.append(info)
        return info["epoch"] == 3

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a callback stop is no warning
        clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=50, callbacks=[record],
                            random_state=0).fit(X_tr, y_tr)
    assert clf.n_iter_ == 3 and [i["epoch"] for i in seen] == [1, 2, 3]
    assert set(seen[0]) == {"epoch", "loss", "val_loss", "val_score", "learning_rate",
                            "epoch_time"}


def test_keyboard_interrupt_keeps_a_usable_model(digits):
    X_tr, X_te, y_tr, _ = digits

    def interrupt(est, info):
        if info["epoch"] == 2:
            raise KeyboardInterrupt

    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=50, callbacks=[interrupt],
                        random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X_tr, y_tr)
    assert clf.n_iter_ == 2
    assert clf.predict(X_te).shape == (len(X_te),)


@pytest.mark.parametrize("verbose", [1, 2, True])
def test_verbose_prints_one_line_per_epoch_when_not_a_terminal(verbose, digits, capsys):
    X_tr, X_te, y_tr, y_te = digits
    DNNClassifier(hidden_layer_sizes=(4,), max_iter=3, verbose=verbose).fit(
        X_tr, y_tr, X_val=X_te, y_val=y_te)
    out = capsys.readouterr().out
    assert out.count("Iteration") == 3 and "val_score" in out


def test_regressor_has_the_toolkit_too():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = X @ rng.normal(size=5) + 0.1 * rng.normal(size=400)
    reg = DNNRegressor(hidden_layer_sizes=(32, 32), activation="gelu", batch_norm=True,
                       dropout=0.1, solver="adamw", learning_rate="cosine", clip_norm=5.0,
                       max_iter=60, learning_rate_init=0.01, n_iter_no_change=10**6,
                       random_state=0)
    reg.fit(X[:300], y[:300], X_val=X[300:], y_val=y[300:])
    assert reg.score(X[300:], y[300:]) > 0.9
    assert len(reg.history_["val_score"]) == 60


@pytest.mark.parametrize("params, message", [
    (dict(dropout=(0.1, 0.2, 0.3)), "dropout has 3 rates"),
    (dict(dropout=1.0), "dropout"),
    (dict(dropout=(0.1, 1.5)), r"\[0, 1\)"),
    (dict(weight_init="zeros"), "weight_init"),
    (dict(solver="adadelta"), "solver"),
    (dict(learning_rate="warmup"), "learning_rate"),
    (dict(l1=-1.0), "l1"),
    (dict(max_norm=0.0), "max_norm"),
    (dict(clip_norm=-1.0), "clip_norm"),
    (dict(batch_norm_momentum=1.5), "batch_norm_momentum"),
    (dict(callbacks="print"), "callbacks"),
])
def test_bad_toolkit_values_get_clear_errors(params, message, digits):
    X_tr, _, y_tr, _ = digits
    with pytest.raises(ValueError, match=message):
        DNNClassifier(hidden_layer_sizes=(8, 4), max_iter=2, **params).fit(X_tr, y_tr)


def test_warm_start_rejects_a_changed_architecture(digits):
    X_tr, _, y_tr, _ = digits
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=2, warm_start=True).fit(X_tr, y_tr)
    with pytest.raises(ValueError, match="does not match"):
        clf.set_params(batch_norm=True).fit(X_tr, y_tr)


def test_pickle_round_trip_keeps_batch_norm_prelu_and_optimizer_state(digits):
    import pickle

    X_tr, X_te, y_tr, _ = digits
    clf = DNNClassifier(hidden_layer_sizes=(32, 16), activation="prelu", batch_norm=True,
                        dropout=0.2, solver="nadam", max_iter=3, random_state=0)
    clf.fit(X_tr, y_tr)
    clone = pickle.loads(pickle.dumps(clf))
    assert_array_equal(clone.predict_proba(X_te), clf.predict_proba(X_te))
    assert_array_equal(clone._net.buffers, clf._net.buffers)  # running statistics
    clf.partial_fit(X_tr, y_tr)
    clone.partial_fit(X_tr, y_tr)  # same optimizer state and random stream
    assert_array_equal(clone._net.params, clf._net.params)
