"""Pipelines in the safe native format (fastnn.save / fastnn.load), files of older
format versions, and the messages for files that are not fastnn models."""
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import fastnn
from conftest import assert_predicts_as_stored
from customers import customer_frame
from fastnn import DNNClassifier, DNNRegressor, TablePreprocessor, make_table_pipeline
from fastnn.io.format import FORMAT_VERSION
from fastnn.exceptions import ModelFileError

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def table():
    frame = customer_frame(300, seed=2)
    return frame.drop(columns="churn"), frame["churn"]


def _round_trip(obj, tmp_path):
    path = tmp_path / "pipe.fastnn"
    fastnn.save(obj, path)
    with np.load(path, allow_pickle=False) as npz:  # no pickle inside
        assert all(npz[f].dtype != object for f in npz.files)
        meta = json.loads(bytes(npz["meta"]).decode())
    assert meta["format_version"] == FORMAT_VERSION
    return fastnn.load(path)


def test_classifier_pipeline_round_trip_is_bit_identical(table, tmp_path):
    X, y = table
    pipe = make_table_pipeline(DNNClassifier(hidden_layer_sizes=(8,), max_iter=5,
                                             random_state=0), min_frequency=20).fit(X, y)
    loaded = _round_trip(pipe, tmp_path)
    assert isinstance(loaded, Pipeline) and [n for n, _ in loaded.steps] == ["preprocess",
                                                                              "model"]
    assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert_array_equal(loaded.classes_, ["no", "yes"])
    pre, saved = loaded.named_steps["preprocess"], pipe.named_steps["preprocess"]
    assert pre.get_params() == saved.get_params()
    assert pre.describe() == saved.describe()
    assert_array_equal(pre.get_feature_names_out(), saved.get_feature_names_out())
    assert_array_equal(pre.feature_names_in_, X.columns)
    # the loaded pipeline still takes columns by name and ignores extra ones
    assert_array_equal(loaded.predict(X[X.columns[::-1]].assign(extra=1)), pipe.predict(X))


def test_regressor_pipeline_round_trip_predicts_in_the_targets_units(table, tmp_path):
    X, _ = table
    y = np.column_stack([5e4 + 100 * X["tenure_months"], X["monthly_charges"]])
    for target in (y[:, 0], y):  # one output, and two
        pipe = make_table_pipeline(DNNRegressor(hidden_layer_sizes=(8,), max_iter=30,
                                                random_state=0)).fit(X, target)
        loaded = _round_trip(pipe, tmp_path)
        assert isinstance(loaded.named_steps["model"], TransformedTargetRegressor)
        assert_array_equal(loaded.predict(X), pipe.predict(X))
        assert loaded.predict(X).shape == target.shape
        assert abs(loaded.predict(X).mean(axis=0) - target.mean(axis=0)).max() < (
            target.std(axis=0).max())


def test_a_plain_standard_scaler_step_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)) * 100
    pipe = Pipeline([("scale", StandardScaler()),
                     ("model", DNNRegressor(hidden_layer_sizes=(4,), max_iter=3,
                                            random_state=0))]).fit(X, X[:, 0])
    assert_array_equal(_round_trip(pipe, tmp_path).predict(X), pipe.predict(X))


def test_steps_the_native_format_does_not_hold_are_refused(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 2))
    pipe = Pipeline([("scale", MinMaxScaler()),
                     ("model", DNNRegressor(hidden_layer_sizes=(4,), max_iter=2))]).fit(X, X[:, 0])
    with pytest.raises(TypeError, match="step 'scale' \\(MinMaxScaler\\).*skops"):
        fastnn.save(pipe, tmp_path / "p.fastnn")
    assert not (tmp_path / "p.fastnn").exists()
    unfitted = make_table_pipeline(DNNClassifier())
    with pytest.raises(Exception, match="not fitted"):
        fastnn.save(unfitted, tmp_path / "p.fastnn")


def test_corrupt_pipeline_file_fails_its_checksum(table, tmp_path):
    X, y = table
    pipe = make_table_pipeline(DNNClassifier(hidden_layer_sizes=(4,), max_iter=2,
                                             random_state=0)).fit(X, y)
    fastnn.save(pipe, tmp_path / "p.fastnn")
    with np.load(tmp_path / "p.fastnn", allow_pickle=False) as npz:
        arrays = {f: npz[f] for f in npz.files}
    arrays["0.means_"] = arrays["0.means_"] + 1.0  # a changed preprocessing statistic
    with open(tmp_path / "bad.fastnn", "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ModelFileError, match="bad.fastnn.*checksum"):
        fastnn.load(tmp_path / "bad.fastnn")


def test_a_format_2_file_still_loads_and_predicts_as_it_did():
    # written by fastnn at format version 2 (before pipelines), with its outputs
    model = fastnn.load(DATA / "format_v2_classifier.fnn")
    assert isinstance(model, DNNClassifier)
    X = np.load(DATA / "format_v2_classifier_X.npy")
    assert_predicts_as_stored(model.predict_proba(X), np.load(DATA / "format_v2_classifier_proba.npy"))
    assert_array_equal(model.classes_, ["no", "yes"])
    model.partial_fit(X, model.predict(X))  # its optimizer state came along


@pytest.mark.parametrize("name, content, looks_like", [
    ("data.csv", b"a,b,y\n1,2,0\n3,4,1\n", "CSV text"),
    ("data.tsv", b"a\tb\n1\t2\n", "TSV text"),
    ("notes.txt", b"just some words\n", "text"),
    ("empty.fastnn", b"", "an empty file"),
    ("model.pkl", pickle.dumps({"a": 1}), "a Python pickle"),
    ("blob.bin", bytes(range(256)) * 4, "binary data"),
])
def test_files_that_are_not_models_are_named_for_what_they_look_like(
        tmp_path, name, content, looks_like):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as info:
        fastnn.load(path)
    message = str(info.value)
    assert f"not a fastnn model file: it looks like {looks_like}" in message
    assert "pickle=" not in message and "allow_pickle" not in message


def test_numpy_files_are_named_too(tmp_path):
    np.savez(tmp_path / "arrays.npz", X=np.zeros((2, 2)), y=np.zeros(2))
    np.save(tmp_path / "one.npy", np.zeros(3))
    np.savez(tmp_path / "objects.npz", meta=np.array([{"a": 1}], dtype=object))
    expected = {"arrays.npz": "a NumPy .npz archive of arrays 'X', 'y'",
                "one.npy": "a NumPy .npy array",
                "objects.npz": "a NumPy .npz archive of Python objects"}
    for name, what in expected.items():
        with pytest.raises(ModelFileError, match="not a fastnn model file") as info:
            fastnn.load(tmp_path / name)
        assert what in str(info.value) and "allow_pickle" not in str(info.value)


def test_table_preprocessor_alone_is_not_a_model_file(table, tmp_path):
    X, _ = table
    with pytest.raises(TypeError, match="takes a fitted DNNClassifier.*got TablePreprocessor"):
        fastnn.save(TablePreprocessor().fit(X), tmp_path / "p.fastnn")


def test_skops_round_trip_of_a_table_pipeline_with_the_documented_trusted_types(table,
                                                                                 tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = table
    pipe = make_table_pipeline(DNNClassifier(hidden_layer_sizes=(4,), max_iter=2,
                                             random_state=0)).fit(X, y)
    sio.dump(pipe, tmp_path / "p.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "p.skops")
    assert set(untrusted) <= set(fastnn.SKOPS_TRUSTED_TYPES), untrusted
    loaded = sio.load(tmp_path / "p.skops", trusted=fastnn.SKOPS_TRUSTED_TYPES)
    assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


def test_init_from_a_saved_pipeline_takes_its_network(table, tmp_path):
    """The network at the end of a saved pipeline seeds a new model on the
    pipeline's preprocessed features."""
    X, y = table
    pipe = make_table_pipeline(DNNClassifier(hidden_layer_sizes=(8,), max_iter=3,
                                             random_state=0)).fit(X, y)
    fastnn.save(pipe, tmp_path / "pipe.fastnn")
    features = pipe[:-1].transform(X)
    with pytest.warns(UserWarning, match=r"copied hidden layers \[0\]"):
        model = DNNClassifier(hidden_layer_sizes=(8,), max_iter=1, random_state=0,
                              init_from=tmp_path / "pipe.fastnn", freeze_layers=1)
        model.fit(features, y)
    assert_array_equal(model.coefs_[0], pipe[-1].coefs_[0])
    with pytest.raises(ValueError, match="input features"):
        DNNClassifier(init_from=tmp_path / "pipe.fastnn").fit(features[:, :3], y)
