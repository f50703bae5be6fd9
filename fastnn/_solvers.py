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
from ._kernels.network import train_epoch_
from ._kernels.optimizers import (
    HYPER_FIELDS,
    NO_UPDATE,
    OPTIMIZER_CODES,
    STATE_ROWS,
)


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
        """Wrap validated ``X`` (dense or CSR, compute dtype), ``Y`` and ``sw``."""
        dtype = Y.dtype
        if sp.issparse(X):
            data, indices, indptr = as_csr_arrays(X.tocsr())
            dense = np.empty((0, X.shape[1]), dtype=dtype)
            return cls(dense, data, indices, indptr, True, Y, sw)
        empty_i = np.empty(0, dtype=np.int64)
        return cls(X, np.empty(0, dtype=dtype), empty_i, empty_i, False, Y, sw)

    @property
    def n_samples(self):
        return self.Y.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]


class Workspace:
    """Preallocated activation, delta and batch buffers for one batch size."""

    def __init__(self, net, batch_rows, data, gather):
        dtype = net.dtype
        self.batch_rows = batch_rows
        self.act_off = net.activation_offsets(batch_rows)
        size = net.workspace_size(batch_rows)
        self.Z = np.empty(size, dtype=dtype)
        self.A = np.empty(size, dtype=dtype)
        self.D = np.empty(size, dtype=dtype)
        rows = batch_rows if gather else 0
        self.Xb = np.empty((0 if data.sparse else rows, data.n_features), dtype=dtype)
        self.Yb = np.empty((rows, data.Y.shape[1]), dtype=dtype)
        self.swb = np.empty(rows, dtype=dtype)


class MinibatchTrainer:
    """Optimizer state and the per-epoch call into :func:`train_epoch_`.

    Parameters
    ----------
    net : Network
    solver : str
        A key of :data:`OPTIMIZER_CODES`.
    hyper : dict
        Values for :data:`HYPER_FIELDS` (missing ones are 0).
    """

    def __init__(self, net, solver, hyper):
        self.net = net
        self.code = OPTIMIZER_CODES[solver]
        self.state = np.zeros((STATE_ROWS[self.code], net.n_params), dtype=net.dtype)
        self.step = 0
        self.hyper = np.array([float(hyper.get(f, 0.0)) for f in HYPER_FIELDS])
        self._grads = np.empty_like(net.params)
        self._workspace = None

    @property
    def learning_rate(self):
        return self.hyper[HYPER_FIELDS.index("learning_rate")]

    @learning_rate.setter
    def learning_rate(self, value):
        self.hyper[HYPER_FIELDS.index("learning_rate")] = value

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_workspace"] = None  # scratch space, rebuilt on demand
        state["_grads"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self._grads is None:
            self._grads = np.empty_like(self.net.params)

    def _get_workspace(self, batch_rows, data, gather):
        ws = self._workspace
        if (
            ws is None
            or ws.batch_rows != batch_rows
            or ws.Xb.shape[1] != data.n_features
            or (gather and ws.Yb.shape[0] < batch_rows)
            or (ws.Xb.shape[0] == 0) != (data.sparse or not gather)
        ):
            ws = self._workspace = Workspace(self.net, batch_rows, data, gather)
        return ws

    def run_epoch(self, data, order, gather, batch_size, alpha):
        """Train one epoch over the rows in ``order``.

        Returns
        -------
        float
            Mean batch loss weighted by batch rows (scikit-learn's ``loss_``);
            not finite if training diverged, in which case the batch that
            produced it made no update.
        """
        net = self.net
        ws = self._get_workspace(batch_size, data, gather)
        total, self.step = train_epoch_(
            data.X, data.data, data.indices, data.indptr, data.sparse, data.Y, data.sw,
            order, gather, batch_size, net.params, self._grads, net.layout, ws.act_off,
            net.hidden_code, net.out_code, float(alpha), ws.Xb, ws.Yb, ws.swb,
            ws.Z, ws.A, ws.D, self.code, self.state, self.hyper, self.step,
        )
        return total / order.shape[0]


def loss_and_grad(net, data, alpha, workspace=None, grads=None):
    """Full-batch loss and flat gradient at the network's current parameters.

    Returns
    -------
    loss : float
    grads : ndarray of shape (n_params,)
    """
    n = data.n_samples
    ws = workspace or Workspace(net, n, data, gather=False)
    grads = np.empty_like(net.params) if grads is None else grads
    order = np.arange(n, dtype=np.int64)
    total, _ = train_epoch_(
        data.X, data.data, data.indices, data.indptr, data.sparse, data.Y, data.sw,
        order, False, n, net.params, grads, net.layout, ws.act_off, net.hidden_code,
        net.out_code, float(alpha), ws.Xb, ws.Yb, ws.swb, ws.Z, ws.A, ws.D, NO_UPDATE,
        np.zeros((0, net.n_params), dtype=net.dtype), np.zeros(len(HYPER_FIELDS)), 0,
    )
    return total / n, grads


def fit_lbfgs(net, data, alpha, max_iter, max_fun, tol, iprint_options):
    """Minimise the full-batch loss with SciPy's L-BFGS-B, in place on ``net``.

    Returns
    -------
    scipy.optimize.OptimizeResult
    """
    ws = Workspace(net, data.n_samples, data, gather=False)
    grads = np.empty_like(net.params)

    def fun(x):
        net.params[:] = x
        loss, g = loss_and_grad(net, data, alpha, ws, grads)
        return loss, g.astype(np.float64)

    result = scipy.optimize.minimize(
        fun,
        net.params.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol, **iprint_options},
    )
    net.params[:] = result.x
    return result
