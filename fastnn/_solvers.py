"""Drive the training kernels: minibatch epochs for stochastic solvers, L-BFGS.

This module holds the glue between the estimators and :mod:`fastnn._kernels`:
it owns the preallocated workspaces and optimizer state, and enters compiled
code once per epoch (stochastic solvers) or once per function evaluation
(L-BFGS). It knows nothing of scikit-learn's estimator API.
"""
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from ._inference import as_csr_arrays
from ._kernels.activations import RRELU
from ._kernels.network import (
    AB,
    DB,
    HB,
    MB,
    N_WORK,
    PB,
    RB,
    W_OFF,
    ZB,
    predict_,
    train_epoch_,
)
from ._kernels.optimizers import (
    BN_MOMENTUM,
    HYPER_FIELDS,
    LR,
    NO_UPDATE,
    OPTIMIZER_CODES,
    STATE_ROWS,
)
from ._network import BATCH_NORM_EPS


def _read_only(a):
    """A read-only view of ``a`` (no copy)."""
    view = a.view()
    view.flags.writeable = False
    return view


@dataclass
class TrainData:
    """Validated training data in the kernels' form.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features) or (0, n_features)
        Dense input, or an empty array when the input is sparse.
    data, indices, indptr : ndarray
        CSR input (int64 indices), or empty arrays when dense.
    sparse : bool
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,)
    """

    X: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    sparse: bool
    Y: np.ndarray
    sw: np.ndarray

    @classmethod
    def build(cls, X, Y, sw):
        """Wrap validated ``X`` (dense or CSR, compute dtype), ``Y`` and ``sw``.

        Every array is passed as a read-only view: Numba compiles a separate
        specialisation for read-only input (``np.load(mmap_mode="r")``), so one
        type for all input means one compiled training kernel, and the kernels
        never write their input.
        """
        dtype = Y.dtype
        if sp.issparse(X):
            data, indices, indptr = as_csr_arrays(X.tocsr())
            dense = np.empty((0, X.shape[1]), dtype=dtype)
            return cls(*map(_read_only, (dense, data, indices, indptr)), True,
                       _read_only(Y), _read_only(sw))
        empty_i = np.empty(0, dtype=np.int64)
        arrays = (X, np.empty(0, dtype=dtype), empty_i, empty_i)
        return cls(*map(_read_only, arrays), False, _read_only(Y), _read_only(sw))

    @property
    def n_samples(self):
        return self.Y.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]


@dataclass
class Regularization:
    """Per-layer and global training settings beyond the optimizer's own."""

    dropout: tuple = ()         # one rate per hidden layer
    alpha: float = 0.0
    l1: float = 0.0
    max_norm: float = 0.0       # 0: off
    clip_norm: float = 0.0      # 0: off
    clip_value: float = 0.0     # 0: off
    input_noise: float = 0.0
    batch_norm_momentum: float = 0.1
    frozen: tuple = ()          # indices of frozen hidden layers

    def dropout_array(self, n_layers):
        rates = np.zeros(n_layers)
        rates[: len(self.dropout)] = self.dropout
        return rates

    def frozen_array(self, n_layers):
        """1 for each frozen layer, 0 for the others (the output layer trains)."""
        flags = np.zeros(n_layers, dtype=np.int64)
        flags[list(self.frozen)] = 1
        return flags


def trainable_segments(net, frozen):
    """Maximal runs of trainable layers as ``(start, stop, state_start)`` rows.

    Each layer's parameters (weights, bias, batch-norm scale and shift, PReLU
    slopes) are one contiguous range of ``net.params``; consecutive trainable
    layers merge into one range, and the optimizer state packs the ranges one
    after another, so frozen layers cost no state.
    """
    starts = list(net.layout[:, W_OFF]) + [net.n_params]
    rows = []
    packed = 0
    for l in range(net.n_layers):
        if frozen[l]:
            continue
        start, stop = int(starts[l]), int(starts[l + 1])
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
    """Preallocated activation, delta and batch buffers for a row capacity ``cap``.

    Only the buffers the network needs get space: ``H`` with batch norm, ``P``
    and ``M`` with dropout, ``R`` with RReLU.
    """

    def __init__(self, net, cap, data, gather, dropout):
        dtype = net.dtype
        self.cap = cap
        self.gather = gather
        self.n_features = data.n_features
        needed = {ZB: True, AB: True, DB: True, HB: net.batch_norm,
                  PB: bool(np.any(dropout > 0)), MB: bool(np.any(dropout > 0)),
                  RB: net.hidden_code == RRELU}
        size = cap * net.workspace_width()
        self.wbase = np.zeros(N_WORK, dtype=np.int64)
        total = 0
        for k in range(N_WORK):
            self.wbase[k] = total
            total += size if needed[k] else 0
        self.work = np.empty(total, dtype=dtype)
        # batch-norm batch mean and 1/std: float64 accumulators whatever the dtype
        self.stats = np.empty((2, net.workspace_width()), dtype=np.float64)
        rows = cap if gather else 0
        self.Xb = np.empty((0 if data.sparse else rows, data.n_features), dtype=dtype)
        self.Yb = np.empty((rows, data.Y.shape[1]), dtype=dtype)
        self.swb = np.empty(rows, dtype=dtype)

    def fits(self, cap, data, gather):
        return (self.cap == cap and self.gather == gather
                and self.n_features == data.n_features
                and (gather is False or self.Yb.shape[1] == data.Y.shape[1]))


def make_hyper(net, reg, optimizer_settings=None):
    """The float64 ``hyper`` array the kernels read (see ``HYPER_FIELDS``)."""
    values = dict(optimizer_settings or {})
    values.update(
        alpha=reg.alpha, l1=reg.l1, max_norm=reg.max_norm, clip_norm=reg.clip_norm,
        clip_value=reg.clip_value, input_noise=reg.input_noise,
        batch_norm_momentum=reg.batch_norm_momentum, batch_norm_eps=BATCH_NORM_EPS,
    )
    return np.array([float(values.get(f, 0.0)) for f in HYPER_FIELDS])


def _run(net, data, order, gather, cap, ws, grads, dropout, frozen, segments, opt_code,
         state, hyper, step, seed, update_running):
    return train_epoch_(
        data.X, data.data, data.indices, data.indptr, data.sparse, data.Y, data.sw, order,
        gather, cap, net.params, grads, net.buffers, net.layout, dropout, frozen, segments,
        net.hidden_code, net.out_code, ws.Xb, ws.Yb, ws.swb, ws.work, ws.wbase, ws.stats,
        opt_code, state, hyper, step, seed, update_running,
    )


class MinibatchTrainer:
    """Optimizer state and the per-epoch call into :func:`train_epoch_`.

    Parameters
    ----------
    net : Network
    solver : str
        A key of :data:`OPTIMIZER_CODES`.
    optimizer_settings : dict
        Values for the optimizer's :data:`HYPER_FIELDS` (missing ones are 0).
    reg : Regularization

    Attributes
    ----------
    state : ndarray of shape (n_state, n_trainable)
        Optimizer state of the trainable parameters only (frozen layers have none),
        packed in the order of ``segments``.
    segments : ndarray of shape (n_segments, 3)
        Trainable ranges of the parameter buffer (see :func:`trainable_segments`).
    """

    def __init__(self, net, solver, optimizer_settings, reg):
        self.net = net
        self.code = OPTIMIZER_CODES[solver]
        self.step = 0
        self.reg = reg
        self.hyper = make_hyper(net, reg, optimizer_settings)
        self.dropout = reg.dropout_array(net.n_layers)
        self.frozen = reg.frozen_array(net.n_layers)
        self.segments = trainable_segments(net, self.frozen)
        n_trainable = int((self.segments[:, 1] - self.segments[:, 0]).sum())
        self.state = np.zeros((STATE_ROWS[self.code], n_trainable), dtype=net.dtype)
        self._grads = np.zeros_like(net.params)  # frozen entries stay 0
        self._workspace = None

    def refreeze(self, reg):
        """Switch to ``reg.frozen`` between epochs (``partial_fit`` after changing
        ``freeze_layers``): parameters trainable before and after keep their
        optimizer state, newly trainable ones start from zero state."""
        frozen = reg.frozen_array(self.net.n_layers)
        if np.array_equal(frozen, self.frozen):
            return
        full = np.zeros((self.state.shape[0], self.net.n_params), dtype=self.state.dtype)
        full[:, trainable_index(self.segments)] = self.state
        self.reg, self.frozen = reg, frozen
        self.segments = trainable_segments(self.net, frozen)
        self.state = np.ascontiguousarray(full[:, trainable_index(self.segments)])
        self._grads[:] = 0.0

    @property
    def learning_rate(self):
        """Current learning rate (schedules change it between epochs)."""
        return float(self.hyper[LR])

    @learning_rate.setter
    def learning_rate(self, value):
        self.hyper[LR] = value

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_workspace"] = None  # scratch space, rebuilt on demand
        state["_grads"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._grads = np.zeros_like(self.net.params)

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
        """
        ws = self._workspace
        if ws is None or not ws.fits(batch_size, data, gather):
            ws = self._workspace = Workspace(self.net, batch_size, data, gather, self.dropout)
        total, self.step, first = _run(self.net, data, order, gather, batch_size, ws,
                                       self._grads, self.dropout, self.frozen, self.segments,
                                       self.code, self.state, self.hyper, self.step, seed,
                                       True)
        return total / order.shape[0], first


class FullBatch:
    """Full-batch loss and gradient at the network's current parameters (L-BFGS).

    Random parts (dropout, RReLU, input noise) use a fixed seed, so the objective
    is a deterministic function of the parameters; batch-norm running statistics
    are not touched (see :meth:`set_running_stats`). The gradient of a frozen
    layer's parameters is reported as 0.
    """

    def __init__(self, net, data, reg):
        self.net, self.data = net, data
        self.dropout = reg.dropout_array(net.n_layers)
        self.frozen = reg.frozen_array(net.n_layers)
        self.segments = trainable_segments(net, self.frozen)
        self.hyper = make_hyper(net, reg)
        gather = reg.input_noise > 0
        self.gather = gather
        self.ws = Workspace(net, data.n_samples, data, gather, self.dropout)
        self.grads = np.zeros_like(net.params)
        self.order = np.arange(data.n_samples, dtype=np.int64)
        self._no_state = np.zeros((0, net.n_params), dtype=net.dtype)

    def __call__(self, update_running=False):
        total, _, _ = _run(self.net, self.data, self.order, self.gather, self.data.n_samples,
                        self.ws, self.grads, self.dropout, self.frozen, self.segments,
                        NO_UPDATE, self._no_state, self.hyper, 0, 0, update_running)
        return total / self.data.n_samples, self.grads

    def set_running_stats(self):
        """Set batch-norm running statistics to the full-batch statistics."""
        saved = self.hyper[BN_MOMENTUM]
        self.hyper[BN_MOMENTUM] = 1.0
        self(update_running=True)
        self.hyper[BN_MOMENTUM] = saved


def loss_and_grad(net, data, reg=None):
    """Full-batch loss and flat gradient of ``net`` on ``data`` (see :class:`FullBatch`)."""
    loss, grads = FullBatch(net, data, reg or Regularization())()
    return loss, grads


def fit_lbfgs(net, data, reg, max_iter, max_fun, tol, iprint_options):
    """Minimise the full-batch loss with SciPy's L-BFGS-B, in place on ``net``,
    over the trainable parameters (frozen layers are left as they are).

    Returns
    -------
    scipy.optimize.OptimizeResult
    """
    objective = FullBatch(net, data, reg)
    trainable = trainable_index(objective.segments)

    def fun(x):
        net.params[trainable] = x
        loss, g = objective()
        return loss, g[trainable].astype(np.float64)

    result = scipy.optimize.minimize(
        fun,
        net.params[trainable].astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol, **iprint_options},
    )
    net.params[trainable] = result.x
    if net.batch_norm:
        objective.set_running_stats()
    return result


def numba_forward(net, X, reg=None):
    """Inference forward pass in Numba (running statistics, no dropout); for tests
    and for checking the folded Cython path."""
    n = X.shape[0]
    data = TrainData.build(X, np.empty((n, 0), dtype=net.dtype), np.empty(n, net.dtype))
    ws = Workspace(net, n, data, False, np.zeros(net.n_layers))
    return predict_(X, net.params, net.buffers, net.layout, net.hidden_code, net.out_code,
                    make_hyper(net, reg or Regularization()), ws.work, ws.wbase)


def output_loss(net, out, Y, sw=None):
    """Mean (sample-weighted) data loss of output activations ``out`` against
    encoded targets ``Y``, with the training loss's formula and no penalty terms."""
    from ._kernels.losses import loss_delta_

    sw = np.ones(Y.shape[0], dtype=net.dtype) if sw is None else sw.astype(net.dtype)
    total = loss_delta_(net.out_code, np.ascontiguousarray(out, dtype=net.dtype),
                        np.ascontiguousarray(Y, dtype=net.dtype), sw,
                        np.empty_like(out, dtype=net.dtype))
    return float(total / sw.sum())
