"""The safe native format (save / load), model summary and hidden activations."""
import json

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from conftest import run_and_list_compiled
from sklearn.datasets import load_digits, make_multilabel_classification

import fastnn
from fastnn import DNNClassifier, DNNRegressor
from fastnn.exceptions import ModelFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


MODELS = {
    "classifier-strings": lambda X, y: DNNClassifier(hidden_layer_sizes=(16,), max_iter=3,
                                                     random_state=0).fit(
        X, np.array(list("abcdefghij"))[y]),
    "bn-prelu-dropout": lambda X, y: DNNClassifier(
        hidden_layer_sizes=(32, 16), activation="prelu", batch_norm=True, dropout=0.2,
        solver="nadam", max_iter=3, random_state=0).fit(X, y),
    "lbfgs-float64": lambda X, y: DNNClassifier(hidden_layer_sizes=(8,), solver="lbfgs",
                                                dtype="float64", max_iter=20,
                                                random_state=0).fit(X, y),
    "regressor": lambda X, y: DNNRegressor(hidden_layer_sizes=(16,), max_iter=3,
                                           random_state=0).fit(X, y.astype(float)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_predicts_bit_identically(name, digits, tmp_path):
    X, y = digits
    model = MODELS[name](X, y)
    path = tmp_path / "model.fastnn"
    model.save(path)
    loaded = fastnn.load(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    predict = loaded.predict_proba if hasattr(loaded, "predict_proba") else loaded.predict
    reference = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    assert_array_equal(predict(X), reference(X))
    assert_array_equal(loaded.predict(X), model.predict(X))
    for attr in ["n_iter_", "t_", "loss_", "n_layers_", "out_activation_", "n_features_in_"]:
        assert getattr(loaded, attr) == getattr(model, attr), attr
    if hasattr(model, "classes_"):
        assert_array_equal(loaded.classes_, model.classes_)
    with np.load(path, allow_pickle=False) as npz:  # no pickle inside
        assert all(npz[f].dtype != object for f in npz.files)


def test_loaded_model_continues_training_identically(digits, tmp_path):
    X, y = digits
    model = MODELS["bn-prelu-dropout"](X, y)
    model.save(tmp_path / "m.fastnn")
    loaded = fastnn.load(tmp_path / "m.fastnn")
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert_array_equal(loaded._net.params, model._net.params)


def test_multilabel_and_feature_names_survive(tmp_path):
    pd = pytest.importorskip("pandas")
    X, Y = make_multilabel_classification(200, 6, n_classes=3, random_state=0)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    model = DNNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(df, Y)
    model.save(tmp_path / "m.fastnn")
    loaded = fastnn.load(tmp_path / "m.fastnn")
    assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    assert_array_equal(loaded.predict(df), model.predict(df))


def _saved(digits, tmp_path):
    X, y = digits
    path = tmp_path / "m.fastnn"
    MODELS["classifier-strings"](X, y).save(path)
    return path


def test_missing_truncated_and_foreign_files_raise_clear_errors(digits, tmp_path):
    path = _saved(digits, tmp_path)
    with pytest.raises(ModelFileError, match="nope.fastnn"):
        fastnn.load(tmp_path / "nope.fastnn")
    truncated = tmp_path / "truncated.fastnn"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated.fastnn.*truncated"):
        fastnn.load(truncated)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="notes.txt"):
        fastnn.load(text)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    with pytest.raises(ModelFileError, match="not a fastnn model"):
        fastnn.load(other)


def _rewrite(path, out, change_meta=None, change_params=None):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {f: npz[f] for f in npz.files}
    meta = json.loads(bytes(arrays.pop("meta")).decode())
    if change_meta:
        change_meta(meta)
    if change_params:
        arrays["params"] = change_params(arrays["params"].copy())
    blob = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(out, "wb") as fh:  # a handle: np.savez would append .npz to a path
        np.savez(fh, meta=blob, **arrays)
    return out


def test_corrupt_and_newer_files_raise_clear_errors(digits, tmp_path):
    path = _saved(digits, tmp_path)

    def flip(p):
        p[3] += 1.0
        return p

    corrupt = _rewrite(path, tmp_path / "corrupt.fastnn", change_params=flip)
    with pytest.raises(ModelFileError, match="corrupt.fastnn.*checksum"):
        fastnn.load(corrupt)
    newer = _rewrite(path, tmp_path / "newer.fastnn",
                     change_meta=lambda m: m.update(format_version=99))
    with pytest.raises(ModelFileError, match="newer.fastnn.*version 99.*upgrade"):
        fastnn.load(newer)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0xFF  # a flipped byte inside the archive
    damaged = tmp_path / "damaged.fastnn"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="damaged.fastnn"):
        fastnn.load(damaged)


def test_save_needs_a_fitted_model(tmp_path):
    with pytest.raises(AttributeError, match="not fitted"):
        DNNClassifier().save(tmp_path / "m.fastnn")


def test_load_and_predict_in_a_fresh_process_compiles_nothing(digits, tmp_path):
    path = _saved(digits, tmp_path)
    X, _ = digits
    stdout = run_and_list_compiled(f"""
        model = fastnn.load({str(path)!r})
        print(model.predict(np.asarray({X[:4].tolist()!r})).tolist())
    """)
    assert "COMPILED []" in stdout


def test_summary_counts_every_parameter(digits, capsys):
    X, y = digits
    model = MODELS["bn-prelu-dropout"](X, y)
    table = model.summary()
    assert table.total_params == model._net.n_params == table.trainable_params
    kinds = [r["kind"] for r in table.rows]
    assert kinds == ["dense", "batch_norm", "activation", "dropout"] * 2 + ["dense"]
    assert [r["params"] for r in table.rows] == [
        (64 + 1) * 32, 2 * 32, 32, 0, (32 + 1) * 16, 2 * 16, 16, 0, (16 + 1) * 10]
    assert table.rows[2]["activation"] == "prelu" and table.rows[-1]["activation"] == "softmax"
    assert table.rows[-1]["output_shape"] == (None, 10)
    assert capsys.readouterr().out == ""
    model.summary(print_summary=True)
    out = capsys.readouterr().out
    assert "batch_norm_1" in out and f"{table.total_params:,}" in out


def test_hidden_activations_are_the_forward_pass_of_the_hidden_layers(digits):
    X, y = digits
    model = DNNClassifier(hidden_layer_sizes=(12, 7), max_iter=3, random_state=0).fit(X, y)
    h0 = np.maximum(X @ model.coefs_[0] + model.intercepts_[0], 0)
    h1 = np.maximum(h0 @ model.coefs_[1] + model.intercepts_[1], 0)
    assert_allclose(model.hidden_activations(X, layer=0), h0, rtol=1e-4, atol=1e-5)
    assert_allclose(model.hidden_activations(X), h1, rtol=1e-4, atol=1e-5)
    assert_allclose(model.hidden_activations(X, layer=-2), h0, rtol=1e-4, atol=1e-5)
    for bad in (2, -3, 1.0, True, "0"):
        with pytest.raises(ValueError, match="not a hidden layer index"):
            model.hidden_activations(X, layer=bad)
    assert_allclose(model.hidden_activations(X, layer=np.int64(0)), h0, rtol=1e-4, atol=1e-5)
    bn = MODELS["bn-prelu-dropout"](X, y)
    assert bn.hidden_activations(X[:5]).shape == (5, 16)


def test_layer_parameters_rebuild_the_layer_outside_fastnn(digits):
    X, y = digits
    model = MODELS["bn-prelu-dropout"](X, y)
    p = model.layer_parameters(0)
    assert set(p) == {"coef", "intercept", "gamma", "beta", "running_mean", "running_var",
                      "prelu_slopes", "slopes"}
    z = X @ p["coef"] + p["intercept"]
    z = p["gamma"] * (z - p["running_mean"]) / np.sqrt(p["running_var"] + 1e-5) + p["beta"]
    h0 = np.where(z > 0, z, p["prelu_slopes"] * z)
    assert_allclose(model.hidden_activations(X, layer=0), h0, rtol=1e-4, atol=1e-4)
    out = model.layer_parameters(-1)
    assert set(out) == {"coef", "intercept"}
    assert_array_equal(out["coef"], model.coefs_[-1])
    before = model.predict_proba(X[:20])
    p["gamma"][:] = 0.0  # a copy: the model is unchanged
    out["coef"][:] = 0.0
    assert_array_equal(model.predict_proba(X[:20]), before)
    for bad in (3, -4, 1.0, True):
        with pytest.raises(ValueError, match="not a dense layer index"):
            model.layer_parameters(bad)
    with pytest.raises(AttributeError, match="not fitted"):
        DNNClassifier().layer_parameters(0)


@pytest.mark.parametrize("name", ["bn-prelu-dropout", "regressor"])
def test_skops_round_trip_with_the_documented_trusted_types(name, digits, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = digits
    model = MODELS[name](X, y)
    path = tmp_path / "m.skops"
    sio.dump(model, path)
    assert set(sio.get_untrusted_types(file=path)) <= set(fastnn.SKOPS_TRUSTED_TYPES)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path)
    loaded = sio.load(path, trusted=fastnn.SKOPS_TRUSTED_TYPES)
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert np.shares_memory(loaded.coefs_[0], loaded._net.params)


def _frozen_fit(**params):
    """A fit whose update is below float32 resolution: the weights stay as they start."""
    return DNNClassifier(solver="sgd", learning_rate_init=1e-30, momentum=0.0, max_iter=1,
                         random_state=1, **params)


@pytest.mark.parametrize("as_path", [False, True])
def test_init_from_copies_matching_hidden_layers_and_says_so(as_path, digits, tmp_path):
    X, y = digits
    source = DNNClassifier(hidden_layer_sizes=(32, 16), activation="prelu", batch_norm=True,
                           max_iter=3, random_state=0).fit(X, y)
    init_from = source
    if as_path:
        init_from = tmp_path / "source.fastnn"
        source.save(init_from)
    y_new = (y > 4).astype(int)  # a different task: binary, one output
    with pytest.warns(UserWarning, match=r"copied hidden layers \[0, 1\]"):
        model = _frozen_fit(hidden_layer_sizes=(32, 16), activation="prelu", batch_norm=True,
                            init_from=init_from).fit(X, y_new)
    for l in range(2):
        assert_array_equal(model.coefs_[l], source.coefs_[l])
        assert_array_equal(model.intercepts_[l], source.intercepts_[l])
        for part in ("gamma", "beta", "prelu_slopes"):
            assert_array_equal(model._net.part(l, part), source._net.part(l, part))
    assert model.coefs_[2].shape == (16, 1)  # the output layer is new
    if as_path:
        model.save(tmp_path / "new.fastnn")
        assert fastnn.load(tmp_path / "new.fastnn").init_from == str(init_from)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_a_fresh_head_on_copied_layers_starts_near_the_loss_of_knowing_nothing(digits,
                                                                                 batch_norm):
    """Trained features are large; the new output layer is scaled to them, so the
    first batch's loss is close to log(n_classes) (a head drawn like a fresh
    network's starts far above it), and the head is random, not zero."""
    X, y = digits
    old, new = y < 5, y >= 5
    source = DNNClassifier(hidden_layer_sizes=(64, 32), batch_norm=batch_norm, max_iter=30,
                           random_state=0).fit(X[old], y[old])
    features = source.hidden_activations(X[new])
    if not batch_norm:
        assert np.sqrt(np.mean(features ** 2)) > 1.0  # large, as trained features are
    with pytest.warns(UserWarning, match="starts small on the copied features"):
        model = DNNClassifier(hidden_layer_sizes=(64, 32), batch_norm=batch_norm,
                              max_iter=1, random_state=0, init_from=source).fit(X[new], y[new])
    assert abs(model._initial_loss - np.log(5)) < 0.05 * np.log(5)
    explicit = DNNClassifier(hidden_layer_sizes=(64, 32), batch_norm=batch_norm, max_iter=1,
                             random_state=0, init_from=source, weight_init="glorot_uniform")
    with pytest.warns(UserWarning, match="start from weight_init"):
        explicit.fit(X[new], y[new])
    assert explicit._initial_loss > model._initial_loss + 0.1


def test_init_from_stops_at_the_first_mismatched_layer(digits):
    X, y = digits
    source = DNNClassifier(hidden_layer_sizes=(32, 16), max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match=r"copied hidden layers \[0\]"):
        model = _frozen_fit(hidden_layer_sizes=(32, 8), init_from=source).fit(X, y)
    assert_array_equal(model.coefs_[0], source.coefs_[0])
    assert not np.allclose(model.coefs_[1][:, :8], source.coefs_[1][:, :8])


def test_init_from_errors(digits, tmp_path):
    X, y = digits
    source = DNNClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="input features"):
        DNNClassifier(hidden_layer_sizes=(8,), init_from=source).fit(X[:, :10], y)
    with pytest.raises(ValueError, match="unfitted estimator.*path"):
        DNNClassifier(init_from=DNNClassifier()).fit(X, y)
    with pytest.raises(ModelFileError, match="missing.fastnn"):
        DNNClassifier(init_from=tmp_path / "missing.fastnn").fit(X, y)
    with pytest.raises(ValueError, match="init_from must be"):
        DNNClassifier(init_from=42).fit(X, y)


def test_class_weight_with_integer_labels_round_trips(tmp_path):
    from sklearn.datasets import load_iris

    from fastnn import DNNClassifier, load

    X, y = load_iris(return_X_y=True)
    weights = {np.int64(0): 1.0, 1: 2.0, 2: 0.5}  # NumPy and Python integer keys
    est = DNNClassifier(hidden_layer_sizes=(8,), max_iter=3, class_weight=weights,
                        random_state=0).fit(X, y)
    est.save(tmp_path / "cw.fnn")
    loaded = load(tmp_path / "cw.fnn")
    assert loaded.class_weight == {0: 1.0, 1: 2.0, 2: 0.5}
    assert all(type(k) is int for k in loaded.class_weight)
    loaded.partial_fit(X, y)  # the classes are still found in class_weight
