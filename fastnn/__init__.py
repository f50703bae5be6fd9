"""fastnn: fast deep neural networks for tabular and vector data.

scikit-learn estimators (:class:`DNNClassifier`, :class:`DNNRegressor`) that are
drop-in supersets of ``MLPClassifier`` / ``MLPRegressor``, trained by compiled
Numba kernels and evaluated by a compiled Cython inference pass.
"""
from ._classifier import DNNClassifier
from ._regressor import DNNRegressor

__version__ = "0.1.0"

__all__ = ["DNNClassifier", "DNNRegressor", "__version__"]
