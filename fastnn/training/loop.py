"""The epoch loop of the stochastic solvers, and what training keeps between calls.

:func:`train_stochastic` runs up to ``max_iter`` epochs (one for ``partial_fit``):
it shuffles, draws each epoch's random seed, calls
:meth:`~.minibatch.MinibatchTrainer.run_epoch`, rolls back and raises on
divergence, records the epoch, keeps the best weights for early stopping,
applies the learning-rate schedule (including the plateau rule of
``'adaptive'``), stops on a plateau or when a callback asks, and warns as
scikit-learn does when ``max_iter`` is reached. :class:`Progress` is its state
across calls, with scikit-learn's meaning for every counter.
"""
import copy
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..exceptions import DivergenceError
from .reporting import EpochReporter
from .schedules import ADAPTIVE_MIN_LR, scheduled_learning_rate

HISTORY_KEYS = ("loss", "val_loss", "val_score", "learning_rate", "epoch_time")
#: An epoch loss this many times the reference (the smaller of the loss at
#: initialisation and the best epoch loss, at least 1) counts as exploding.
EXPLODING_FACTOR = 1e4
_DIVERGENCE_HINT = (
    "Likely causes: a learning rate that is too high (lower learning_rate_init), "
    "unscaled input features or targets (use StandardScaler), or missing gradient "
    "clipping (set clip_norm or clip_value). The estimator keeps the weights of the last "
    "epoch that ended with a finite loss."
)


def _new_history():
    return {key: [] for key in HISTORY_KEYS}


@dataclass
class Progress:
    """What training has done, with scikit-learn's meaning for each counter.

    The estimators publish every field as the fitted attribute in
    :data:`ATTRIBUTES` (``n_iter`` as ``n_iter_``, ...).

    Attributes
    ----------
    n_iter : int
        Epochs of the last call (``MLPClassifier``'s ``n_iter_`` since 1.3).
    t : int
        Training samples seen since initialisation.
    loss : float or None
    loss_curve, validation_loss_curve : list of float
        One entry per epoch since initialisation.
    best_loss : float or None
        Lowest training loss (None with early stopping).
    validation_scores : list of float or None
    best_validation_score : float or None
    history : dict of list
        Per epoch: :data:`HISTORY_KEYS`.
    no_improvement_count : int
        Epochs in a row without improvement (kept across warm starts, as in
        scikit-learn).
    initial_loss : float or None
        Loss of the very first batch: the scale of the divergence check.
    """

    n_iter: int = 0
    t: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    validation_scores: list = None
    best_validation_score: float = None
    validation_loss_curve: list = field(default_factory=list)
    history: dict = field(default_factory=_new_history)
    no_improvement_count: int = 0
    initial_loss: float = None

    #: Field -> fitted attribute of the estimators.
    ATTRIBUTES = {
        "n_iter": "n_iter_", "t": "t_", "loss": "loss_", "loss_curve": "loss_curve_",
        "best_loss": "best_loss_", "validation_scores": "validation_scores_",
        "best_validation_score": "best_validation_score_",
        "validation_loss_curve": "validation_loss_curve_", "history": "history_",
        "no_improvement_count": "_no_improvement_count", "initial_loss": "_initial_loss",
    }

    @classmethod
    def fresh(cls, early_stopping):
        """The progress of a new model (scikit-learn's initial values)."""
        if early_stopping:
            return cls(best_loss=None, validation_scores=[], best_validation_score=-np.inf)
        return cls()

    def state_dict(self):
        """A deep copy of every field."""
        return {name: copy.deepcopy(getattr(self, name)) for name in self.ATTRIBUTES}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict` (missing fields keep their values)."""
        for name in self.ATTRIBUTES:
            if name in state:
                setattr(self, name, copy.deepcopy(state[name]))

    def record(self, info):
        """Append one epoch's ``info`` to the history and validation curves."""
        for key in HISTORY_KEYS:
            self.history[key].append(info[key])
        if info["val_loss"] is not None:
            self.validation_loss_curve.append(info["val_loss"])
            if self.validation_scores is None:
                self.validation_scores = []
            self.validation_scores.append(info["val_score"])


@dataclass
class LoopSettings:
    """How :func:`train_stochastic` runs: the estimator's parameters that shape
    the loop (see the estimators' docstring for each)."""

    max_iter: int
    shuffle: bool
    batch_size: int
    early_stopping: bool
    tol: float
    n_iter_no_change: float
    learning_rate: str
    learning_rate_init: float
    power_t: float
    lr_decay: float
    lr_step_epochs: int
    verbose: int
    random_stream: bool


def _check_divergence(net, progress, loss, start_state):
    """Raise :class:`DivergenceError` for a non-finite or exploding loss, after
    restoring the weights the epoch started from (the last ones whose epoch
    ended with a finite loss)."""
    best = min(progress.loss_curve, default=np.inf)
    reference = min(best, progress.initial_loss)
    exploding = np.isfinite(reference) and loss > EXPLODING_FACTOR * max(reference, 1.0)
    if np.isfinite(loss) and not exploding:
        return
    net.params[:], net.buffers[:] = start_state
    what = "became non-finite" if not np.isfinite(loss) else (
        f"exploded to {loss:.3g} (from {reference:.3g})")
    raise DivergenceError(
        f"Training diverged: the loss {what} in epoch {progress.n_iter + 1}. "
        + _DIVERGENCE_HINT
    )


def _update_no_improvement(progress, early_stopping, tol, info, net, best_state):
    """scikit-learn's plateau bookkeeping; with early stopping also the snapshot
    of the best weights."""
    if early_stopping:
        last = info["val_score"]
        if last < (progress.best_validation_score + tol):
            progress.no_improvement_count += 1
        else:
            progress.no_improvement_count = 0
        if last > progress.best_validation_score:
            progress.best_validation_score = last
            best_state[0][:] = net.params
            best_state[1][:] = net.buffers
    else:
        if progress.loss_curve[-1] > progress.best_loss - tol:
            progress.no_improvement_count += 1
        else:
            progress.no_improvement_count = 0
        if progress.loss_curve[-1] < progress.best_loss:
            progress.best_loss = progress.loss_curve[-1]


def _plateau(trainer, loop, msg, reporter):
    """Whether to stop after no improvement; ``'adaptive'`` divides the rate by 5."""
    if loop.learning_rate != "adaptive":
        reporter.message(msg + " Stopping.")
        return True
    if trainer.learning_rate <= ADAPTIVE_MIN_LR:
        reporter.message(msg + " Learning rate too small. Stopping.")
        return True
    trainer.learning_rate /= 5.0
    reporter.message(msg + " Setting learning rate to %f" % trainer.learning_rate)
    return False


def shuffled(sample_idx, random_state):
    """``sklearn.utils.shuffle(sample_idx, random_state=random_state)``, as
    ``MLPClassifier`` shuffles each epoch: the same draws and the same result,
    without the parameter validation of each call (1.1 ms, an eighth of a
    ``housing`` epoch).

    Parameters
    ----------
    sample_idx : ndarray of shape (n,)
    random_state : numpy.random.RandomState
        Advanced as scikit-learn's ``shuffle`` advances it.

    Returns
    -------
    ndarray of shape (n,)
        ``sample_idx[p]`` for ``p`` a shuffled ``arange(n)``.
    """
    indices = np.arange(sample_idx.shape[0])
    random_state.shuffle(indices)
    return sample_idx[indices]


def train_stochastic(trainer, progress, data, train_idx, loop, random_state, incremental,
                     evaluate, on_epoch):
    """Run the epochs of one ``fit`` (or one ``partial_fit``) call.

    Parameters
    ----------
    trainer : MinibatchTrainer
    progress : Progress
        Updated in place.
    data : TrainData
    train_idx : ndarray of int64
        The rows to train on (all but a validation split).
    loop : LoopSettings
    random_state : numpy.random.RandomState
        Shuffles and per-epoch seeds.
    incremental : bool
        ``partial_fit``: one epoch.
    evaluate : callable
        ``evaluate() -> (val_loss, val_score)`` after each epoch (Nones without
        a validation set).
    on_epoch : callable
        ``on_epoch(info) -> bool`` after each epoch's bookkeeping; True stops.

    The network keeps the best weights when ``loop.early_stopping``; a
    divergence restores the last finite weights and raises.
    """
    net = trainer.net
    early_stopping = loop.early_stopping
    # warm_start may switch early stopping on or off after the first fit
    if early_stopping and progress.best_validation_score is None:
        progress.validation_scores = list(progress.validation_scores or [])
        progress.best_validation_score = -np.inf
    if not early_stopping and progress.best_loss is None:
        progress.best_loss = np.inf
    best_state = (net.params.copy(), net.buffers.copy()) if early_stopping else None
    n_samples = train_idx.shape[0]
    gather = bool(loop.shuffle or n_samples < data.n_samples or
                  trainer.settings.input_noise > 0)
    sample_idx = np.arange(n_samples, dtype=np.int64)
    reporter = EpochReporter(loop.verbose, 1 if incremental else loop.max_iter)
    hit_max_iter = False
    progress.n_iter = 0
    try:
        for _ in range(loop.max_iter):
            if loop.shuffle:
                sample_idx = shuffled(sample_idx, random_state)
            order = np.ascontiguousarray(train_idx[sample_idx], dtype=np.int64)
            seed = random_state.randint(2**31 - 1) if loop.random_stream else 0
            lr = trainer.learning_rate
            start_state = (net.params.copy(), net.buffers.copy())
            start = time.perf_counter()
            loss, first_loss = trainer.run_epoch(data, order, gather, loop.batch_size, seed)
            elapsed = time.perf_counter() - start
            if progress.initial_loss is None:
                progress.initial_loss = float(first_loss)
            _check_divergence(net, progress, loss, start_state)
            progress.n_iter += 1
            progress.loss = float(loss)
            progress.t += n_samples
            progress.loss_curve.append(progress.loss)
            val_loss, val_score = evaluate()
            info = {"epoch": progress.n_iter, "loss": progress.loss, "val_loss": val_loss,
                    "val_score": val_score, "learning_rate": lr, "epoch_time": elapsed}
            progress.record(info)
            reporter.epoch(info)
            _update_no_improvement(progress, early_stopping, loop.tol, info, net, best_state)
            trainer.learning_rate = scheduled_learning_rate(
                loop.learning_rate, loop.learning_rate_init, trainer.learning_rate,
                epochs=len(progress.loss_curve), t=progress.t, power_t=loop.power_t,
                lr_decay=loop.lr_decay, lr_step_epochs=loop.lr_step_epochs,
                max_iter=loop.max_iter,
            )
            if progress.no_improvement_count > loop.n_iter_no_change:
                what = "Validation score" if early_stopping else "Training loss"
                msg = (f"{what} did not improve more than tol={loop.tol:f} for "
                       f"{loop.n_iter_no_change} consecutive epochs.")
                if _plateau(trainer, loop, msg, reporter):
                    break
                progress.no_improvement_count = 0
            if on_epoch(info):
                reporter.message("A callback asked to stop training.")
                break
            if incremental:
                break
            if progress.n_iter == loop.max_iter:
                hit_max_iter = True
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")
    finally:
        reporter.close()
        trainer.release_epoch_copy()
    if hit_max_iter:  # after the progress bar is closed, so it does not cut into it
        warnings.warn(
            "Stochastic Optimizer: Maximum iterations (%d) "
            "reached and the optimization hasn't converged yet." % loop.max_iter,
            ConvergenceWarning,
        )
    if early_stopping:
        net.params[:], net.buffers[:] = best_state
