"""Estimator behaviour: targets, inputs, errors, state, and the MLP drop-in promise."""
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_classification, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastnn import DNNClassifier, DNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_every_mlp_parameter_is_accepted_with_the_same_default():
    for ours, theirs in [(DNNClassifier, MLPClassifier), (DNNRegressor, MLPRegressor)]:
        mine, sk = ours().get_params(), theirs().get_params()
        missing = set(sk) - set(mine)
        assert not missing
        for name, value in sk.items():
            assert mine[name] == value, name


def test_mlp_grid_runs_unchanged(iris):
    X, y = iris
    grid = {
        "hidden_layer_sizes": [(10,), (10, 5)],
        "activation": ["relu", "tanh"],
        "solver": ["adam", "sgd", "lbfgs"],
        "alpha": [1e-4, 1e-2],
        "learning_rate": ["constant", "adaptive"],
        "max_iter": [30],
    }
    search = GridSearchCV(DNNClassifier(random_state=0), grid, cv=2).fit(X, y)
    assert search.best_score_ > 0.8
    assert len(search.cv_results_["params"]) == 48


def test_multiclass_string_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = DNNClassifier(hidden_layer_sizes=(16,), max_iter=200, learning_rate_init=0.01,
                        random_state=0).fit(X, names)
    assert_array_equal(clf.classes_, np.unique(names))
    assert clf.out_activation_ == "softmax"
    assert clf.score(X, names) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-5)


def test_binary_target_uses_one_sigmoid_output():
    X, y = make_classification(200, 5, random_state=0)
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=200, learning_rate_init=0.01,
                        random_state=0).fit(X, y)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert clf.score(X, y) > 0.85


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    clf = DNNClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert (pred == Y).mean() > 0.8
    assert clf.predict_proba(X).shape == (300, 4)


@pytest.mark.parametrize("n_targets", [1, 3])
def test_regression_single_and_multi_output(n_targets):
    X, y = make_regression(300, 8, n_targets=n_targets, noise=1.0, random_state=0)
    y = y / y.std()
    reg = DNNRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, y)
    assert reg.predict(X).shape == y.shape
    assert reg.score(X, y) > 0.9


def test_poisson_loss_uses_exp_output_and_rejects_negative_targets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 0.2))
    reg = DNNRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=200,
                       random_state=0).fit(X, y)
    assert reg.out_activation_ == "exp"
    assert (reg.predict(X) > 0).all()
    with pytest.raises(ValueError, match="non-negative"):
        DNNRegressor(loss="poisson").fit(X, y - 5.0)


def test_pandas_input_keeps_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(df, y)
    assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_trains_like_dense(fmt, solver):
    X, y = make_classification(150, 40, n_informative=10, random_state=0)
    X[np.abs(X) < 1.0] = 0
    Xs = sp.csr_matrix(X).asformat(fmt)
    kw = dict(hidden_layer_sizes=(10,), max_iter=20, random_state=0, solver=solver,
              dtype="float64")
    dense = DNNClassifier(**kw).fit(X, y)
    sparse = DNNClassifier(**kw).fit(Xs, y)
    for a, b in zip(dense.coefs_, sparse.coefs_):
        assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), rtol=1e-8)


def test_coefs_and_intercepts_are_views_of_one_flat_buffer(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(5, 4), max_iter=5, random_state=0).fit(X, y)
    buf = clf._net.params
    for arr in clf.coefs_ + clf.intercepts_:
        assert np.shares_memory(arr, buf)
    assert [c.shape for c in clf.coefs_] == [(4, 5), (5, 4), (4, 3)]
    assert buf.size == sum(c.size for c in clf.coefs_) + sum(b.size for b in clf.intercepts_)
    before = clf.predict_proba(X)
    clf.intercepts_[-1][0] += 5.0  # writing into a view changes the model
    assert not np.allclose(clf.predict_proba(X), before)
    clf.coefs_ = [np.zeros_like(c) for c in clf.coefs_]  # assignment copies into the buffer
    assert np.shares_memory(clf.coefs_[0], buf) and not clf.coefs_[0].any()
    with pytest.raises(ValueError, match="shape"):
        clf.coefs_ = [np.zeros((2, 2))] * 3


def test_float32_by_default_and_float64_on_request(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    assert clf.fit(X.astype(np.int64), y).coefs_[0].dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32
    clf64 = DNNClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0, dtype="float64")
    assert clf64.fit(X.astype(np.float32), y).coefs_[0].dtype == np.float64


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_random_state_gives_bit_identical_models(solver, iris):
    X, y = iris
    kw = dict(hidden_layer_sizes=(16, 8), solver=solver, max_iter=20, random_state=3)
    a = DNNClassifier(**kw).fit(X, y)
    b = DNNClassifier(**kw).fit(X, y)
    assert_array_equal(a._net.params, b._net.params)
    c = DNNClassifier(**{**kw, "random_state": 4}).fit(X, y)
    assert not np.array_equal(a._net.params, c._net.params)


def test_convergence_warning_when_max_iter_reached(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        DNNClassifier(hidden_layer_sizes=(5,), max_iter=3).fit(X, y)


def test_fitted_attributes_match_mlp(iris):
    X, y = iris
    kw = dict(hidden_layer_sizes=(6,), max_iter=15, random_state=0)
    ours = DNNClassifier(weight_init="sklearn", **kw).fit(X, y)
    theirs = MLPClassifier(**kw).fit(X, y)
    for name in ["classes_", "n_features_in_", "n_iter_", "t_", "n_layers_", "n_outputs_",
                 "out_activation_"]:
        assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)
    # the loss attributes mean what they mean in scikit-learn
    for est in (ours, theirs):
        assert len(est.loss_curve_) == est.n_iter_
        assert est.loss_ == est.loss_curve_[-1] and est.best_loss_ == min(est.loss_curve_)
        assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert_allclose(ours.loss_curve_[0], theirs.loss_curve_[0], rtol=0.2)  # the same loss
    es = DNNClassifier(early_stopping=True, **kw).fit(X, y)
    mlp_es = MLPClassifier(early_stopping=True, **kw).fit(X, y)
    for est in (es, mlp_es):
        assert len(est.validation_scores_) == len(est.loss_curve_) == est.n_iter_
        assert est.best_loss_ is None and est.best_validation_score_ == max(est.validation_scores_)
        assert est.loss_ == est.loss_curve_[-1]


def _fit(est, X, y):
    return est.fit(X, y)


def _partial_fit(est, X, y):
    classes = np.unique(y) if hasattr(est, "predict_proba") else None
    return est.partial_fit(X, y, classes=classes) if classes is not None else est.partial_fit(X, y)


def _set(**params):
    def call(est, X, y):
        return est.set_params(**params)

    call.__name__ = "set_params(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"
    return call


# (estimator parameters, calls): every call runs on both estimators side by side.
COUNTING_SCENARIOS = {
    "warm start, same max_iter": (dict(warm_start=True, max_iter=3), [_fit, _fit, _fit]),
    "warm start, raised max_iter": (dict(warm_start=True, max_iter=10),
                                    [_fit, _set(max_iter=20), _fit]),
    "cold refits": (dict(max_iter=4), [_fit, _fit]),
    "partial_fit": (dict(), [_partial_fit, _partial_fit, _partial_fit]),
    "partial_fit then fit": (dict(max_iter=3), [_partial_fit, _partial_fit, _fit, _partial_fit]),
    "warm fit then partial_fit": (dict(max_iter=3, warm_start=True),
                                  [_fit, _partial_fit, _fit]),
    # tol far above any change: the no-improvement count decides, whatever the values
    "training loss plateau, warm": (dict(warm_start=True, max_iter=50, tol=10.0,
                                         n_iter_no_change=2), [_fit, _fit, _fit]),
    "early stopping plateau, warm": (dict(warm_start=True, max_iter=50, tol=10.0,
                                          n_iter_no_change=2, early_stopping=True),
                                     [_fit, _fit, _set(n_iter_no_change=5), _fit]),
    "adaptive rate, sgd": (dict(solver="sgd", learning_rate="adaptive", max_iter=30,
                                tol=10.0, n_iter_no_change=2, warm_start=True), [_fit, _fit]),
    "lbfgs, warm": (dict(solver="lbfgs", max_iter=5, warm_start=True), [_fit, _fit]),
}


def _counts(est, call, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(est, X, y)
    return dict(
        n_iter_=getattr(est, "n_iter_", None), t_=getattr(est, "t_", None),
        loss_curve=len(getattr(est, "loss_curve_", None) or ()),
        validation_scores=len(getattr(est, "validation_scores_", None) or ()),
        convergence_warnings=sum(issubclass(w.category, ConvergenceWarning) for w in caught),
    )


@pytest.mark.parametrize("scenario", list(COUNTING_SCENARIOS))
@pytest.mark.parametrize("ours, theirs", [(DNNClassifier, MLPClassifier),
                                          (DNNRegressor, MLPRegressor)],
                         ids=["classifier", "regressor"])
def test_iteration_counts_and_warnings_match_mlp_call_for_call(iris, scenario, ours, theirs):
    """n_iter_ (epochs of the last call), t_, loss_curve_ and validation_scores_
    lengths, and the ConvergenceWarnings of each call are scikit-learn's."""
    X, y = iris
    if ours is DNNRegressor:
        y = X[:, 0] * 2.0 - X[:, 1]
    params, calls = COUNTING_SCENARIOS[scenario]
    params = dict(hidden_layer_sizes=(6,), random_state=0, **params)
    mine, sk = ours(**params), theirs(**params)
    for i, call in enumerate(calls):
        got, expected = _counts(mine, call, X, y), _counts(sk, call, X, y)
        assert got == expected, f"call {i} ({call.__name__}): {got} != {expected}"


def test_float64_training_reproduces_mlpclassifier_exactly(iris):
    """Same initial draws, shuffles and update rules as scikit-learn: same model."""
    X, y = iris
    for solver in ["adam", "sgd"]:
        kw = dict(hidden_layer_sizes=(7,), max_iter=25, random_state=0, solver=solver,
                  batch_size=32)
        ours = DNNClassifier(dtype="float64", weight_init="sklearn", **kw).fit(X, y)
        theirs = MLPClassifier(**kw).fit(X, y)
        assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
        for a, b in zip(ours.coefs_, theirs.coefs_):
            assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def test_early_stopping_restores_best_weights(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=60, early_stopping=True,
                        n_iter_no_change=3, random_state=0, learning_rate_init=0.05).fit(X, y)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.n_iter_ < 60
    best = int(np.argmax(clf.validation_scores_))
    assert best < clf.n_iter_ - 1  # later epochs were worse: there was something to restore
    # training is deterministic: a run stopped right after the best epoch holds its weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        at_best = DNNClassifier(hidden_layer_sizes=(8,), max_iter=best + 1, early_stopping=True,
                                n_iter_no_change=3, random_state=0,
                                learning_rate_init=0.05).fit(X, y)
    assert at_best.validation_scores_ == clf.validation_scores_[: best + 1]
    assert_array_equal(clf._net.params, at_best._net.params)
    assert_array_equal(clf.predict_proba(X), at_best.predict_proba(X))


def test_sgd_adaptive_learning_rate_divides_by_five(iris):
    X, y = iris
    clf = DNNClassifier(solver="sgd", learning_rate="adaptive", hidden_layer_sizes=(4,),
                        max_iter=200, n_iter_no_change=2, tol=10.0, random_state=0).fit(X, y)
    assert clf._trainer.learning_rate < clf.learning_rate_init
    assert np.isclose(np.log(clf.learning_rate_init / clf._trainer.learning_rate) / np.log(5),
                      round(np.log(clf.learning_rate_init / clf._trainer.learning_rate)
                            / np.log(5)))


def test_partial_fit_runs_one_epoch_per_call_and_checks_classes(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert clf.n_iter_ == 1
    clf.partial_fit(X, y, classes=[0, 1, 2])  # the same classes again are fine
    clf.partial_fit(X, y)
    assert clf.t_ == 50 + 150 + 150
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y + 5)
    with pytest.raises(AttributeError, match="partial_fit"):
        DNNClassifier(solver="lbfgs").partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_matches_fit_of_one_epoch(iris):
    X, y = iris
    kw = dict(hidden_layer_sizes=(8,), random_state=0, shuffle=False, dtype="float64")
    a = DNNRegressor(max_iter=1, **kw).fit(X, y.astype(float))
    b = DNNRegressor(**kw).partial_fit(X, y.astype(float))
    assert_array_equal(a._net.params, b._net.params)


def test_warm_start_continues_from_fitted_weights(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=5, warm_start=True, random_state=0)
    clf.fit(X, y)
    first = clf._net.params.copy()
    first_curve = list(clf.loss_curve_)
    net = clf._net
    clf.fit(X, y)
    assert clf._net is net and not np.array_equal(first, clf._net.params)
    # the curve goes on (as MLPClassifier's does), from where the first fit ended,
    # not from a fresh start
    assert clf.loss_curve_[:5] == first_curve and len(clf.loss_curve_) == 10
    resumed = clf.loss_curve_[5]
    assert abs(resumed - first_curve[-1]) < abs(resumed - first_curve[0]) / 4
    assert clf.loss_curve_[-1] < first_curve[-1]
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y < 2], y[y < 2])


@pytest.mark.parametrize(
    "X_bad, message",
    [
        (np.full((150, 4), np.nan), "NaN"),
        (np.full((150, 4), np.inf), "infinity"),
        (np.empty((0, 4)), "0 sample"),
    ],
)
def test_bad_input_gives_sklearn_errors(X_bad, message, iris):
    X, y = iris
    with pytest.raises(ValueError, match=message):
        DNNClassifier().fit(X_bad, y[: len(X_bad)])


def test_wrong_feature_count_and_zero_sample_weight(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="zero"):
        DNNClassifier().fit(X, y, sample_weight=np.zeros(150))


def test_failed_call_leaves_a_fitted_model_unchanged(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    state = {k: v for k, v in clf.__dict__.items()}
    params = clf._net.params.copy()
    proba = clf.predict_proba(X)
    bad_X = X.copy()
    bad_X[0, 0] = np.nan
    for call in [
        lambda: clf.fit(bad_X, y),
        lambda: clf.set_params(warm_start=True).fit(X[:, :2], y),
        lambda: clf.partial_fit(X, y + 10),
        lambda: clf.fit(X, y, sample_weight=np.zeros(150)),
        lambda: clf.fit(X, y, X_val=X[:, :3], y_val=y),
        lambda: clf.set_params(dropout=(0.1, 0.2)).fit(X, y),
    ]:
        with pytest.raises(ValueError):
            call()
        clf.set_params(warm_start=False, dropout=0.0)
        assert set(clf.__dict__) == set(state)
        assert_array_equal(clf._net.params, params)
        assert_array_equal(clf.predict_proba(X), proba)


def test_divergence_raises_a_clear_error_and_keeps_finite_weights():
    from fastnn.exceptions import DivergenceError

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * 1e3
    y = X @ [1.0, 2.0, 3.0] * 1e3
    reg = DNNRegressor(solver="sgd", learning_rate_init=1.0, momentum=0.9, max_iter=50,
                       random_state=0)
    with pytest.raises(DivergenceError, match="learning rate.*unscaled.*clip") as info:
        reg.fit(X, y)
    assert "diverged" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert np.isfinite(reg._net.params).all()
    assert np.isfinite(reg.predict(X)).all()  # still usable


def test_pickle_round_trip_predicts_identically(iris):
    X, y = iris
    clf = DNNClassifier(hidden_layer_sizes=(8, 4), max_iter=10, random_state=0).fit(X, y)
    clone = pickle.loads(pickle.dumps(clf))
    assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    assert np.shares_memory(clone.coefs_[0], clone._net.params)
    # the optimizer state (Adam's moments and step) survived the round trip: the next
    # step is the very one the original takes, and differs from a fresh optimizer's
    fresh = pickle.loads(pickle.dumps(clf))
    fresh._trainer.state[...] = 0
    fresh._trainer.step = 0
    for est in (clone, clf, fresh):
        est.partial_fit(X, y)
    assert clone.t_ == clf.t_
    assert_array_equal(clone._net.params, clf._net.params)
    assert not np.allclose(fresh._net.params, clf._net.params)


def test_pipeline_and_cross_validation(iris):
    from sklearn.model_selection import cross_val_score

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), DNNClassifier(hidden_layer_sizes=(16,),
                                                         learning_rate_init=0.01,
                                                         max_iter=200, random_state=0))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.85


def test_verbose_prints_each_epoch(iris, capsys):
    X, y = iris
    DNNClassifier(hidden_layer_sizes=(4,), max_iter=3, verbose=True).fit(X, y)
    assert capsys.readouterr().out.count("Iteration") == 3


def test_invalid_parameter_values_are_rejected(iris):
    X, y = iris
    with pytest.raises(ValueError, match="activation"):
        DNNClassifier(activation="swish").fit(X, y)
    with pytest.raises(ValueError, match="dtype"):
        DNNClassifier(dtype="float16").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        DNNClassifier(hidden_layer_sizes=(4, 0)).fit(X, y)


def test_warm_start_may_switch_early_stopping_on_and_off():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = DNNClassifier(hidden_layer_sizes=(16,), max_iter=3, warm_start=True,
                            random_state=0).fit(X / 16, y)
        clf.set_params(early_stopping=True, max_iter=4).fit(X / 16, y)
        assert len(clf.validation_scores_) == 4 and np.isfinite(clf.best_validation_score_)
        clf.set_params(early_stopping=False).fit(X / 16, y)
    assert clf.n_iter_ == 4 and len(clf.loss_curve_) == 11  # epochs of the last fit, of all
