"""Learning-rate schedules, applied between epochs for every stochastic solver.

``epochs`` is the number of epochs completed, ``t`` the number of samples seen.

=============  =====================================================================
constant       ``lr = lr_init``
invscaling     ``lr = lr_init / (t + 1) ** power_t``  (scikit-learn's)
adaptive       ``lr_init``, divided by 5 each time ``n_iter_no_change`` epochs fail
               to improve by ``tol`` (training stops once it falls below 1e-6)
step           ``lr = lr_init * lr_decay ** (epochs // lr_step_epochs)``
exponential    ``lr = lr_init * lr_decay ** epochs``
cosine         ``lr = lr_init * (1 + cos(pi * epochs / max_iter)) / 2``  (0 at max_iter)
=============  =====================================================================
"""
import math

SCHEDULES = ("constant", "invscaling", "adaptive", "step", "exponential", "cosine")
#: ``lr_decay`` used when the parameter is None.
DEFAULT_DECAY = {"step": 0.1, "exponential": 0.95}
#: The adaptive schedule stops training once the rate falls to this value.
ADAPTIVE_MIN_LR = 1e-6


def scheduled_learning_rate(schedule, lr_init, current, *, epochs, t, power_t, lr_decay,
                            lr_step_epochs, max_iter):
    """Learning rate for the next epoch (``current`` for schedules that only react
    to plateaus: constant and adaptive)."""
    if schedule == "invscaling":
        return lr_init / (t + 1) ** power_t
    decay = DEFAULT_DECAY.get(schedule) if lr_decay is None else lr_decay
    if schedule == "step":
        return lr_init * decay ** (epochs // lr_step_epochs)
    if schedule == "exponential":
        return lr_init * decay**epochs
    if schedule == "cosine":
        return lr_init * 0.5 * (1.0 + math.cos(math.pi * min(epochs, max_iter) / max_iter))
    return current
