"""Shared estimator machinery of :class:`DNNClassifier` and :class:`DNNRegressor`.

The estimator holds no math: it validates, decides between a fresh start and a
warm start, builds a :class:`~fastnn._network.Network`, and hands the work to
:mod:`fastnn._solvers`, entering compiled code once per epoch. Between epochs it
keeps scikit-learn's bookkeeping (loss curve, early stopping, schedules) and
fastnn's (history, callbacks, divergence).
"""
import os
import time
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._kernels.activations import ACTIVATION_CODES, RRELU
from ._kernels.optimizers import OPTIMIZER_CODES
from ._network import HEAD_OUTPUT_STD, WEIGHT_INITS, Network
from ._progress import EpochReporter
from ._schedules import ADAPTIVE_MIN_LR, SCHEDULES, scheduled_learning_rate
from ._solvers import MinibatchTrainer, Regularization, TrainData, fit_lbfgs, output_loss
from ._threads import limit_threads, minibatch_threads
from .exceptions import DivergenceError

_STOCHASTIC_SOLVERS = tuple(OPTIMIZER_CODES)
HISTORY_KEYS = ("loss", "val_loss", "val_score", "learning_rate", "epoch_time")
#: Rows of the training data whose copied features scale a fresh output layer.
HEAD_INIT_ROWS = 2048
#: An epoch loss this many times the reference (the smaller of the loss at
#: initialisation and the best epoch loss, at least 1) counts as exploding.
EXPLODING_FACTOR = 1e4
_DIVERGENCE_HINT = (
    "Likely causes: a learning rate that is too high (lower learning_rate_init), "
    "unscaled input features or targets (use StandardScaler), or missing gradient "
    "clipping (set clip_norm or clip_value). The estimator keeps the weights of the last "
    "epoch that ended with a finite loss."
)

try:  # scikit-learn's version-dependent spelling of L-BFGS-B's verbosity option
    from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
except ImportError:  # pragma: no cover
    def _get_additional_lbfgs_options_dict(key, value):
        return {}


class _Validation:
    """A validation set: rows for the network, labels for the score."""

    def __init__(self, X, Y, y, sw):
        self.X, self.Y, self.y = X, Y, y
        self.sw = sw
        self.score_sw = None if sw is None or np.all(sw == 1) else sw


def _final_network(loaded, path):
    """The fitted network of a loaded model file: an estimator's, or that of the
    fastnn estimator at the end of a saved pipeline."""
    model = loaded
    while True:
        if isinstance(model, BaseDNN):
            return model._fitted_net()
        if hasattr(model, "steps"):  # a Pipeline: its last step
            model = model.steps[-1][1]
        elif hasattr(model, "regressor_"):  # TransformedTargetRegressor
            model = model.regressor_
        else:
            raise ValueError(f"init_from={str(path)!r} holds a {type(loaded).__name__} "
                             "without a fitted fastnn network at its end.")


class BaseDNN(BaseEstimator, ABC):
    """Base class for fastnn's dense networks. Use a subclass."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATION_CODES))],
        "solver": [StrOptions({"lbfgs", *_STOCHASTIC_SOLVERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(SCHEDULES))],
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
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "batch_norm": ["boolean"],
        "batch_norm_momentum": [Interval(Real, 0, 1, closed="right")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "l1": [Interval(Real, 0, None, closed="left")],
        "max_norm": [None, Interval(Real, 0, None, closed="neither")],
        "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
        "clip_value": [None, Interval(Real, 0, None, closed="neither")],
        "input_noise": [Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr_decay": [None, Interval(Real, 0, 1, closed="right")],
        "lr_step_epochs": [Interval(Integral, 1, None, closed="left")],
        "callbacks": [None, list, tuple],
        "init_from": "no_validation",  # None, a fitted fastnn estimator or a saved file
        "freeze_layers": [None, Interval(Integral, 0, None, closed="left"), tuple, list],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    @abstractmethod
    def __init__(
        self, hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
        learning_rate_init, power_t, max_iter, loss, shuffle, random_state, tol, verbose,
        warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction,
        beta_1, beta_2, epsilon, n_iter_no_change, max_fun, weight_init, batch_norm,
        batch_norm_momentum, dropout, l1, max_norm, clip_norm, clip_value, input_noise,
        rho, weight_decay, lr_decay, lr_step_epochs, callbacks, init_from, freeze_layers,
        n_threads, dtype,
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
        self.weight_init = weight_init
        self.batch_norm = batch_norm
        self.batch_norm_momentum = batch_norm_momentum
        self.dropout = dropout
        self.l1 = l1
        self.max_norm = max_norm
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.input_noise = input_noise
        self.rho = rho
        self.weight_decay = weight_decay
        self.lr_decay = lr_decay
        self.lr_step_epochs = lr_step_epochs
        self.callbacks = callbacks
        self.init_from = init_from
        self.freeze_layers = freeze_layers
        self.n_threads = n_threads
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

    # ------------------------------------------------------------ validation
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

    def _regularization(self, n_hidden):
        """Validated per-layer dropout and the other regularisation settings."""
        rates = self.dropout
        if np.ndim(rates) == 0:
            rates = [float(rates)] * n_hidden
        rates = [float(r) for r in rates]
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout has {len(rates)} rates but the network has {n_hidden} hidden "
                "layers: pass one float for all of them or one rate per hidden layer."
            )
        if any(not 0.0 <= r < 1.0 for r in rates):
            raise ValueError(f"dropout rates must be in [0, 1), got {rates}.")
        return Regularization(
            dropout=tuple(rates), frozen=self._frozen_layers(n_hidden),
            alpha=self.alpha, l1=self.l1,
            max_norm=self.max_norm or 0.0, clip_norm=self.clip_norm or 0.0,
            clip_value=self.clip_value or 0.0, input_noise=self.input_noise,
            batch_norm_momentum=self.batch_norm_momentum,
        )

    def _frozen_layers(self, n_hidden):
        """``freeze_layers`` as a sorted tuple of hidden-layer indices (validated)."""
        spec = self.freeze_layers
        if spec is None:
            return ()
        if isinstance(spec, Integral):
            if spec > n_hidden:
                raise ValueError(
                    f"freeze_layers={spec} freezes more hidden layers than the network has "
                    f"({n_hidden}); use at most {n_hidden} (all hidden layers: only the "
                    "output layer trains)."
                )
            return tuple(range(spec))
        indices = []
        for item in spec:
            if isinstance(item, bool) or not isinstance(item, Integral):
                raise ValueError(
                    f"freeze_layers must be an int or a tuple of hidden-layer indices, got "
                    f"{spec!r}."
                )
            if not -n_hidden <= item < n_hidden:
                raise ValueError(
                    f"freeze_layers index {item} is not a hidden layer: this network has "
                    f"{n_hidden} hidden layers (valid indices {-n_hidden} to {n_hidden - 1}); "
                    "the output layer always trains."
                )
            indices.append(int(item) % n_hidden)
        return tuple(sorted(set(indices)))

    def _transaction(self, fit_call):
        """Run ``fit_call``; on an error restore the estimator exactly as it was.

        A :class:`~fastnn.exceptions.DivergenceError` is the exception: the model
        keeps the last finite weights it reached, as documented there.
        """
        saved = {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}
        history = self.__dict__.get("history_")
        saved_history = None if history is None else {k: list(v) for k, v in history.items()}
        net = self.__dict__.get("_net")
        saved_net = None if net is None else (net.params.copy(), net.buffers.copy())
        trainer = self.__dict__.get("_trainer")
        saved_opt = None if trainer is None else (dict(trainer.__dict__), trainer.state.copy(),
                                                   trainer.hyper.copy())
        try:
            return fit_call()
        except DivergenceError:
            raise
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if history is not None:
                history.clear()
                history.update(saved_history)
            if net is not None:
                net.params[:], net.buffers[:] = saved_net
            if trainer is not None:
                attributes, opt_state, hyper = saved_opt
                trainer.__dict__.clear()
                trainer.__dict__.update(attributes)
                trainer.state[...], trainer.hyper[...] = opt_state, hyper
            raise

    # --------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight=None, incremental=False, X_val=None, y_val=None):
        with limit_threads(self.n_threads):
            return self._fit_within_limits(X, y, sample_weight, incremental, X_val, y_val)

    def _fit_within_limits(self, X, y, sample_weight, incremental, X_val, y_val):
        hidden = self._hidden_sizes()
        reg = self._regularization(len(hidden))
        first_pass = "_net" not in self.__dict__ or (not self.warm_start and not incremental)
        dtype = self._compute_dtype(first_pass)
        X, Y, y = self._validate_input(X, y, incremental, reset=first_pass, dtype=dtype)
        sw = _check_sample_weight(sample_weight, X, dtype=dtype)
        sw = self._weight_samples(y, sw, incremental)
        if sp.issparse(X) and self.input_noise > 0:
            raise ValueError(
                "input_noise needs dense input: noise added to a sparse matrix would fill "
                "it in. Densify X (X.toarray()) or set input_noise=0."
            )
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        if not first_pass:
            wanted = (layer_units, self.activation, self._output_activation(), self.batch_norm)
            if self._net.config() != wanted:
                raise ValueError(
                    f"The fitted network {self._net.config()} (layer sizes, activation, "
                    f"output, batch_norm) does not match this call's {wanted}. Use "
                    "warm_start=False (or a new estimator) to change the architecture, "
                    "the number of features or outputs."
                )
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, dtype, X, Y, sw)
        val = None
        if X_val is not None:
            Xv, Yv, yv = self._validate_input(X_val, y_val, True, reset=False, dtype=dtype)
            val = _Validation(Xv, Yv, yv, None)
        data = TrainData.build(X, Y, sw)
        if self.solver in _STOCHASTIC_SOLVERS:
            batch = self._batch_size(data.n_samples, warn=False)
            with minibatch_threads(self.n_threads, layer_units, batch):
                self._fit_stochastic(data, incremental, reg, val)
        else:
            self._fit_lbfgs(data, reg, val)
        if not (np.isfinite(self._net.params).all() and np.isfinite(self._net.buffers).all()):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _weight_samples(self, y, sample_weight, incremental):
        """Hook for class weights (classifier); returns the sample weights to use."""
        return sample_weight

    def _initialize(self, layer_units, dtype, X, Y, sw):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        self._net = Network(layer_units, self.activation, self.out_activation_, dtype,
                            batch_norm=self.batch_norm)
        # the prior output bias helps minibatch training learn the offset; L-BFGS
        # fits it in its first steps, and started there it did worse on diabetes
        prior = (Y, sw) if self.solver in _STOCHASTIC_SOLVERS else (None, None)
        self._net.initialize(self.weight_init, self._random_state, *prior,
                             solver=self.solver)
        if self.init_from is not None:
            self._copy_from_source(X)
        self.__dict__.pop("_trainer", None)
        self.history_ = {key: [] for key in HISTORY_KEYS}
        self.validation_loss_curve_ = []
        self._initial_loss = None
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

    def _source_network(self):
        """The network ``init_from`` points to (a fitted estimator or a saved file)."""
        source = self.init_from
        if isinstance(source, BaseDNN):
            if "_net" not in source.__dict__:
                raise ValueError(
                    "init_from is an unfitted estimator. Pass a fitted fastnn estimator or "
                    "the path of a saved model (est.save(path)); inside GridSearchCV, which "
                    "clones estimator-valued parameters into unfitted copies, use a path."
                )
            return source._net
        if isinstance(source, (str, os.PathLike)):
            from ._persistence import load

            return _final_network(load(source), source)
        raise ValueError(
            f"init_from must be None, a fitted fastnn estimator or the path of a saved "
            f"model, got {type(source).__name__}."
        )

    def _copy_from_source(self, X):
        source = self._source_network()
        if source.layer_units[0] != self._net.layer_units[0]:
            raise ValueError(
                f"init_from has {source.layer_units[0]} input features but X has "
                f"{self._net.layer_units[0]}: transfer needs the same inputs."
            )
        copied = self._net.copy_hidden_layers_from(source)
        shapes = [tuple(int(v) for v in self._net.coefs[l].shape) for l in copied]
        head = "the other layers, including the output layer, start from weight_init"
        if self.weight_init == "auto" and len(copied) == self._net.n_layers - 1:
            self._net.init_head_on_features(X[:HEAD_INIT_ROWS], self._random_state)
            head = (f"the output layer starts small on the copied features (initial outputs "
                    f"with standard deviation {HEAD_OUTPUT_STD})")
        warnings.warn(
            f"init_from: copied hidden layers {copied} (weight shapes {shapes}) from the "
            f"source network {source.layer_units}; {head}.",
            UserWarning,
        )

    def _fit_lbfgs(self, data, reg, val):
        iprint = 1 if (self.verbose is True or self.verbose >= 1) else -1
        start = time.perf_counter()
        result = fit_lbfgs(
            self._net, data, reg, self.max_iter, self.max_fun, self.tol,
            _get_additional_lbfgs_options_dict("iprint", iprint),
        )
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = float(result.fun)
        info = self._epoch_info(self.loss_, val, self.learning_rate_init,
                                time.perf_counter() - start)
        self._record(info)

    def _make_trainer(self, reg):
        return MinibatchTrainer(
            self._net,
            self.solver,
            dict(
                learning_rate=self.learning_rate_init, momentum=self.momentum,
                nesterov=float(self.nesterovs_momentum), beta_1=self.beta_1,
                beta_2=self.beta_2, epsilon=self.epsilon, rho=self.rho,
                weight_decay=self.weight_decay if self.solver == "adamw" else 0.0,
            ),
            reg,
        )

    def _stratify_labels(self, data):
        """Labels to stratify the validation split by (None: a plain random split)."""
        return None

    def _split_validation(self, data):
        """Row indices of the training and validation parts (stratified for
        binary and multiclass targets)."""
        n = data.n_samples
        stratify = self._stratify_labels(data)
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

    def _needs_random_stream(self, reg):
        return any(r > 0 for r in reg.dropout) or reg.input_noise > 0 or (
            ACTIVATION_CODES[self.activation] == RRELU)

    def _batch_size(self, n_samples, warn=True):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if warn and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _fit_stochastic(self, data, incremental, reg, val):
        if not incremental or "_trainer" not in self.__dict__:
            self._trainer = self._make_trainer(reg)
        else:
            self._trainer.refreeze(reg)
        trainer = self._trainer
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        # warm_start may switch early stopping on or off after the first fit
        if early_stopping and self.__dict__.get("best_validation_score_") is None:
            self.validation_scores_ = list(self.__dict__.get("validation_scores_") or [])
            self.best_validation_score_ = -np.inf
        if not early_stopping and self.__dict__.get("best_loss_") is None:
            self.best_loss_ = np.inf
        train_idx = np.arange(data.n_samples, dtype=np.int64)
        if early_stopping and val is None:
            train_idx, val_idx = self._split_validation(data)
            val = _Validation(self._take_rows(data, val_idx), data.Y[val_idx],
                              self._decode_targets(data.Y[val_idx]), data.sw[val_idx])
        if early_stopping:
            self._best_state = (self._net.params.copy(), self._net.buffers.copy())
        n_samples = train_idx.shape[0]
        gather = bool(self.shuffle or train_idx.shape[0] < data.n_samples or reg.input_noise > 0)
        batch_size = self._batch_size(n_samples)
        random_stream = self._needs_random_stream(reg)
        sample_idx = np.arange(n_samples, dtype=np.int64)
        reporter = EpochReporter(self.verbose, 1 if incremental else self.max_iter)
        hit_max_iter = False
        # n_iter_ counts the epochs of this call, as in scikit-learn >= 1.3 (a warm
        # start trains max_iter more epochs; partial_fit leaves 1); t_, loss_curve_
        # and history_ keep counting across calls, and schedules use their totals.
        self.n_iter_ = 0
        try:
            for _ in range(self.max_iter):
                if self.shuffle:
                    sample_idx = shuffle(sample_idx, random_state=self._random_state)
                order = np.ascontiguousarray(train_idx[sample_idx], dtype=np.int64)
                seed = self._random_state.randint(2**31 - 1) if random_stream else 0
                lr = trainer.learning_rate
                start_state = (self._net.params.copy(), self._net.buffers.copy())
                start = time.perf_counter()
                loss, first_loss = trainer.run_epoch(data, order, gather, batch_size, seed)
                elapsed = time.perf_counter() - start
                if self._initial_loss is None:
                    self._initial_loss = float(first_loss)
                self._check_divergence(loss, start_state)
                self.n_iter_ += 1
                self.loss_ = float(loss)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                info = self._epoch_info(self.loss_, val, lr, elapsed)
                self._record(info)
                reporter.epoch(info)
                self._update_no_improvement_count(early_stopping, info)
                trainer.learning_rate = scheduled_learning_rate(
                    self.learning_rate, self.learning_rate_init, trainer.learning_rate,
                    epochs=len(self.loss_curve_), t=self.t_, power_t=self.power_t,
                    lr_decay=self.lr_decay, lr_step_epochs=self.lr_step_epochs,
                    max_iter=self.max_iter,
                )
                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if early_stopping else "Training loss"
                    msg = (f"{what} did not improve more than tol={self.tol:f} for "
                           f"{self.n_iter_no_change} consecutive epochs.")
                    if self._trigger_stopping(msg, reporter):
                        break
                    self._no_improvement_count = 0
                if self._run_callbacks(info):
                    reporter.message("A callback asked to stop training.")
                    break
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    hit_max_iter = True
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        finally:
            reporter.close()
        if hit_max_iter:  # after the progress bar is closed, so it does not cut into it
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) "
                "reached and the optimization hasn't converged yet." % self.max_iter,
                ConvergenceWarning,
            )
        if early_stopping:
            self._net.params[:], self._net.buffers[:] = self._best_state

    def _check_divergence(self, loss, start_state):
        """Raise :class:`DivergenceError` for a non-finite or exploding loss, after
        restoring the weights the epoch started from (the last ones whose epoch
        ended with a finite loss)."""
        net = self._net
        best = min(self.loss_curve_, default=np.inf)
        reference = min(best, self._initial_loss)
        exploding = np.isfinite(reference) and loss > EXPLODING_FACTOR * max(reference, 1.0)
        if np.isfinite(loss) and not exploding:
            return
        net.params[:], net.buffers[:] = start_state
        what = "became non-finite" if not np.isfinite(loss) else (
            f"exploded to {loss:.3g} (from {reference:.3g})")
        raise DivergenceError(
            f"Training diverged: the loss {what} in epoch {self.n_iter_ + 1}. "
            + _DIVERGENCE_HINT
        )

    def _epoch_info(self, loss, val, lr, elapsed):
        info = {"epoch": self.n_iter_, "loss": loss, "val_loss": None, "val_score": None,
                "learning_rate": lr, "epoch_time": elapsed}
        if val is not None:
            out = self._net.forward(val.X)
            info["val_loss"] = output_loss(self._net, out, val.Y, val.sw)
            info["val_score"] = self._score_outputs(out, val.y, val.score_sw)
        return info

    def _record(self, info):
        for key in HISTORY_KEYS:
            self.history_[key].append(info[key])
        if info["val_loss"] is not None:
            self.validation_loss_curve_.append(info["val_loss"])
            if getattr(self, "validation_scores_", None) is None:
                self.validation_scores_ = []
            self.validation_scores_.append(info["val_score"])

    def _run_callbacks(self, info):
        stop = False
        for callback in self.callbacks or ():
            stop = bool(callback(self, dict(info))) or stop
        return stop

    def _trigger_stopping(self, msg, reporter):
        """Whether to stop after no improvement; 'adaptive' divides the rate by 5."""
        trainer = self._trainer
        if self.learning_rate != "adaptive":
            reporter.message(msg + " Stopping.")
            return True
        if trainer.learning_rate <= ADAPTIVE_MIN_LR:
            reporter.message(msg + " Learning rate too small. Stopping.")
            return True
        trainer.learning_rate /= 5.0
        reporter.message(msg + " Setting learning rate to %f" % trainer.learning_rate)
        return False

    def _update_no_improvement_count(self, early_stopping, info):
        if early_stopping:
            last = info["val_score"]
            if last < (self.best_validation_score_ + self.tol):
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if last > self.best_validation_score_:
                self.best_validation_score_ = last
                self._best_state[0][:] = self._net.params
                self._best_state[1][:] = self._net.buffers
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

    def _score_outputs(self, out, y, sample_weight):
        y_pred = self._decode_outputs(out)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return float(self._score_function(y, y_pred, sample_weight=sample_weight))

    # -------------------------------------------------------------- inference
    def _forward(self, X):
        """Validated ``X`` -> output activations, through the compiled path."""
        if self.n_threads is None:  # the common case: no context to enter
            return self._forward_within_limits(X)
        with limit_threads(self.n_threads):
            return self._forward_within_limits(X)

    def _forward_within_limits(self, X):
        net = self.__dict__.get("_net")
        fast = self._fast_input(X, net)
        if fast is not None:
            return net.forward(fast)
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], reset=False, dtype=self._net.dtype,
            order="C",
        )
        return self._net.forward(X)

    def _fast_input(self, X, net):
        """``X`` converted to the compute dtype when it is a small, plain, finite
        2-D NumPy array of the fitted width, fitted without feature names: then
        scikit-learn's checks would pass and change nothing, and skipping them
        makes single-row prediction fast. Anything else returns None and takes
        the full validation path (with its errors and warnings)."""
        if (
            net is None
            or type(X) is not np.ndarray
            or X.ndim != 2
            or X.shape[0] > 64
            or X.shape[0] == 0
            or X.dtype.kind not in "fiu"
            or X.shape[1] != self.n_features_in_
            or "feature_names_in_" in self.__dict__
        ):
            return None
        X = np.ascontiguousarray(X, dtype=net.dtype)
        if X.dtype.kind == "f" and not np.isfinite(X).all():
            return None
        return X

    @abstractmethod
    def _output_activation(self):
        """Name of the output activation for the current targets."""

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset, dtype):
        """Validate ``X`` and ``y``: returns ``(X, Y, y)``, ``Y`` the targets encoded
        as a 2-D float array of ``dtype`` and ``y`` the validated original targets."""

    @abstractmethod
    def _decode_outputs(self, out):
        """Network outputs -> predictions (labels or values)."""

    def _decode_targets(self, Y):
        return self._decode_outputs(Y)

    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
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
        X_val, y_val : array-like, default=None
            An explicit validation set. Its loss and score are recorded each epoch
            (``history_``, ``validation_loss_curve_``), and with
            ``early_stopping=True`` it replaces the ``validation_fraction`` split.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        return self._transaction(
            lambda: self._fit(X, y, sample_weight, incremental=False, X_val=X_val, y_val=y_val)
        )

    def save(self, path):
        """Save the fitted model in fastnn's safe native format (no pickle inside).

        Parameters
        ----------
        path : str or path-like
            Destination file. Read it back with :func:`fastnn.load`.
        """
        from ._persistence import save

        save(self, path)

    def summary(self, print_summary=False):
        """Layers, output shapes, activations and parameter counts.

        Parameters
        ----------
        print_summary : bool, default=False
            Also print the table.

        Returns
        -------
        ModelSummary
            ``rows`` (one dict per layer), ``total_params``, ``trainable_params``;
            ``str()`` renders the table.
        """
        from ._summary import ModelSummary

        net = self._fitted_net()
        frozen = self._frozen_layers(net.n_layers - 1)
        rows = [dict(row, trainable=row["index"] not in frozen) for row in net.summary_rows()]
        table = ModelSummary(rows, net.layer_units[0])
        if print_summary:
            print(table)
        return table

    def hidden_activations(self, X, layer=-1):
        """Activations of a hidden layer (after its batch norm and activation),
        computed by the compiled inference path: embeddings for reuse.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        layer : int, default=-1
            Hidden layer index, 0-based; negative values count from the last
            hidden layer.

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes[layer])
        """
        net = self._fitted_net()
        n_hidden = net.n_layers - 1
        if n_hidden == 0 or not -n_hidden <= layer < n_hidden:
            raise ValueError(
                f"layer={layer} is not a hidden layer index: this network has {n_hidden} "
                f"hidden layers (valid indices {-n_hidden} to {n_hidden - 1})."
            )
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=net.dtype, order="C")
        with limit_threads(self.n_threads):
            return net.forward(X, hidden_layer=layer % n_hidden)

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
