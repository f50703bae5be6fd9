"""Shared estimator machinery of :class:`DNNClassifier` and :class:`DNNRegressor`.

The estimator holds no math and runs no training loop: it validates input and
parameters, decides between a fresh start and a warm start, builds the network
plan (:class:`~fastnn.nn.plan.Network`), and hands the data to the training
layer (:mod:`fastnn.training`), publishing its :class:`~fastnn.training.loop.Progress`
as scikit-learn's fitted attributes after every epoch.
"""
import os
import time
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..exceptions import DivergenceError
from ..io.format import final_network, write_file
from ..nn.activations import ACTIVATION_CODES
from ..nn.init import HEAD_OUTPUT_STD, WEIGHT_INITS
from ..nn.optimizers import OPTIMIZERS
from ..nn.plan import Network
from ..nn.summary import ModelSummary
from ..training.data import TrainData
from ..training.lbfgs import fit_lbfgs
from ..training.loop import LoopSettings, Progress, train_stochastic
from ..training.minibatch import MinibatchTrainer, TrainingSettings
from ..training.evaluation import output_loss
from ..training.schedules import SCHEDULES
from ..training.threads import limit_threads, minibatch_threads
from .state import estimator_state

_STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)
#: Parameters added after fastnn 0.1, with their defaults (for its pickles).
_PARAMETERS_SINCE_0_1 = {"layer_norm": False}
#: Progress fields that only stochastic solvers publish.
_PER_EPOCH = {"loss_curve", "best_loss", "validation_scores", "best_validation_score",
              "no_improvement_count"}
#: Rows of the training data whose copied features scale a fresh output layer.
HEAD_INIT_ROWS = 2048

try:  # scikit-learn's version-dependent spelling of L-BFGS-B's verbosity option
    from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
except ImportError:  # pragma: no cover
    def _get_additional_lbfgs_options_dict(key, value):
        return {}


def _layer_index(layer, n, kind):
    """``layer`` as an index in ``range(n)`` (negative values count from the end),
    or a ValueError naming the ``kind`` of layer ("dense", "hidden") and the valid
    indices."""
    if isinstance(layer, bool) or not isinstance(layer, Integral) or not -n <= layer < n:
        raise ValueError(
            f"layer={layer!r} is not a {kind} layer index: this network has {n} "
            f"{kind} layers (valid indices {-n} to {n - 1})."
        )
    return int(layer) % n


class _Validation:
    """A validation set: rows for the network, labels for the score."""

    def __init__(self, X, Y, y, sw):
        self.X, self.Y, self.y = X, Y, y
        self.sw = sw
        self.score_sw = None if sw is None or np.all(sw == 1) else sw


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
        "layer_norm": ["boolean"],
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
        batch_norm_momentum, layer_norm, dropout, l1, max_norm, clip_norm, clip_value,
        input_noise,
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
        self.layer_norm = layer_norm
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

    def __setstate__(self, state):
        super().__setstate__(state)
        for name, default in _PARAMETERS_SINCE_0_1.items():  # pickles of fastnn 0.1
            self.__dict__.setdefault(name, default)

    # ------------------------------------------------------------------ views
    @property
    def coefs_(self):
        """List of ndarray: weight matrix of each layer, ``(fan_in, fan_out)``.

        Views into the flat parameter buffer: writing into them changes the model.
        """
        return self._fitted_net().coefs

    @coefs_.setter
    def coefs_(self, value):
        self._fitted_net().set_layers("coefs", value)

    @property
    def intercepts_(self):
        """List of ndarray: bias vector of each layer, ``(fan_out,)``.

        Views into the same flat parameter buffer as ``coefs_``.
        """
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
        """Validated per-layer dropout and the other training settings."""
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
        return TrainingSettings(
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

    # ------------------------------------------------------------ training state
    def _progress_state(self):
        """The :class:`~fastnn.training.loop.Progress` of this model (rebuilt from
        the fitted attributes for a model pickled before it existed)."""
        progress = self.__dict__.get("_progress")
        if progress is None:
            progress = Progress()
            for name, attr in Progress.ATTRIBUTES.items():
                if attr in self.__dict__:
                    setattr(progress, name, self.__dict__[attr])
            self._progress = progress
        return progress

    def _publish(self):
        """Copy the progress to scikit-learn's fitted attributes (``n_iter_``, ...);
        L-BFGS has none of the per-epoch ones, as in scikit-learn."""
        progress = self._progress
        for name, attr in Progress.ATTRIBUTES.items():
            if self.solver in _STOCHASTIC_SOLVERS or name not in _PER_EPOCH:
                setattr(self, attr, getattr(progress, name))

    def state_dict(self):
        """Return everything a failed call must restore.

        Used by ``fit`` and ``partial_fit`` to leave a fitted model exactly as it
        was when they raise.

        Returns
        -------
        dict
            ``attributes`` (copies of the estimator's attributes), and the
            ``net``, ``trainer`` and ``progress`` states (None when absent).
        """
        state = {"attributes": {k: (list(v) if isinstance(v, list) else v)
                                for k, v in self.__dict__.items()}}
        net = self.__dict__.get("_net")
        trainer = self.__dict__.get("_trainer")
        progress = self.__dict__.get("_progress")
        state["net"] = None if net is None else net.state_dict()
        state["trainer"] = None if trainer is None else trainer.state_dict()
        state["progress"] = None if progress is None else progress.state_dict()
        return state

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict`: the same objects, with their old state.

        Parameters
        ----------
        state : dict
            What :meth:`state_dict` returned.
        """
        self.__dict__.clear()
        self.__dict__.update(state["attributes"])
        for key in ("net", "trainer", "progress"):
            if state[key] is not None:
                self.__dict__[f"_{key}"].load_state_dict(state[key])
        if state["progress"] is not None:
            self._publish()

    def _transaction(self, fit_call):
        """Run ``fit_call``; on an error restore the estimator exactly as it was.

        A :class:`~fastnn.exceptions.DivergenceError` is the exception: the model
        keeps the last finite weights it reached, as documented there.
        """
        saved = self.state_dict()
        try:
            return fit_call()
        except DivergenceError:
            raise
        except BaseException:
            self.load_state_dict(saved)
            raise

    # --------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight=None, incremental=False, X_val=None, y_val=None):
        with limit_threads(self.n_threads):
            return self._fit_within_limits(X, y, sample_weight, incremental, X_val, y_val)

    def _fit_within_limits(self, X, y, sample_weight, incremental, X_val, y_val):
        hidden = self._hidden_sizes()
        settings = self._regularization(len(hidden))
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
            wanted = (layer_units, self.activation, self._output_activation(), self.batch_norm,
                      self.layer_norm)
            if self._net.config() != wanted:
                raise ValueError(
                    f"The fitted network {self._net.config()} (layer sizes, activation, "
                    f"output, batch_norm, layer_norm) does not match this call's {wanted}. "
                    "Use warm_start=False (or a new estimator) to change the architecture, "
                    "the number of features or outputs."
                )
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, dtype, X, Y, sw, settings)
        else:
            self._net.set_dropout(settings.dropout)
        val = None
        if X_val is not None:
            Xv, Yv, yv = self._validate_input(X_val, y_val, True, reset=False, dtype=dtype)
            val = _Validation(Xv, Yv, yv, None)
        data = TrainData.build(X, Y, sw)
        if self.solver in _STOCHASTIC_SOLVERS:
            batch = self._batch_size(data.n_samples, warn=False)
            with minibatch_threads(self.n_threads, layer_units, batch):
                self._fit_stochastic(data, y, incremental, settings, val)
        else:
            self._fit_lbfgs(data, settings, val)
        if not (np.isfinite(self._net.params).all() and np.isfinite(self._net.buffers).all()):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _weight_samples(self, y, sample_weight, incremental):
        """Hook for class weights (classifier); returns the sample weights to use."""
        return sample_weight

    def _initialize(self, layer_units, dtype, X, Y, sw, settings):
        self.n_outputs_ = layer_units[-1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        self._net = Network(layer_units, self.activation, self.out_activation_, dtype,
                            batch_norm=self.batch_norm, layer_norm=self.layer_norm,
                            dropout=settings.dropout)
        # the prior output bias helps minibatch training learn the offset; L-BFGS
        # fits it in its first steps, and started there it did worse on diabetes
        prior = (Y, sw) if self.solver in _STOCHASTIC_SOLVERS else (None, None)
        self._net.initialize(self.weight_init, self._random_state, *prior,
                             solver=self.solver)
        if self.init_from is not None:
            self._copy_from_source(X)
        self.__dict__.pop("_trainer", None)
        self._progress = Progress.fresh(self.early_stopping)
        self._publish()

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
            return final_network(source)
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

    def _fit_lbfgs(self, data, settings, val):
        iprint = 1 if (self.verbose is True or self.verbose >= 1) else -1
        start = time.perf_counter()
        result = fit_lbfgs(
            self._net, data, settings, self.max_iter, self.max_fun, self.tol,
            _get_additional_lbfgs_options_dict("iprint", iprint),
        )
        progress = self._progress_state()
        progress.n_iter = _check_optimize_result("lbfgs", result, self.max_iter)
        progress.loss = float(result.fun)
        val_loss, val_score = self._evaluate(val)
        progress.record({"loss": progress.loss, "val_loss": val_loss, "val_score": val_score,
                         "learning_rate": self.learning_rate_init,
                         "epoch_time": time.perf_counter() - start})
        self._publish()

    def _make_trainer(self, settings):
        return MinibatchTrainer(
            self._net,
            self.solver,
            dict(
                learning_rate=self.learning_rate_init, momentum=self.momentum,
                nesterov=float(self.nesterovs_momentum), beta_1=self.beta_1,
                beta_2=self.beta_2, epsilon=self.epsilon, rho=self.rho,
                weight_decay=self.weight_decay if self.solver == "adamw" else 0.0,
            ),
            settings,
        )

    def _stratify_labels(self, Y):
        """Labels to stratify the validation split by (None: a plain random split)."""
        return None

    def _split_validation(self, data):
        """Row indices of the training and validation parts (stratified for
        binary and multiclass targets)."""
        n = data.n_samples
        stratify = self._stratify_labels(data.Y)
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

    def _batch_size(self, n_samples, warn=True):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if warn and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _fit_stochastic(self, data, y, incremental, settings, val):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not incremental or "_trainer" not in self.__dict__:
            self._trainer = self._make_trainer(settings)
        else:
            self._trainer.update_settings(settings)
        train_idx = np.arange(data.n_samples, dtype=np.int64)
        if self.early_stopping and val is None:
            train_idx, val_idx = self._split_validation(data)
            val = _Validation(data.rows(val_idx), data.Y[val_idx], y[val_idx],
                              data.sw[val_idx])
        loop = LoopSettings(
            max_iter=self.max_iter, shuffle=self.shuffle,
            batch_size=self._batch_size(train_idx.shape[0]),
            early_stopping=self.early_stopping, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, learning_rate=self.learning_rate,
            learning_rate_init=self.learning_rate_init, power_t=self.power_t,
            lr_decay=self.lr_decay, lr_step_epochs=self.lr_step_epochs, verbose=self.verbose,
            random_stream=settings.uses_random_stream(self._net),
        )
        progress = self._progress_state()

        def on_epoch(info):
            self._publish()
            stop = False
            for callback in self.callbacks or ():
                stop = bool(callback(self, dict(info))) or stop
            return stop

        try:
            train_stochastic(self._trainer, progress, data, train_idx, loop,
                             self._random_state, incremental, lambda: self._evaluate(val),
                             on_epoch)
        finally:
            self._publish()

    def _evaluate(self, val):
        """``(val_loss, val_score)`` of the current network, Nones without ``val``."""
        if val is None:
            return None, None
        out = self._net.forward(val.X)
        return (output_loss(self._net, out, val.Y, val.sw),
                self._score_outputs(out, val.y, val.score_sw))


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
        meta, arrays = estimator_state(self)
        write_file(path, meta, arrays)

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
        net = self._fitted_net()
        frozen = self._frozen_layers(net.n_layers - 1)
        rows = [dict(row, trainable=row["index"] not in frozen) for row in net.summary_rows()]
        table = ModelSummary(rows, net.layer_units[0])
        if print_summary:
            print(table)
        return table

    def layer_parameters(self, layer):
        """Copy every parameter and running statistic of one dense layer.

        What another framework needs to rebuild the layer: for example a PyTorch
        ``nn.Linear`` takes ``coef.T`` and ``intercept``, and ``nn.BatchNorm1d``
        takes ``gamma``, ``beta``, ``running_mean`` and ``running_var`` as its
        ``weight``, ``bias`` and running statistics.

        Parameters
        ----------
        layer : int
            Dense layer index, 0-based (the output layer is ``n_layers_ - 2``);
            negative values count from the output layer.

        Returns
        -------
        dict of str to ndarray
            Copies, so writing into them leaves the model as it is:

            - ``coef`` ``(fan_in, fan_out)`` and ``intercept`` ``(fan_out,)``,
              as ``coefs_[layer]`` and ``intercepts_[layer]``;
            - with ``batch_norm``: ``gamma``, ``beta``, ``running_mean``,
              ``running_var``, applied as
              ``gamma (z - running_mean) / sqrt(running_var + 1e-5) + beta`` at
              inference;
            - with ``layer_norm``: ``ln_gamma``, ``ln_beta``;
            - hidden layers: ``slopes``, the fixed negative-side slope of each
              unit (0 for ReLU, 0.01 for leaky ReLU), and with
              ``activation='prelu'`` the learned ``prelu_slopes``.
        """
        net = self._fitted_net()
        layer = _layer_index(layer, net.n_layers, "dense")
        out = {"coef": net.coefs[layer].copy(), "intercept": net.intercepts[layer].copy()}
        out.update({name: np.array(value) for name, value in net.parts(layer).items()})
        return out

    def hidden_activations(self, X, layer=-1):
        """Compute the activations of a hidden layer: embeddings for reuse.

        The layer's output after its batch norm and activation, computed by the
        compiled inference path (dropout is the identity there).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        layer : int, default=-1
            Hidden layer index, 0-based; negative values count from the last
            hidden layer.

        Returns
        -------
        ndarray of shape (n_samples, hidden_layer_sizes[layer])
            The layer's activations, in the compute ``dtype``.
        """
        net = self._fitted_net()
        layer = _layer_index(layer, net.n_layers - 1, "hidden")
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                          dtype=net.dtype, order="C")
        with limit_threads(self.n_threads):
            return net.forward(X, hidden_layer=layer)

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
