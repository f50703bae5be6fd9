"""Exceptions raised by fastnn."""


class DivergenceError(ValueError, FloatingPointError):
    """Training diverged: the loss became non-finite or exploded.

    The estimator keeps the weights of the last epoch that ended with a finite
    loss (the initial ones if the first epoch diverged), so it can still predict
    and be inspected. Likely causes: a learning rate that is too high, unscaled input
    features or targets, or missing gradient clipping (``clip_norm`` /
    ``clip_value``).
    """


class ModelFileError(ValueError):
    """A saved model file cannot be read.

    The file is missing, truncated, corrupt (checksum mismatch), not a fastnn model
    or written by a newer fastnn; the message names the file and the problem.
    """
