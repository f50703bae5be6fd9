"""One epoch of a stochastic solver: optimizer state, workspaces and the kernel call.

:class:`MinibatchTrainer` owns what persists between epochs (the optimizer
state, its step count and settings) and the preallocated scratch space, and
enters compiled code once per epoch (:func:`fastnn.nn.compile.train_epoch_`).
:class:`TrainingSettings` holds everything beyond the optimizer's own settings.
"""
from dataclasses import dataclass

import numpy as np

from ..nn.activations import RRELU
from ..nn.compile import NetArrays, OptArrays, WorkArrays, train_epoch_
from ..nn.optimizers import OPTIMIZERS
from ..nn.settings import BATCH_NORM_EPS, LAYER_NORM_EPS, LR, SETTING_FIELDS
from .subnormals import flush_subnormals

#: Dense rows at most this wide are permuted once per epoch rather than gathered
#: per batch: a batch gather of narrow rows waits on one cache miss per row,
#: while one ``np.take`` over the epoch overlaps them (tabular, 20 features: the
#: gather was 8% of a step's time).
PERMUTE_ROW_BYTES = 512
#: ... when the permuted copy of the epoch's rows takes at most this many bytes.
PERMUTE_MAX_BYTES = 64 << 20


@dataclass
class TrainingSettings:
    """Per-layer and global training settings beyond the optimizer's own.

    Attributes
    ----------
    dropout : tuple of float
        One rate per hidden layer.
    alpha, l1 : float
        L2 and L1 penalties (scikit-learn's scaling).
    max_norm, clip_norm, clip_value : float
        0 turns each off.
    input_noise : float
        Standard deviation of Gaussian noise added to each training batch.
    batch_norm_momentum : float
    frozen : tuple of int
        Indices of frozen hidden layers.
    """

    dropout: tuple = ()
    alpha: float = 0.0
    l1: float = 0.0
    max_norm: float = 0.0
    clip_norm: float = 0.0
    clip_value: float = 0.0
    input_noise: float = 0.0
    batch_norm_momentum: float = 0.1
    frozen: tuple = ()

    def rates(self, n_layers):
        """Dropout rate of each dense layer (the output layer's is 0)."""
        rates = np.zeros(n_layers)
        rates[: len(self.dropout)] = self.dropout
        return rates

    def frozen_flags(self, n_layers):
        """1 for each frozen layer, 0 for the others (the output layer trains)."""
        flags = np.zeros(n_layers, dtype=np.int64)
        flags[list(self.frozen)] = 1
        return flags

    def uses_random_stream(self, net):
        """Whether training draws random numbers (dropout, RReLU, input noise)."""
        return any(r > 0 for r in self.dropout) or self.input_noise > 0 or (
            net.hidden_code == RRELU)


def settings_array(settings, optimizer_settings=None):
    """The float64 ``settings`` array the kernels read (:mod:`fastnn.nn.settings`)."""
    values = dict(optimizer_settings or {})
    values.update(
        alpha=settings.alpha, l1=settings.l1, max_norm=settings.max_norm,
        clip_norm=settings.clip_norm, clip_value=settings.clip_value,
        input_noise=settings.input_noise, batch_norm_momentum=settings.batch_norm_momentum,
        batch_norm_eps=BATCH_NORM_EPS, layer_norm_eps=LAYER_NORM_EPS,
    )
    return np.array([float(values.get(f, 0.0)) for f in SETTING_FIELDS])


def trainable_segments(net, frozen):
    """Maximal runs of trainable layers as ``(start, stop, state_start)`` rows.

    Each dense layer's parameters (weights, bias, normalisation scale and
    shift, PReLU slopes) are one contiguous range of ``net.params``;
    consecutive trainable layers merge into one range, and the optimizer state
    packs the ranges one after another, so frozen layers cost no state.
    """
    rows = []
    packed = 0
    for l, (start, stop) in enumerate(net.layer_ranges()):
        if frozen[l]:
            continue
        if rows and rows[-1][1] == start:
            rows[-1][1] = stop
        else:
            rows.append([start, stop, packed])
        packed += stop - start
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def trainable_index(segments):
    """Positions in the flat buffer of the trainable parameters, in state order."""
    return np.concatenate([np.arange(a, b) for a, b, _ in segments]).astype(np.int64)


class Workspace:
    """Preallocated activation, delta and batch buffers for a row capacity ``cap``."""

    def __init__(self, net, cap, data, gather):
        dtype = net.dtype
        self.cap = cap
        self.gather = gather
        self.n_features = data.n_features
        self.n_columns = (net.acts_columns, net.delta_columns)
        rows = cap if gather else 0
        self.arrays = WorkArrays(
            acts=np.empty(cap * net.acts_columns, dtype=dtype),
            deltas=np.empty(cap * net.delta_columns, dtype=dtype),
            # batch-norm batch mean and 1/std, layer-norm row statistics: float64
            stats=np.empty((2, net.stats_columns), dtype=np.float64),
            row_stats=np.empty((net.row_stats, cap), dtype=np.float64),
            Xb=np.empty((0 if data.sparse else rows, data.n_features), dtype=dtype),
            Yb=np.empty((rows, data.Y.shape[1]), dtype=dtype),
            swb=np.empty(rows, dtype=dtype),
        )

    def fits(self, net, cap, data, gather):
        return (self.cap == cap and self.gather == gather
                and self.n_features == data.n_features
                and self.n_columns == (net.acts_columns, net.delta_columns)
                and (gather is False or self.arrays.Yb.shape[1] == data.Y.shape[1]))


def run_kernel(net, data, order, gather, cap, ws, grads, frozen, segments, code, state,
               settings_values, settings, step, seed, update_running):
    """One call of the training kernel (:func:`fastnn.nn.compile.train_epoch_`),
    with subnormal floats flushed to zero (:mod:`.subnormals`)."""
    bundle = NetArrays(net.params, grads, net.buffers, net.table, frozen,
                       settings.rates(net.n_layers))
    with flush_subnormals():
        return train_epoch_(data.arrays, bundle, ws.arrays, OptArrays(state, segments,
                                                                      settings_values),
                            order, cap, bool(gather), data.sparse, code, step, seed,
                            update_running)


class MinibatchTrainer:
    """Optimizer state and the per-epoch call into the training kernel.

    Parameters
    ----------
    net : Network
    solver : str
        A key of :data:`~fastnn.nn.optimizers.OPTIMIZERS`.
    optimizer_settings : dict
        Values for the optimizer's settings (missing ones are 0).
    settings : TrainingSettings

    Attributes
    ----------
    state : ndarray of shape (n_state, n_trainable)
        Optimizer state of the trainable parameters only (frozen layers have
        none), packed in the order of ``segments``; its rows are the
        optimizer's named state (``OPTIMIZERS[solver].state``).
    segments : ndarray of shape (n_segments, 3)
        Trainable ranges of the parameter buffer (see :func:`trainable_segments`).
    step : int
        Updates made so far (Adam's bias correction counts them).
    """

    def __init__(self, net, solver, optimizer_settings, settings):
        net.set_dropout(settings.dropout)  # the plan has a dropout op where a rate is > 0
        self.net = net
        self.solver = solver
        self.code = OPTIMIZERS[solver].code
        self.step = 0
        self.settings = settings
        self.values = settings_array(settings, optimizer_settings)
        self.frozen = settings.frozen_flags(net.n_layers)
        self.segments = trainable_segments(net, self.frozen)
        n_trainable = int((self.segments[:, 1] - self.segments[:, 0]).sum())
        self.state = np.zeros((len(OPTIMIZERS[solver].state), n_trainable), dtype=net.dtype)
        self._grads = np.zeros_like(net.params)  # frozen entries stay 0
        self._workspace = None
        self._permuted = None  # reused buffers of the epoch's permuted rows

    def update_settings(self, settings):
        """Switch to new training settings between epochs: ``partial_fit`` after
        changing ``freeze_layers``, ``dropout`` or a penalty. Parameters trainable
        before and after keep their optimizer state, newly trainable ones start
        from zero state."""
        self.settings = settings
        self.net.set_dropout(settings.dropout)
        self.values[:] = settings_array(settings, dict(zip(SETTING_FIELDS, self.values)))
        frozen = settings.frozen_flags(self.net.n_layers)
        if np.array_equal(frozen, self.frozen):
            return
        full = np.zeros((self.state.shape[0], self.net.n_params), dtype=self.state.dtype)
        full[:, trainable_index(self.segments)] = self.state
        self.frozen = frozen
        self.segments = trainable_segments(self.net, frozen)
        self.state = np.ascontiguousarray(full[:, trainable_index(self.segments)])
        self._grads[:] = 0.0

    @property
    def learning_rate(self):
        """Current learning rate (schedules change it between epochs)."""
        return float(self.values[LR])

    @learning_rate.setter
    def learning_rate(self, value):
        self.values[LR] = value

    # --------------------------------------------------------------- state
    def state_dict(self):
        """What training needs to continue: copies of the optimizer state, the
        step count, the settings array and the frozen layers."""
        return {"state": self.state.copy(), "step": self.step, "values": self.values.copy(),
                "frozen": [int(l) for l in np.flatnonzero(self.frozen)]}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict` (the frozen layers must be this trainer's)."""
        if state["state"].shape != self.state.shape:
            raise ValueError(f"optimizer state of shape {state['state'].shape} does not fit "
                             f"this network's {self.state.shape}")
        self.state[...] = state["state"]
        self.step = int(state["step"])
        self.values[:] = state["values"]

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_workspace"] = None  # scratch space, rebuilt on demand
        state["_grads"] = None
        state["_permuted"] = None
        return state

    def __setstate__(self, state):
        if "values" not in state:  # pickled by fastnn before the plan of layer ops
            state = _from_hyper_state(state)
        self.__dict__.update(state)
        self._grads = np.zeros_like(self.net.params)
        self._permuted = None

    # -------------------------------------------------------------- epochs
    def run_epoch(self, data, order, gather, batch_size, seed):
        """Train one epoch over the rows in ``order``.

        Returns
        -------
        loss : float
            Mean batch loss weighted by batch rows (scikit-learn's ``loss_``);
            not finite if training diverged, in which case the batch that
            produced it made no update.
        first_loss : float
            Loss of the epoch's first batch, before any update of this epoch.

        Notes
        -----
        Narrow dense rows without input noise are copied in ``order`` once
        (:meth:`TrainData.taken`, see :data:`PERMUTE_ROW_BYTES`) and read in
        place by the kernel; the batches, their order and their random streams
        are those of the per-batch gather, so the result is bit-identical.
        """
        if gather and self._permute(data, order):
            data, self._permuted = data.taken(order, self._permuted)
            order = np.arange(order.shape[0], dtype=np.int64)
            gather = False
        ws = self._workspace
        if ws is None or not ws.fits(self.net, batch_size, data, gather):
            ws = self._workspace = Workspace(self.net, batch_size, data, gather)
        total, self.step, first = run_kernel(
            self.net, data, order, gather, batch_size, ws, self._grads, self.frozen,
            self.segments, self.code, self.state, self.values, self.settings, self.step,
            seed, True)
        return total / order.shape[0], first

    def release_epoch_copy(self):
        """Drop the buffers of the permuted rows (up to :data:`PERMUTE_MAX_BYTES`):
        a fitted model does not keep a copy of its training data."""
        self._permuted = None

    def _permute(self, data, order):
        """Whether this epoch's rows are permuted in one copy (see :meth:`run_epoch`)."""
        if data.sparse or self.settings.input_noise > 0:
            return False
        row_bytes = data.n_features * data.arrays.X.itemsize
        out_bytes = (data.n_features + data.Y.shape[1] + 1) * data.Y.itemsize
        return (row_bytes <= PERMUTE_ROW_BYTES
                and out_bytes * order.shape[0] <= PERMUTE_MAX_BYTES)


def _from_hyper_state(state):
    """A MinibatchTrainer pickled before the plan of layer ops: same optimizer
    state; its ``hyper`` array had the settings fields up to layer norm's."""
    from ..nn.optimizers import OPTIMIZER_CODES

    solver = {code: name for name, code in OPTIMIZER_CODES.items()}[state["code"]]
    reg = state["reg"]
    settings = TrainingSettings(**{f: getattr(reg, f)
                                   for f in TrainingSettings.__dataclass_fields__})
    values = np.zeros(len(SETTING_FIELDS))
    values[: len(state["hyper"])] = state["hyper"]
    values[SETTING_FIELDS.index("layer_norm_eps")] = LAYER_NORM_EPS
    return {"net": state["net"], "solver": solver, "code": state["code"], "step": state["step"],
            "settings": settings, "values": values, "frozen": state["frozen"],
            "segments": state["segments"], "state": state["state"], "_workspace": None}


#: The name pickles of fastnn 0.1 use for :class:`TrainingSettings`.
Regularization = TrainingSettings
