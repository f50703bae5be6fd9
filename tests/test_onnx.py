"""ONNX export: fastnn.to_onnx and the skl2onnx converters, checked with onnxruntime."""
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

onnx = pytest.importorskip("onnx")
skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

from skl2onnx.common.data_types import FloatTensorType
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import fastnn
from fastnn import DNNClassifier, DNNRegressor
from fastnn.nn.activations import ACTIVATION_CODES
from fastnn.io.onnx import MIN_OPSET, _label_array, register_onnx_converters

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HIDDEN_ACTIVATIONS = sorted(set(ACTIVATION_CODES) - {"sigmoid"})  # "sigmoid" = "logistic"
SMALL = dict(hidden_layer_sizes=(6, 5), max_iter=10, batch_size=10, learning_rate_init=0.01,
             random_state=0)


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(scale=2.0, size=(60, 4)).astype(np.float32)


def run(model, X, **feeds):
    """All outputs of an ONNX model run by onnxruntime, by output name."""
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X, **feeds})))


def input_signature(model):
    (inp,) = model.graph.input
    tensor = inp.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    return inp.name, onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type), dims


@pytest.mark.parametrize("normalisation", [{}, {"batch_norm": True}, {"layer_norm": True},
                                           {"batch_norm": True, "layer_norm": True}],
                         ids=["plain", "batch_norm", "layer_norm", "both"])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_matches_predict(activation, normalisation, X):
    # Identity outputs on targets of order 1: nothing squashes a wrong activation.
    Y = np.c_[np.sin(X[:, 0]), X[:, 1] * X[:, 2] / 4]
    reg = DNNRegressor(activation=activation, **normalisation, **SMALL).fit(X, Y)
    batch_norm = normalisation.get("batch_norm", False)
    if batch_norm:  # the running statistics moved: folding them changes the weights
        folded = reg._net.inference_steps()[0]["W"]
        assert np.abs(folded - reg.coefs_[0]).max() > 1e-2
    out = run(fastnn.to_onnx(reg), X)
    assert list(out) == ["variable"]
    assert out["variable"].dtype == np.float32 and out["variable"].shape == (60, 2)
    assert_allclose(out["variable"], reg.predict(X), rtol=0, atol=1e-5)


def _targets(kind, X):
    bits = (X[:, :3] > 0).astype(int)
    index = bits[:, 0] + bits[:, 1]  # three classes
    return {
        "binary-int": np.array([3, 7])[bits[:, 0]],
        "binary-bool": bits[:, 0].astype(bool),
        "single-class": np.full(len(X), 5),
        "multiclass-strings": np.array(["ant", "bee", "cat"])[index],
        "multiclass-whole-floats": np.array([-1.0, 0.0, 2.0])[index],
        "multilabel": bits,
    }[kind]


@pytest.mark.parametrize("kind", ["binary-int", "binary-bool", "single-class",
                                  "multiclass-strings", "multiclass-whole-floats",
                                  "multilabel"])
def test_classifier_outputs_match_predict_and_predict_proba(kind, X):
    y = _targets(kind, X)
    clf = DNNClassifier(activation="gelu", batch_norm=True, **SMALL).fit(X, y)
    model = fastnn.to_onnx(clf)
    assert input_signature(model) == ("X", np.float32, [None, 4])
    out = run(model, X)
    assert list(out) == ["label", "probabilities"]
    proba = clf.predict_proba(X)
    assert out["probabilities"].dtype == np.float32
    assert out["probabilities"].shape == proba.shape
    assert_allclose(out["probabilities"], proba, rtol=0, atol=1e-5)
    expected = clf.predict(X)
    assert out["label"].shape == expected.shape
    assert out["label"].dtype == (object if kind.endswith("strings") else np.int64)
    assert_array_equal(out["label"], expected)
    if kind != "single-class":  # the test must see more than one predicted label
        assert len(np.unique(expected, axis=0)) > 1


def test_saturated_sigmoid_outputs_stay_inside_0_1_as_in_fastnn(X):
    clf = DNNClassifier(**SMALL).fit(X, _targets("multilabel", X))
    clf.intercepts_[-1][...] = [40.0, -40.0, 40.0]  # float32 sigmoid rounds to 1.0 / ~0
    proba = clf.predict_proba(X)
    assert 0 < proba.min() and proba.max() < 1
    assert_array_equal(run(fastnn.to_onnx(clf), X)["probabilities"], proba)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_regressor_outputs_match_predict(loss, n_outputs, X):
    rng = np.random.default_rng(1)
    Y = rng.poisson(np.exp(0.3 * X[:, :n_outputs])).astype(float)
    reg = DNNRegressor(loss=loss, activation="elu", batch_norm=True, **SMALL).fit(
        X, Y.ravel() if n_outputs == 1 else Y)
    model = fastnn.to_onnx(reg)
    assert input_signature(model) == ("X", np.float32, [None, 4])
    (variable,) = run(model, X).values()
    assert variable.shape == (60, n_outputs)  # 2-D, as skl2onnx's regressors
    assert_allclose(variable, reg.predict(X).reshape(60, n_outputs), rtol=0, atol=1e-5)
    if loss == "poisson":
        assert variable.min() > 0


@pytest.mark.parametrize("activation, atol", [("tanh", 1e-12), ("selu", 1e-12),
                                              ("prelu", 1e-12), ("gelu", 1e-6)])
def test_float64_model_is_exported_in_float64(activation, atol, X):
    # GELU's erf runs in float32 (onnxruntime has no float64 Erf); the rest is float64.
    X64 = X.astype(np.float64)
    clf = DNNClassifier(activation=activation, batch_norm=True, dtype="float64",
                        **SMALL).fit(X64, _targets("multiclass-strings", X))
    model = fastnn.to_onnx(clf)
    assert input_signature(model) == ("X", np.float64, [None, 4])
    out = run(model, X64)
    assert out["probabilities"].dtype == np.float64
    assert_allclose(out["probabilities"], clf.predict_proba(X64), rtol=0, atol=atol)
    assert_array_equal(out["label"], clf.predict(X64))


@pytest.mark.parametrize("target_opset", [MIN_OPSET, 13, None])
def test_target_opset(target_opset, X):
    clf = DNNClassifier(activation="gelu", **SMALL).fit(X, _targets("multiclass-strings", X))
    model = fastnn.to_onnx(clf, target_opset=target_opset, name="my_model")
    main = {o.domain: o.version for o in model.opset_import}[""]
    if target_opset is not None:
        assert main <= target_opset
    assert model.graph.name == "my_model"
    props = {p.key: p.value for p in model.metadata_props}
    assert props == {"fastnn_version": fastnn.__version__, "fastnn_estimator": "DNNClassifier"}
    assert_allclose(run(model, X)["probabilities"], clf.predict_proba(X), rtol=0, atol=1e-5)


def test_nocl_gives_class_indices(X):
    clf = DNNClassifier(**SMALL).fit(X, _targets("multiclass-strings", X))
    out = run(fastnn.to_onnx(clf, nocl=True), X)
    assert_array_equal(clf.classes_[out["label"]], clf.predict(X))


def test_zipmap_gives_one_dict_per_row(X):
    clf = DNNClassifier(**SMALL).fit(X, _targets("multiclass-strings", X))
    out = run(fastnn.to_onnx(clf, zipmap=True), X)
    assert list(out) == ["output_label", "output_probability"]
    proba = np.array([[row[c] for c in clf.classes_] for row in out["output_probability"]])
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("zipmap", [True, False, "columns"])
def test_skl2onnx_converts_a_pipeline_with_a_classifier(zipmap, X):
    X64 = X.astype(np.float64)
    pipe = Pipeline([("scale", StandardScaler()), ("dnn", DNNClassifier(**SMALL))])
    pipe.fit(X64, _targets("multiclass-strings", X))
    register_onnx_converters()  # idempotent: importing fastnn.io.onnx registered them
    # zipmap='columns' declares its outputs in the input dtype: feed float32
    sample = X[:1] if zipmap == "columns" else X64[:1]
    model = skl2onnx.to_onnx(pipe, sample, options={id(pipe[-1]): {"zipmap": zipmap}})
    out = run(model, X64.astype(sample.dtype))
    label = out.pop("label" if zipmap is False else "output_label")
    assert_array_equal(label, pipe.predict(X64))
    if zipmap is True:
        rows = out["output_probability"]
        proba = np.array([[row[c] for c in pipe.classes_] for row in rows])
    elif zipmap == "columns":
        proba = np.column_stack([out[f"s{c}"] for c in pipe.classes_])
    else:
        proba = out["probabilities"]
    assert_allclose(proba, pipe.predict_proba(X64), rtol=0, atol=1e-5)


def test_skl2onnx_converts_a_pipeline_with_a_regressor(X):
    X64 = X.astype(np.float64)
    Y = np.c_[np.sin(X64[:, 0]), X64[:, 1]]
    pipe = Pipeline([("scale", StandardScaler()),
                     ("dnn", DNNRegressor(activation="silu", **SMALL))]).fit(X64, Y)
    out = run(skl2onnx.to_onnx(pipe, X64[:1]), X64)
    assert_allclose(out["variable"], pipe.predict(X64), rtol=0, atol=1e-5)


# ------------------------------------------------------------------- errors
def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError, match="DNNClassifier instance is not fitted yet"):
        fastnn.to_onnx(DNNClassifier())


def test_other_objects_are_refused(X):
    with pytest.raises(TypeError, match="fitted fastnn DNNClassifier or DNNRegressor, got "
                                        "MLPClassifier.*skl2onnx.to_onnx"):
        fastnn.to_onnx(MLPClassifier())
    pipe = Pipeline([("dnn", DNNClassifier(**SMALL))]).fit(X, X[:, 0] > 0)
    with pytest.raises(TypeError, match=r"register_onnx_converters\(\) and then"):
        fastnn.to_onnx(pipe)


def test_classifier_options_are_refused_for_a_regressor(X):
    reg = DNNRegressor(**SMALL).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="zipmap and nocl apply to classifiers only"):
        fastnn.to_onnx(reg, zipmap=True)


def test_float_class_labels_must_be_whole_numbers():
    # scikit-learn refuses to fit such labels; the export checks anyway (zipmap needs ints)
    assert _label_array(np.array([-1.0, 2.0])).dtype == np.int64
    with pytest.raises(ValueError, match=r"integer or string class labels, got \[0.5, 1.5\]"):
        _label_array(np.array([0.5, 1.5]))


def test_zipmap_with_a_float64_model_is_refused(X):
    clf = DNNClassifier(dtype="float64", **SMALL).fit(X, X[:, 0] > 0)
    with pytest.raises(ValueError, match="ZipMap .* takes float32 probabilities"):
        fastnn.to_onnx(clf, zipmap=True)


def test_too_old_opset_is_refused(X):
    clf = DNNClassifier(**SMALL).fit(X, X[:, 0] > 0)
    with pytest.raises(ValueError, match=f"needs target_opset >= {MIN_OPSET}, got 8"):
        fastnn.to_onnx(clf, target_opset=8)


def test_input_width_must_match(X):
    reg = DNNRegressor(**SMALL).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="ONNX input has 3 features but DNNRegressor was "
                                         "fitted on 4"):
        skl2onnx.convert_sklearn(reg, initial_types=[("X", FloatTensorType([None, 3]))])


def test_missing_extra_says_how_to_install(X, monkeypatch):
    reg = DNNRegressor(**SMALL).fit(X, X[:, 0])
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # makes `import skl2onnx` fail
    with pytest.raises(ImportError, match=r'pip install "fastnn\[onnx\]"'):
        fastnn.to_onnx(reg)
