"""Parity with scikit-learn: same hyper-parameters, about the same held-out quality."""
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from fastnn import DNNClassifier, DNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CASES = [
    # loader, ours, theirs, hyper-parameters, allowed shortfall (accuracy points or R^2)
    (load_digits, DNNClassifier, MLPClassifier,
     dict(hidden_layer_sizes=(64,), max_iter=60), 0.015),
    (load_digits, DNNClassifier, MLPClassifier,
     dict(hidden_layer_sizes=(64, 32), solver="sgd", learning_rate_init=0.05, max_iter=60), 0.015),
    (load_breast_cancer, DNNClassifier, MLPClassifier,
     dict(hidden_layer_sizes=(32,), max_iter=200), 0.02),
    (load_breast_cancer, DNNClassifier, MLPClassifier,
     dict(hidden_layer_sizes=(16,), solver="lbfgs", alpha=1.0, max_iter=200), 0.02),
    (load_diabetes, DNNRegressor, MLPRegressor,
     dict(hidden_layer_sizes=(16,), solver="lbfgs", alpha=30.0, max_iter=500), 0.03),
    (load_diabetes, DNNRegressor, MLPRegressor,
     dict(hidden_layer_sizes=(32,), learning_rate_init=0.1, max_iter=200,
          early_stopping=True), 0.03),
]


@pytest.mark.parametrize(
    "loader, ours, theirs, params, margin", CASES,
    ids=[f"{c[0].__name__}-{c[3].get('solver', 'adam')}" for c in CASES],
)
def test_held_out_score_close_to_scikit_learn(loader, ours, theirs, params, margin):
    X, y = loader(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    scores = {}
    for name, cls in [("ours", ours), ("theirs", theirs)]:
        runs = [cls(random_state=seed, **params).fit(X_tr, y_tr).score(X_te, y_te)
                for seed in (0, 1)]
        scores[name] = sum(runs) / len(runs)
    assert scores["ours"] >= scores["theirs"] - margin, scores


def test_streaming_partial_fit_learns_at_least_as_much_per_pass_as_scikit_learn():
    """20000 rows of a 4-class problem in chunks of 2000, two passes, (32,) hidden:
    the default initialisation must not make fastnn learn less per pass."""
    import numpy as np
    from sklearn.datasets import make_classification

    X, y = make_classification(25000, 20, n_informative=10, n_classes=4, random_state=0)
    X = X.astype(np.float32)
    X_tr, y_tr, X_te, y_te = X[:20000], y[:20000], X[20000:], y[20000:]

    def stream(est):
        for _ in range(2):
            for start in range(0, 20000, 2000):
                est.partial_fit(X_tr[start:start + 2000], y_tr[start:start + 2000],
                                classes=np.arange(4))
        return est.score(X_te, y_te)

    ours = np.mean([stream(DNNClassifier((32,), random_state=s)) for s in range(3)])
    theirs = np.mean([stream(MLPClassifier((32,), random_state=s)) for s in range(3)])
    assert ours >= theirs, (ours, theirs)


@pytest.mark.parametrize("n", [1, 2, 17, 1000])
def test_epoch_shuffle_draws_what_scikit_learn_shuffle_draws(n):
    """The epoch loop shuffles without ``sklearn.utils.shuffle``'s per-call
    validation; the orders and the random state after them are scikit-learn's."""
    import numpy as np
    from sklearn.utils import shuffle

    from fastnn.training.loop import shuffled

    ours, theirs = np.random.RandomState(5), np.random.RandomState(5)
    idx_ours = idx_theirs = np.arange(n, dtype=np.int64) * 3  # a train split's rows
    for _ in range(3):
        idx_ours = shuffled(idx_ours, ours)
        idx_theirs = shuffle(idx_theirs, random_state=theirs)
        np.testing.assert_array_equal(idx_ours, idx_theirs)
    assert ours.randint(2**31 - 1) == theirs.randint(2**31 - 1)
