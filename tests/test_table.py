"""TablePreprocessor and make_table_pipeline: kinds, encodings, names, and use in
scikit-learn's model selection tools."""
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from customers import customer_columns
from fastnn import DNNClassifier, DNNRegressor, TablePreprocessor, make_table_pipeline
from fastnn.table.pipeline import fit_pipeline

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def customers():
    frame = pd.DataFrame(customer_columns(300, seed=1))
    return frame.drop(columns="churn"), frame["churn"]


def mixed_frame():
    return pd.DataFrame({
        "n": [1.0, np.nan, 3.0, 4.0, 100.0, 6.0],
        "s": ["a", "b", "a", None, "a", "b"],
        "c": pd.Categorical(["x", "y", "x", "x", "y", "x"]),
        "b": [True, False, True, True, False, False],
        "k": [1, 2, 1, 2, 3, 1],
        "gone": [np.nan] * 6,
    })


def test_kinds_names_and_values_of_a_mixed_table():
    df = mixed_frame()
    pre = TablePreprocessor(min_frequency=1).fit(df)
    assert pre.kinds_ == ["numeric", "categorical", "categorical", "boolean", "numeric",
                          "dropped"]
    assert list(pre.get_feature_names_out()) == [
        "n", "n=(missing)", "s=a", "s=b", "s=(missing)", "c=x", "c=y", "b", "k"]
    Xt = pre.transform(df)
    assert Xt.dtype == np.float64 and Xt.shape == (6, 9)
    # numeric: median imputation + indicator, then standardised as SimpleImputer ->
    # StandardScaler would
    reference = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    assert_allclose(Xt[:, [0, 8]], reference.fit_transform(df[["n", "k"]]), rtol=1e-12)
    assert_array_equal(Xt[:, 1], [0, 1, 0, 0, 0, 0])
    # categorical: as OneHotEncoder, missing values as their own level
    onehot = OneHotEncoder(sparse_output=False).fit_transform(
        df[["s"]].fillna("~missing"))
    assert_array_equal(Xt[:, 2:5], onehot)
    assert_array_equal(Xt[:, 7], df["b"].astype(float))
    assert pre.n_missing_.tolist() == [1, 1, 0, 0, 0, 6]
    assert "dropped" in pre.describe()[-1] and len(pre.describe()) == 6


def test_options_change_each_choice():
    df = mixed_frame()
    pre = TablePreprocessor(categorical=["k"], impute="mean", missing_indicator=False,
                            standardize=False, min_frequency=1).fit(df)
    assert pre.kinds_[4] == "categorical"
    names = list(pre.get_feature_names_out())
    assert "n=(missing)" not in names and names[-3:] == ["k=1", "k=2", "k=3"]
    Xt = pre.transform(df)
    assert_allclose(Xt[:, 0], df["n"].fillna(df["n"].mean()))  # mean, not scaled
    assert TablePreprocessor(categorical_integers=3, min_frequency=1).fit(df).kinds_[4] == \
        "categorical"
    assert TablePreprocessor(categorical_integers=2).fit(df).kinds_[4] == "numeric"
    assert TablePreprocessor(categorical=[4]).fit(df).kinds_[4] == "categorical"


def test_rare_levels_are_grouped_and_unseen_levels_handled():
    train = pd.DataFrame({"r": ["a"] * 6 + ["b"] * 5 + ["c", "d"], "u": ["p", "q"] * 6 + ["p"]})
    pre = TablePreprocessor(min_frequency=3).fit(train)
    assert pre.categories_ == [["a", "b"], ["p", "q"]] and pre.n_grouped_.tolist() == [2, 0]
    assert list(pre.get_feature_names_out()) == ["r=a", "r=b", "r=(other)", "u=p", "u=q"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the training rows warn of nothing
        assert_array_equal(pre.transform(train)[-2:, :3], [[0, 0, 1], [0, 0, 1]])
    new = pd.DataFrame({"r": ["zzz", "a", None], "u": ["p", "new", None]})
    with pytest.warns(UserWarning) as record:
        Xt = pre.transform(new)
    assert len(record) == 1  # 'zzz' goes to r=(other) as the rare levels do
    assert "column 'u': 1 level not seen in fit ('new'); encoded as all zeros" in str(
        record[0].message)
    assert_array_equal(Xt, [[0, 0, 1, 1, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]])
    capped = TablePreprocessor(min_frequency=1, max_categories=2).fit(train)
    assert capped.categories_[0] == ["a"] and capped.other_[0]
    share = TablePreprocessor(min_frequency=0.3).fit(train)  # 0.3 * 13 rows = 3.9
    assert share.categories_[0] == ["a", "b"]


def test_columns_by_name_in_any_order_and_positional_arrays(customers):
    X, _ = customers
    pre = TablePreprocessor().fit(X)
    expected = pre.transform(X)
    shuffled = X[X.columns[::-1]].assign(extra="ignored")
    assert_array_equal(pre.transform(shuffled), expected)
    with pytest.raises(ValueError, match="missing the column 'plan'"):
        pre.transform(X.drop(columns="plan"))
    with pytest.warns(UserWarning, match="taken by position"):
        assert_array_equal(pre.transform(X.to_numpy()), expected)
    with pytest.raises(ValueError, match="was a numeric column in fit.*'lots'"):
        pre.transform(X.assign(age="lots"))


def test_numpy_object_arrays_need_no_pandas(customers, tmp_path):
    X, _ = customers
    expected = TablePreprocessor().fit(X).transform(X)
    np.save(tmp_path / "expected.npy", expected)
    script = f"""
import sys
class NoPandas:  # pandas cannot be imported, as if it were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pandas":
            raise ImportError("no pandas here")
sys.meta_path.insert(0, NoPandas())
sys.path.insert(0, {str(Path(__file__).parent)!r})
import numpy as np
from customers import customer_columns
from fastnn import TablePreprocessor
columns = customer_columns(300, seed=1)
A = np.column_stack([columns[c].astype(object) for c in columns if c != "churn"])
pre = TablePreprocessor().fit(A)
assert pre.kinds_ == ["numeric"] * 5 + ["categorical"] * 3, pre.kinds_
assert list(pre.get_feature_names_out())[:2] == ["x0", "x0=(missing)"]
assert np.array_equal(pre.transform(A), np.load({str(tmp_path / "expected.npy")!r}))
assert "pandas" not in sys.modules
print("ok")
"""
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_levels_read_as_integers_or_floats_are_the_same_level():
    pre = TablePreprocessor(categorical=["zip"], min_frequency=1).fit(
        pd.DataFrame({"zip": [1010, 2020, 1010]}))
    assert pre.categories_ == [["1010", "2020"]]
    later = pd.DataFrame({"zip": [2020.0, np.nan, 1010.0]})  # a gap made them floats
    assert_array_equal(pre.transform(later), [[0, 1], [0, 0], [1, 0]])


def test_bad_input_errors():
    with pytest.raises(ValueError, match="dates or times"):
        TablePreprocessor().fit(pd.DataFrame({"d": pd.to_datetime(["2020-01-01"] * 3)}))
    with pytest.raises(ValueError, match="categorical names 'nope'"):
        TablePreprocessor(categorical=["nope"]).fit(mixed_frame())
    with pytest.raises(ValueError, match="infinite"):
        TablePreprocessor().fit(pd.DataFrame({"x": [1.0, np.inf]}))
    with pytest.raises(ValueError, match="min_frequency"):
        TablePreprocessor(min_frequency=0).fit(mixed_frame())


def test_set_output_pandas_keeps_the_readable_names():
    df = mixed_frame()
    out = TablePreprocessor(min_frequency=1).set_output(transform="pandas").fit_transform(df)
    assert list(out.columns)[:3] == ["n", "n=(missing)", "s=a"]


def test_pipeline_works_in_grid_search_and_cross_val_score(customers):
    X, y = customers
    pipe = make_table_pipeline(DNNClassifier(hidden_layer_sizes=(8,), max_iter=5,
                                             random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(pipe, {"model__hidden_layer_sizes": [(4,), (8,)],
                                 "preprocess__min_frequency": [5, 20]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a fold may meet an unseen level
        search.fit(X, y)
    assert set(search.best_params_) == {"model__hidden_layer_sizes",
                                        "preprocess__min_frequency"}


@pytest.mark.filterwarnings("ignore:column 'region'")  # a fold may miss a rare level
def test_regression_target_is_standardised_and_predicted_in_its_units(customers):
    X, _ = customers
    y = 1e5 + 3e4 * X["tenure_months"].to_numpy() / 30
    pipe = make_table_pipeline(DNNRegressor(hidden_layer_sizes=(16,), max_iter=200,
                                            learning_rate_init=0.01, random_state=0))
    assert isinstance(pipe.named_steps["model"], TransformedTargetRegressor)
    pipe.fit(X, y)
    pred = pipe.predict(X)
    assert abs(pred.mean() - y.mean()) < 0.05 * y.std() and np.corrcoef(pred, y)[0, 1] > 0.95
    search = GridSearchCV(pipe, {"model__regressor__alpha": [1e-4, 1e-3]}, cv=2).fit(X, y)
    assert search.best_score_ > 0.5
    poisson = make_table_pipeline(DNNRegressor(loss="poisson"))
    assert isinstance(poisson.named_steps["model"], DNNRegressor)
    with pytest.raises(ValueError, match="needs a regressor"):
        make_table_pipeline(DNNClassifier(), standardize_target=True)


def test_fit_pipeline_with_validation_rows_equals_pipeline_fit(customers):
    X, y = customers

    def make():
        return make_table_pipeline(DNNClassifier(hidden_layer_sizes=(8,), max_iter=8,
                                                 random_state=0))

    by_sklearn = make().fit(X[:240], y[:240])
    by_steps = fit_pipeline(make(), X[:240], y[:240], X[240:], y[240:])
    assert_array_equal(by_steps.predict_proba(X), by_sklearn.predict_proba(X))
    assert len(by_steps.named_steps["model"].history_["val_score"]) == 8


def test_scikit_learns_estimator_checks_pass():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(TablePreprocessor(), on_fail=None)
    failed = [f"{r['check_name']}: {r['exception']}" for r in results if r["status"] == "failed"]
    assert not failed, failed
