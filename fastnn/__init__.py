"""fastnn: fast deep neural networks for tabular and vector data.

scikit-learn estimators (:class:`DNNClassifier`, :class:`DNNRegressor`) that are
drop-in supersets of ``MLPClassifier`` / ``MLPRegressor``, trained by compiled
Numba kernels and evaluated by a compiled Cython inference pass.

The estimators are imported on first access (PEP 562), so ``import fastnn``
itself is cheap; ``from fastnn import DNNClassifier`` pays scikit-learn's and
Numba's import time, as any scikit-learn estimator does.
"""
import importlib

__version__ = "0.1.0"

_LAZY = {
    "DNNClassifier": "fastnn._classifier",
    "DNNRegressor": "fastnn._regressor",
    "load": "fastnn._persistence",
    "save": "fastnn._persistence",
    "TablePreprocessor": "fastnn._table",
    "make_table_pipeline": "fastnn._table_pipeline",
    "SKOPS_TRUSTED_TYPES": "fastnn._persistence",
    "to_onnx": "fastnn._onnx",
    "register_onnx_converters": "fastnn._onnx",
    "plot_history": "fastnn._plotting",
    "warmup": "fastnn._warmup",
}

__all__ = ["DNNClassifier", "DNNRegressor", "TablePreprocessor", "make_table_pipeline",
           "save", "load", "SKOPS_TRUSTED_TYPES", "to_onnx",
           "register_onnx_converters", "plot_history", "warmup", "__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fastnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
