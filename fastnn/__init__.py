"""fastnn: fast deep neural networks for tabular and vector data.

scikit-learn estimators (:class:`DNNClassifier`, :class:`DNNRegressor`) that are
drop-in supersets of ``MLPClassifier`` / ``MLPRegressor``, trained by compiled
Numba kernels and evaluated by a compiled Cython inference pass.

The estimators are imported on first access (PEP 562), so ``import fastnn``
itself is cheap; ``from fastnn import DNNClassifier`` pays scikit-learn's and
Numba's import time, as any scikit-learn estimator does.
"""
import importlib as _importlib
import sys as _sys

from ._version import __version__

_LAZY = {
    "DNNClassifier": "fastnn.estimators.classifier",
    "DNNRegressor": "fastnn.estimators.regressor",
    "load": "fastnn.io.persistence",
    "save": "fastnn.io.persistence",
    "TablePreprocessor": "fastnn.table.preprocessor",
    "make_table_pipeline": "fastnn.table.pipeline",
    "SKOPS_TRUSTED_TYPES": "fastnn.io.persistence",
    "to_onnx": "fastnn.io.onnx",
    "register_onnx_converters": "fastnn.io.onnx",
    "plot_history": "fastnn.plotting",
    "warmup": "fastnn.warmup",
}
#: Public submodules, imported on first access like the names above.
_SUBMODULES = ("exceptions",)

__all__ = ["DNNClassifier", "DNNRegressor", "TablePreprocessor", "make_table_pipeline",
           "save", "load", "SKOPS_TRUSTED_TYPES", "to_onnx",
           "register_onnx_converters", "plot_history", "warmup", "__version__"]


#: Modules of fastnn 0.1 that pickles and skops files name -> where their
#: classes live now (``Regularization`` is ``TrainingSettings``).
_LEGACY_MODULES = {
    "fastnn._classifier": "fastnn.estimators.classifier",
    "fastnn._regressor": "fastnn.estimators.regressor",
    "fastnn._network": "fastnn.nn.plan",
    "fastnn._solvers": "fastnn.training.minibatch",
    "fastnn._table": "fastnn.table.preprocessor",
}


class _LegacyModules:
    """Import finder that answers an old module name with the new module."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name not in _LEGACY_MODULES:
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(name, _LegacyModules)

    @staticmethod
    def create_module(spec):
        return _importlib.import_module(_LEGACY_MODULES[spec.name])

    @staticmethod
    def exec_module(module):
        pass


_sys.meta_path.append(_LegacyModules)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return _importlib.import_module(f"fastnn.{name}")
    raise AttributeError(f"module 'fastnn' has no attribute {name!r}")


def __dir__():
    # The public API only: not the helpers this module imports, nor the internal
    # subpackages that importing the estimators loads (``nn``, ``training``, ...).
    return sorted(set(__all__) | set(_SUBMODULES))
