"""ONNX export of fitted fastnn estimators, through skl2onnx.

There is one graph builder: the skl2onnx converters registered here for
:class:`~fastnn.DNNClassifier` and :class:`~fastnn.DNNRegressor`.
:func:`to_onnx` converts a single estimator with them, and once they are
registered ``skl2onnx.to_onnx`` converts any pipeline that contains a fastnn
estimator.

The graph reproduces fastnn's inference pass (``csrc/_inference_ext.pyx``):
the input is cast to the model's compute dtype, then each op of the network plan
adds its nodes (:meth:`fastnn.nn.layerop.LayerOp.onnx`): dense layers are
``MatMul`` + ``Add`` with batch norm already folded into the weights
(:meth:`fastnn.nn.plan.Network.inference_steps`), layer norm normalises each
row, and the hidden and output activations are written from primitive
operators (their forms sit next to the kernels, in :mod:`fastnn.nn.activations`
and :mod:`fastnn.nn.output`), so float64 models stay in float64 (onnxruntime has
float-only ``Elu`` / ``Selu``). The one exception is GELU's ``Erf``, which
onnxruntime implements for float32 only: a float64 model evaluates ``erf`` in
float32, accurate to about 1e-7.

Outputs follow skl2onnx's converters for ``MLPClassifier`` / ``MLPRegressor``:
a classifier gives ``label`` (class labels as int64 or string, shape ``(N,)``; an
int64 indicator matrix ``(N, n_labels)`` for multilabel targets) and
``probabilities`` (as ``predict_proba``); a regressor gives ``variable``
``(N, n_outputs)``. Both are in the model's dtype.
"""
import importlib.util
import numbers

import numpy as np
from sklearn.exceptions import NotFittedError

from .._version import __version__
from ..estimators.base import BaseDNN
from ..estimators.classifier import DNNClassifier
from ..estimators.regressor import DNNRegressor

#: Oldest ONNX opset the converters write (GELU's ``Erf`` appeared in opset 9).
MIN_OPSET = 9
_ALIASES = {DNNClassifier: "FastnnDNNClassifier", DNNRegressor: "FastnnDNNRegressor"}
_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False, True]}
_INSTALL_HINT = ('ONNX export needs the optional packages onnx and skl2onnx: '
                 'pip install "fastnn[onnx]" (it also installs onnxruntime).')


def _import_onnx():
    """``(onnx, skl2onnx)``, or an ImportError that says how to install them."""
    try:
        import onnx
        import skl2onnx
    except ImportError as exc:
        raise ImportError(f"{_INSTALL_HINT} ({exc})") from exc
    return onnx, skl2onnx


def _check_estimator(estimator):
    """TypeError for anything but a fastnn estimator, NotFittedError if unfitted."""
    if not isinstance(estimator, BaseDNN):
        hint = ""
        if hasattr(estimator, "steps") or hasattr(estimator, "transformers"):
            hint = (" To export a pipeline that contains a fastnn estimator, call "
                    "fastnn.register_onnx_converters() and then "
                    "skl2onnx.to_onnx(pipeline, X[:1]).")
        raise TypeError(
            "fastnn.to_onnx exports a fitted fastnn DNNClassifier or DNNRegressor, got "
            f"{type(estimator).__name__}. For scikit-learn models call "
            f"skl2onnx.to_onnx directly.{hint}"
        )
    if "_net" not in estimator.__dict__:
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet: call fit before "
            "exporting it to ONNX."
        )


# --------------------------------------------------------------------- graph
class _GraphWriter:
    """Adds nodes and constants to a skl2onnx container under unique names."""

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)

    def const(self, value, hint, dtype=None):
        """A numeric initializer (in the model's dtype unless ``dtype`` is given)."""
        from onnx import numpy_helper

        arr = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self.scope.get_unique_variable_name(hint)
        tensor = numpy_helper.from_array(arr, name)
        self.container.add_initializer(name, tensor.data_type, list(arr.shape), tensor)
        return name

    def node(self, op_type, inputs, hint=None, output=None, **attrs):
        """Add one node; returns its output name (``output`` or a fresh one)."""
        if output is None:
            output = self.scope.get_unique_variable_name(hint or op_type.lower())
        self.container.add_node(op_type, list(inputs), output,
                                name=self.scope.get_unique_operator_name(op_type), **attrs)
        return output

    def cast(self, name, dtype, output=None):
        from onnx import helper

        return self.node("Cast", [name], "cast", output=output,
                         to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))


def _network_outputs(g, estimator, input_variable):
    """Output activations ``(N, n_outputs)`` of the estimator's network: each op's
    nodes in turn, on the layer's folded weights."""
    net = estimator._net
    x = input_variable.full_name
    if not isinstance(input_variable.type, _output_tensor_type(estimator)):
        x = g.cast(x, net.dtype)  # as fit / predict convert X to the compute dtype
    for step in net.inference_steps():
        for op in step["ops"]:
            x = op.onnx(g, x, step)
    return x


def _label_array(classes):
    """Class labels as int64, or as UTF-8 bytes for string labels.

    Float labels must be whole numbers (skl2onnx's convention: ZipMap and the
    label output hold int64 or strings).
    """
    classes = np.asarray(classes)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if all(isinstance(c, str) for c in classes):
        return np.array([c.encode("utf-8") for c in classes], dtype=object)
    if all(isinstance(c, (numbers.Integral, np.bool_)) for c in classes):
        return classes.astype(np.int64)
    if all(isinstance(c, numbers.Real) for c in classes) and np.all(
            np.mod(classes.astype(np.float64), 1) == 0):
        return classes.astype(np.int64)
    raise ValueError(
        f"ONNX export needs integer or string class labels, got {classes.tolist()!r}. "
        "Encode the targets (for example with sklearn.preprocessing.LabelEncoder) and "
        "fit again."
    )


def _is_multilabel(estimator):
    return estimator._label_binarizer.y_type_ == "multilabel-indicator"


def _check_opset(container, estimator):
    if container.target_opset < MIN_OPSET:
        raise ValueError(
            f"Exporting {type(estimator).__name__} needs target_opset >= {MIN_OPSET}, "
            f"got {container.target_opset}."
        )


def convert_dnn_classifier(scope, operator, container):
    """skl2onnx converter of :class:`~fastnn.DNNClassifier`.

    Writes ``probabilities`` (as ``predict_proba``: ``[1 - p, p]`` for a binary
    target) and ``label`` (as ``predict``): the class of the larger probability
    (``p > 0.5`` for binary), or ``p > 0.5`` per label as an int64 indicator
    matrix for multilabel targets.
    """
    from onnx import TensorProto
    from skl2onnx.common.utils_classifier import get_label_classes

    estimator = operator.raw_operator
    _check_estimator(estimator)
    _check_opset(container, estimator)
    g = _GraphWriter(scope, container, estimator._net.dtype)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    out = _network_outputs(g, estimator, operator.inputs[0])
    if _is_multilabel(estimator):
        g.node("Identity", [out], output=proba)
        g.cast(g.node("Greater", [out, g.const(0.5, "threshold")]), np.int64, output=label)
        return
    if estimator.n_outputs_ == 1:  # binary: one sigmoid unit
        g.node("Concat", [g.node("Sub", [g.const(1.0, "one"), out]), out], output=proba,
               axis=1)
        positive = g.cast(g.node("Greater", [out, g.const(0.5, "threshold")]), np.int64)
        index = g.node("Reshape", [positive, g.const([-1], "flat", np.int64)], "index")
    else:
        g.node("Identity", [out], output=proba)
        index = g.node("ArgMax", [out], "index", axis=1, keepdims=0)
    classes = _label_array(get_label_classes(scope, estimator))
    if len(classes) == 1:  # a single class: every row gets it
        classes = np.repeat(classes, 2)
    if classes.dtype == object:
        name = scope.get_unique_variable_name("classes")
        container.add_initializer(name, TensorProto.STRING, [len(classes)], list(classes))
    else:
        name = g.const(classes, "classes", np.int64)
    g.node("Gather", [name, index], output=label, axis=0)


def convert_dnn_regressor(scope, operator, container):
    """skl2onnx converter of :class:`~fastnn.DNNRegressor`: ``variable`` is the
    network output ``(N, n_outputs)`` (identity, or ``exp`` for Poisson loss)."""
    estimator = operator.raw_operator
    _check_estimator(estimator)
    _check_opset(container, estimator)
    g = _GraphWriter(scope, container, estimator._net.dtype)
    out = _network_outputs(g, estimator, operator.inputs[0])
    g.node("Identity", [out], output=operator.outputs[0].full_name)


# ------------------------------------------------------------ shape calculators
def _output_tensor_type(estimator):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    return DoubleTensorType if estimator._net.dtype == np.float64 else FloatTensorType


def _check_input(operator, n_outputs):
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )

    check_input_and_output_numbers(operator, input_count_range=1,
                                   output_count_range=n_outputs)
    check_input_and_output_types(operator, good_input_types=[
        FloatTensorType, DoubleTensorType, Int64TensorType, BooleanTensorType])
    estimator = operator.raw_operator
    _check_estimator(estimator)
    n_features = operator.inputs[0].get_second_dimension()
    if isinstance(n_features, numbers.Integral) and n_features != estimator.n_features_in_:
        raise ValueError(
            f"The ONNX input has {n_features} features but {type(estimator).__name__} "
            f"was fitted on {estimator.n_features_in_}."
        )
    return estimator, operator.inputs[0].get_first_dimension()


def _check_zipmap(operator, estimator):
    """Refuse the ZipMap combinations that would give an invalid graph.

    ``probabilities`` is in the model's dtype whatever the input dtype, as
    ``predict_proba`` is. onnxruntime's ZipMap takes float32 only, and skl2onnx
    declares the ``zipmap='columns'`` outputs in the input's float type.
    """
    from skl2onnx.common.data_types import guess_tensor_type

    zipmap = operator.scope_inst.get_options(estimator, dict(zipmap=True))["zipmap"]
    dtype = estimator._net.dtype
    if zipmap is True and dtype != np.float32:
        raise ValueError(
            "ZipMap (option zipmap=True) takes float32 probabilities, but this "
            f"{type(estimator).__name__} computes in {dtype}. Pass zipmap=False "
            "(skl2onnx: options={'zipmap': False}) or fit with dtype='float32'."
        )
    declared = type(guess_tensor_type(operator.inputs[0].type))
    if zipmap == "columns" and declared is not _output_tensor_type(estimator):
        raise ValueError(
            f"zipmap='columns' needs the ONNX input in the model's dtype ({dtype}): "
            f"convert with X.astype(np.{dtype}) as the sample input, or use "
            "zipmap=False or True."
        )


def calculate_dnn_classifier_output_shapes(operator):
    """skl2onnx shape calculator of :class:`~fastnn.DNNClassifier`."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType
    from skl2onnx.common.utils_classifier import get_label_classes

    estimator, n = _check_input(operator, 2)
    _check_zipmap(operator, estimator)
    n_columns = max(estimator.n_outputs_, 2)
    if _is_multilabel(estimator):
        label_type = Int64TensorType([n, estimator.n_outputs_])
    else:
        classes = _label_array(get_label_classes(operator.scope_inst, estimator))
        label_type = (StringTensorType if classes.dtype == object else Int64TensorType)([n])
    operator.outputs[0].set_type(label_type)
    operator.outputs[1].set_type(_output_tensor_type(estimator)([n, n_columns]))


def calculate_dnn_regressor_output_shapes(operator):
    """skl2onnx shape calculator of :class:`~fastnn.DNNRegressor`."""
    estimator, n = _check_input(operator, 1)
    operator.outputs[0].set_type(_output_tensor_type(estimator)([n, estimator.n_outputs_]))


# ------------------------------------------------------------------- public API
def register_onnx_converters():
    """Register fastnn's estimators with skl2onnx.

    Afterwards ``skl2onnx.to_onnx`` / ``convert_sklearn`` convert any pipeline
    that contains a :class:`~fastnn.DNNClassifier` or :class:`~fastnn.DNNRegressor`.
    Importing :func:`fastnn.to_onnx` already does this when skl2onnx is
    installed; calling it again is harmless. Classifiers accept skl2onnx's
    ``zipmap`` (True, False or ``'columns'``) and ``nocl`` options.

    Raises
    ------
    ImportError
        If onnx or skl2onnx is not installed (``pip install "fastnn[onnx]"``).

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastnn import DNNClassifier, register_onnx_converters
    >>> register_onnx_converters()
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> pipe = make_pipeline(StandardScaler(), DNNClassifier((8,), max_iter=5))
    >>> pipe = pipe.fit(X, (X[:, 0] > 0).astype(int))
    >>> onx = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    >>> [o.name for o in onx.graph.output]
    ['label', 'probabilities']
    """
    _, skl2onnx = _import_onnx()
    skl2onnx.update_registered_converter(
        DNNClassifier, _ALIASES[DNNClassifier], calculate_dnn_classifier_output_shapes,
        convert_dnn_classifier, options=_CLASSIFIER_OPTIONS)
    skl2onnx.update_registered_converter(
        DNNRegressor, _ALIASES[DNNRegressor], calculate_dnn_regressor_output_shapes,
        convert_dnn_regressor)


def to_onnx(estimator, *, target_opset=None, name=None, zipmap=False, nocl=False):
    """Export a fitted fastnn estimator to an ONNX model.

    The graph computes exactly what ``predict`` / ``predict_proba`` compute:
    batch norm folded into the dense layers, every hidden activation, and the
    output activation (softmax, sigmoid, identity or ``exp``). Needs the ``onnx``
    extra: ``pip install "fastnn[onnx]"``.

    Parameters
    ----------
    estimator : DNNClassifier or DNNRegressor
        A fitted estimator.
    target_opset : int, optional
        ONNX opset of the model (at least 9); by default the newest one skl2onnx
        supports.
    name : str, optional
        Name of the ONNX graph (default: the estimator's class name).
    zipmap : bool or 'columns', default=False
        Classifiers only. False gives ``probabilities`` as an
        ``(n_samples, n_classes)`` tensor; True adds skl2onnx's ZipMap (a list
        of ``{label: probability}`` dicts, float32 models only in onnxruntime).
    nocl : bool, default=False
        Classifiers only: output class indices ``0 .. n_classes - 1`` as ``label``
        instead of the class labels.

    Returns
    -------
    onnx.ModelProto
        One input ``"X"``, ``(n_samples, n_features)`` in the model's dtype
        (float32 unless fitted with ``dtype="float64"``). A classifier has
        outputs ``"label"`` (int64 or string, as ``predict``; an int64 indicator
        matrix for multilabel targets) and ``"probabilities"`` (as
        ``predict_proba``); a regressor has ``"variable"``, shape
        ``(n_samples, n_outputs)``.

    Raises
    ------
    TypeError
        If ``estimator`` is not a fastnn estimator.
    sklearn.exceptions.NotFittedError
        If it has not been fitted.
    ImportError
        If onnx or skl2onnx is not installed.

    See Also
    --------
    register_onnx_converters : Convert pipelines with ``skl2onnx.to_onnx``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from fastnn import DNNClassifier, to_onnx
    >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    >>> clf = DNNClassifier((8,), batch_norm=True, max_iter=5).fit(X, X[:, 0] > 0)
    >>> session = ort.InferenceSession(to_onnx(clf).SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> label, proba = session.run(None, {"X": X})
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    _check_estimator(estimator)
    options = {}
    if isinstance(estimator, DNNClassifier):
        options = {"zipmap": zipmap, "nocl": nocl}
    elif zipmap is not False or nocl is not False:
        raise ValueError("zipmap and nocl apply to classifiers only; leave them unset "
                         f"for a {type(estimator).__name__}.")
    onnx, skl2onnx = _import_onnx()
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    register_onnx_converters()
    tensor_type = DoubleTensorType if estimator._net.dtype == np.float64 else FloatTensorType
    model = skl2onnx.convert_sklearn(
        estimator, name=name or type(estimator).__name__,
        initial_types=[("X", tensor_type([None, estimator.n_features_in_]))],
        target_opset=target_opset, options={id(estimator): options} if options else None,
    )
    onnx.helper.set_model_props(model, {"fastnn_version": __version__,
                                        "fastnn_estimator": type(estimator).__name__})
    return model


if importlib.util.find_spec("skl2onnx") is not None:
    try:  # importing this module (fastnn.to_onnx) makes skl2onnx.to_onnx work on fastnn
        register_onnx_converters()
    except ImportError:  # a broken install: to_onnx reports it when called
        pass
