"""Full-batch loss and gradient, and SciPy's L-BFGS-B over them."""
import numpy as np
import scipy.optimize

from ..nn.optimizers import NO_UPDATE
from ..nn.settings import BN_MOMENTUM
from .minibatch import Workspace, run_kernel, settings_array, trainable_index, trainable_segments


class FullBatch:
    """Full-batch loss and gradient at the network's current parameters.

    Random parts (dropout, RReLU, input noise) use a fixed seed, so the objective
    is a deterministic function of the parameters; batch-norm running statistics
    are not touched (see :meth:`set_running_stats`). The gradient of a frozen
    layer's parameters is reported as 0. This is the objective of L-BFGS and of
    the finite-difference gradient checks.

    Parameters
    ----------
    net : Network
    data : TrainData
    settings : TrainingSettings
    """

    def __init__(self, net, data, settings):
        net.set_dropout(settings.dropout)
        self.net, self.data, self.settings = net, data, settings
        self.frozen = settings.frozen_flags(net.n_layers)
        self.segments = trainable_segments(net, self.frozen)
        self.values = settings_array(settings)
        self.gather = settings.input_noise > 0
        self.ws = Workspace(net, data.n_samples, data, self.gather)
        self.grads = np.zeros_like(net.params)
        self.order = np.arange(data.n_samples, dtype=np.int64)
        self._no_state = np.zeros((0, net.n_params), dtype=net.dtype)

    def __call__(self, update_running=False):
        """``(loss, grads)``: the mean loss with penalties, and the flat gradient
        (a buffer reused by the next call)."""
        total, _, _ = run_kernel(self.net, self.data, self.order, self.gather,
                                 self.data.n_samples, self.ws, self.grads, self.frozen,
                                 self.segments, NO_UPDATE, self._no_state, self.values,
                                 self.settings, 0, 0, update_running)
        return total / self.data.n_samples, self.grads

    def trainable(self):
        """Positions of the trainable parameters in the flat buffer."""
        return trainable_index(self.segments)

    def set_running_stats(self):
        """Set batch-norm running statistics to the full-batch statistics."""
        saved = self.values[BN_MOMENTUM]
        self.values[BN_MOMENTUM] = 1.0
        self(update_running=True)
        self.values[BN_MOMENTUM] = saved


def fit_lbfgs(net, data, settings, max_iter, max_fun, tol, iprint_options):
    """Minimise the full-batch loss with SciPy's L-BFGS-B, in place on ``net``,
    over the trainable parameters (frozen layers are left as they are).

    Returns
    -------
    scipy.optimize.OptimizeResult
    """
    objective = FullBatch(net, data, settings)
    trainable = objective.trainable()

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
