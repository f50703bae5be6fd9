"""DNNRegressor: a drop-in superset of scikit-learn's ``MLPRegressor``."""
from textwrap import indent

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d, validate_data

from .base import BaseDNN
from .docstrings import DTYPE_PARAMETER, SHARED_ATTRIBUTES, SHARED_PARAMETERS


class DNNRegressor(RegressorMixin, BaseDNN):
    __doc__ = f"""Deep neural network regressor with compiled training kernels.

    Every parameter of scikit-learn's ``MLPRegressor`` is accepted under the same
    name, default and meaning, so replacing the import is enough.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        ``'squared_error'``: identity output, half squared error
        ``0.5 * sum_k (y_k - a_k)^2`` per sample (summed over outputs).
        ``'poisson'``: ``exp`` output, half Poisson deviance
        ``sum_k y_k log(y_k / a_k) - y_k + a_k``; needs ``y >= 0``.

{indent(SHARED_PARAMETERS, "    ").rstrip()}

{indent(DTYPE_PARAMETER, "    ").rstrip()}

    Attributes
    ----------
{indent(SHARED_ATTRIBUTES, "    ").rstrip()}

    See Also
    --------
    DNNClassifier : The classification counterpart.
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastnn import DNNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> reg = DNNRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=200,
    ...                    random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.5
    True
    """

    _parameter_constraints: dict = {
        **BaseDNN._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
        solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
        learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True, random_state=None,
        tol=1e-4, verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
        early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8, n_iter_no_change=10,
        max_fun=15000, weight_init="auto", batch_norm=False,
        batch_norm_momentum=0.1, layer_norm=False, dropout=0.0, l1=0.0, max_norm=None, clip_norm=None,
        clip_value=None, input_noise=0.0, rho=0.9, weight_decay=0.01, lr_decay=None,
        lr_step_epochs=10, callbacks=None, init_from=None, freeze_layers=None,
        n_threads=None, dtype="float32",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            loss=loss, shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init, batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum, layer_norm=layer_norm, dropout=dropout, l1=l1,
            max_norm=max_norm, clip_norm=clip_norm, clip_value=clip_value,
            input_noise=input_noise, rho=rho, weight_decay=weight_decay, lr_decay=lr_decay,
            lr_step_epochs=lr_step_epochs, callbacks=callbacks, init_from=init_from,
            freeze_layers=freeze_layers, n_threads=n_threads,
            dtype=dtype,
        )

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X, y, incremental, reset, dtype):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
            dtype=dtype, order="C", reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "loss='poisson' requires non-negative targets y, but y has negative "
                "values. Use loss='squared_error' or shift the targets."
            )
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, np.ascontiguousarray(Y, dtype=dtype), y

    def _decode_outputs(self, out):
        return out.ravel() if out.shape[1] == 1 else out

    def _score_function(self, y, y_pred, sample_weight=None):
        return r2_score(y, y_pred, sample_weight=sample_weight)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the compute dtype.
        """
        return self._decode_outputs(self._forward(X))

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on the given data, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, as in :meth:`fit`.

        Returns
        -------
        self
            The estimator, trained for one more epoch.
        """
        self._validate_params()
        return self._transaction(lambda: self._fit(X, y, sample_weight, incremental=True))
