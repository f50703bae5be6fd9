"""Shared estimator machinery of :class:`DNNClassifier` and :class:`DNNRegressor`.

The estimator holds no math: it validates, decides between a fresh start and a
warm start, builds a :class:`~fastnn._network.Network`, and hands the work to
:mod:`fastnn._solvers`, entering compiled code once per epoch.
"""
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._kernels.activations import ACTIVATION_CODES
from ._network import Network
from ._solvers import MinibatchTrainer, TrainData, fit_lbfgs

_STOCHASTIC_SOLVERS = ("sgd", "adam")

try:  # scikit-learn's version-dependent spelling of L-BFGS-B's verbosity option
    from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
except ImportError:  # pragma: no cover
    def _get_additional_lbfgs_options_dict(key, value):
        return {}


class BaseDNN(BaseEstimator, ABC):
    """Base class for fastnn's dense networks. Use a subclass."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATION_CODES))],
        "solver": [StrOptions({"lbfgs", *_STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    @abstractmethod
    def __init__(
        self, hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
        learning_rate_init, power_t, max_iter, loss, shuffle, random_state, tol, verbose,
        warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction,
        beta_1, beta_2, epsilon, n_iter_no_change, max_fun, dtype,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dtype = dtype

    # ------------------------------------------------------------------ views
    @property
    def coefs_(self):
        """list of ndarray: weight matrix of each layer, ``(fan_in, fan_out)``.

        Views into the flat parameter buffer: writing into them changes the model.
        """
        return self._fitted_net().coefs

    @coefs_.setter
    def coefs_(self, value):
        self._fitted_net().set_layers("coefs", value)

    @property
    def intercepts_(self):
        """list of ndarray: bias vector of each layer, views into the buffer."""
        return self._fitted_net().intercepts

    @intercepts_.setter
    def intercepts_(self, value):
        self._fitted_net().set_layers("intercepts", value)

    def _fitted_net(self):
        try:
            return self.__dict__["_net"]
        except KeyError:
            raise AttributeError(
                f"This {type(self).__name__} instance is not fitted yet."
            ) from None

    # --------------------------------------------------------------- fitting
    def _compute_dtype(self, first_pass):
        if not first_pass and "_net" in self.__dict__:
            return self._net.dtype
        return np.dtype(self.dtype)

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if np.any(np.array(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _transaction(self, fit_call):
        """Run ``fit_call``; on any error restore the estimator exactly as it was."""
        saved = {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}
        net = self.__dict__.get("_net")
        saved_params = None if net is None else net.params.copy()
        trainer = self.__dict__.get("_trainer")
        saved_opt = None if trainer is None else (trainer.state.copy(), trainer.step,
                                                   trainer.hyper.copy())
        try:
            return fit_call()
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if net is not None:
                net.params[:] = saved_params
            if trainer is not None:
                trainer.state[...], trainer.step, trainer.hyper[...] = saved_opt
            raise

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._hidden_sizes()
        first_pass = "_net" not in self.__dict__ or (not self.warm_start and not incremental)
        dtype = self._compute_dtype(first_pass)
        X, Y = self._validate_input(X, y, incremental, reset=first_pass, dtype=dtype)
        sw = _check_sample_weight(sample_weight, X, dtype=dtype)
        n_features = X.shape[1]
        layer_units = [n_features, *hidden, Y.shape[1]]
        if not first_pass and self._net.layer_units != layer_units:
            raise ValueError(
                f"The network was fitted with layer sizes {self._net.layer_units}, but this "
                f"call implies {layer_units}. Use warm_start=False (or a new estimator) "
                "to change hidden_layer_sizes, the number of features or outputs."
            )
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, dtype)
        data = TrainData.build(X, Y, sw)
        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(data, incremental)
        else:
            self._fit_lbfgs(data)
        if not np.isfinite(self._net.params).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _initialize(self, layer_units, dtype):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        self._net = Network(layer_units, self.activation, self.out_activation_, dtype)
        self._net.init_uniform(self._random_state)
        self.__dict__.pop("_trainer", None)
        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _fit_lbfgs(self, data):
        iprint = 1 if (self.verbose is True or self.verbose >= 1) else -1
        result = fit_lbfgs(
            self._net, data, self.alpha, self.max_iter, self.max_fun, self.tol,
            _get_additional_lbfgs_options_dict("iprint", iprint),
        )
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = float(result.fun)

    def _make_trainer(self):
        return MinibatchTrainer(
            self._net,
            self.solver,
            dict(
                learning_rate=self.learning_rate_init,
                momentum=self.momentum,
                nesterov=float(self.nesterovs_momentum),
                beta_1=self.beta_1,
                beta_2=self.beta_2,
                epsilon=self.epsilon,
            ),
        )

    def _split_validation(self, data):
        """Row indices of the training and validation parts (scikit-learn's split)."""
        n = data.n_samples
        stratify = data.Y if (is_classifier(self) and self.n_outputs_ == 1) else None
        train_idx, val_idx = train_test_split(
            np.arange(n),
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        if val_idx.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train_idx.astype(np.int64), val_idx

    def _fit_stochastic(self, data, incremental):
        if not incremental or "_trainer" not in self.__dict__:
            self._trainer = self._make_trainer()
        trainer = self._trainer
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            train_idx, val_idx = self._split_validation(data)
            X_val = self._take_rows(data, val_idx)
            y_val = self._decode_targets(data.Y[val_idx])
            sw_val = data.sw[val_idx]
            if (sw_val == 1).all():
                sw_val = None
            self._best_params = self._net.params.copy()
        else:
            train_idx = np.arange(data.n_samples, dtype=np.int64)
            X_val = y_val = sw_val = None
        n_samples = train_idx.shape[0]
        gather = bool(self.shuffle or early_stopping)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        sample_idx = np.arange(n_samples, dtype=np.int64)
        try:
            for _ in range(self.max_iter):
                if self.shuffle:
                    sample_idx = shuffle(sample_idx, random_state=self._random_state)
                order = np.ascontiguousarray(train_idx[sample_idx], dtype=np.int64)
                loss = trainer.run_epoch(data, order, gather, batch_size, self.alpha)
                if not np.isfinite(loss):
                    raise ValueError(
                        "Training diverged: the loss became non-finite in epoch "
                        f"{self.n_iter_ + 1}. Likely causes: a learning rate that is too "
                        "high, unscaled input features, or very large target values. "
                        "Scale the inputs (e.g. StandardScaler) or lower learning_rate_init."
                    )
                self.n_iter_ += 1
                self.loss_ = float(loss)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                self._update_no_improvement_count(early_stopping, X_val, y_val, sw_val)
                self._iteration_ends()
                if self._no_improvement_count > self.n_iter_no_change:
                    if early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                        )
                    if self._trigger_stopping(msg):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet." % self.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        if early_stopping:
            self._net.params[:] = self._best_params

    def _iteration_ends(self):
        """Per-epoch learning-rate schedule (scikit-learn's, for ``sgd``)."""
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._trainer.learning_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t

    def _trigger_stopping(self, msg):
        """Whether to stop after no improvement; 'adaptive' sgd divides the rate by 5."""
        trainer = self._trainer
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            if self.verbose:
                print(msg + " Stopping.")
            return True
        if trainer.learning_rate <= 1e-6:
            if self.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        trainer.learning_rate /= 5.0
        if self.verbose:
            print(msg + " Setting learning rate to %f" % trainer.learning_rate)
        return False

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sw_val):
        if early_stopping:
            val_score = self._score_on(X_val, y_val, sw_val)
            self.validation_scores_.append(val_score)
            if self.verbose:
                print("Validation score: %f" % self.validation_scores_[-1])
            last = self.validation_scores_[-1]
            if last < (self.best_validation_score_ + self.tol):
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if last > self.best_validation_score_:
                self.best_validation_score_ = last
                self._best_params[:] = self._net.params
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    @staticmethod
    def _take_rows(data, idx):
        if data.sparse:
            indptr = data.indptr
            X = sp.csr_matrix((data.data, data.indices, indptr),
                              shape=(indptr.shape[0] - 1, data.n_features))
            return X[idx]
        return data.X[idx]

    def _score_on(self, X, y, sample_weight):
        y_pred = self._predict_validated(X)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    # -------------------------------------------------------------- inference
    def _forward(self, X):
        """Validated ``X`` -> output activations, through the compiled path."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], reset=False, dtype=self._net.dtype,
            order="C",
        )
        return self._net.forward(X)

    @abstractmethod
    def _output_activation(self):
        """Name of the output activation for the current targets."""

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, dtype):
        """Validate ``X`` and encode ``y`` as a 2-D float array of ``dtype``."""

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. Any real dtype; converted once to the compute ``dtype``.
            Sparse CSR/CSC input is multiplied without densifying it.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights. Losses and gradients are weighted averages:
            ``sum_i w_i l_i / sum_i w_i`` per batch.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        return self._transaction(lambda: self._fit(X, y, sample_weight, incremental=False))

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                " optimizers. %s is not stochastic." % self.solver
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
