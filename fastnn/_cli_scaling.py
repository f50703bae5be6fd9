"""``fastnn train --standardize``: train on standardised data, save a model for raw data.

The model file holds the network only, so there is no place for a separate
scaler. Instead the scaling is folded into the network after training. With
``x_std = (x - mu) / sigma`` the first layer computes
``x_std @ W + b = x @ (W / sigma[:, None]) + (b - (mu / sigma) @ W)``, and for a
standardised regression target ``y_std = (y - m) / s`` with an identity output
``y = out_std * s + m`` gives ``W_out * s`` and ``b_out * s + m``. The saved
model then takes raw features and predicts raw targets, and needs nothing else.
Batch norm acts after the first dense layer, on values that do not change, so
it is unaffected. The losses in ``history_`` stay those of the standardised
problem.
"""
import numpy as np


def _scale(values):
    """Per-column mean and standard deviation (1 for a constant column), float64."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    std[~(std > 0)] = 1.0
    return mean, std


class Standardizer:
    """Standardise features (and a regression target) for training, then fold the
    scaling into the fitted network.

    Parameters
    ----------
    X : pandas.DataFrame or ndarray of shape (n_samples, n_features)
        Training features: their means and standard deviations are used.
    y : ndarray or None
        A regression target to standardise too (None leaves targets alone).
    """

    def __init__(self, X, y=None):
        self.mean_, self.scale_ = _scale(X)
        self.target_ = None if y is None else _scale(y)

    def features(self, X):
        """``X`` standardised (a DataFrame stays a DataFrame with its columns)."""
        return (X - self.mean_) / self.scale_

    def target(self, y):
        """``y`` standardised, or unchanged without a target scaling."""
        if self.target_ is None:
            return y
        mean, std = self.target_
        out = (np.asarray(y, dtype=np.float64).reshape(len(y), -1) - mean) / std
        return out.ravel() if np.ndim(y) == 1 else out

    def fold_into(self, est):
        """Rewrite ``est``'s first and output layers in place so that it takes raw
        features and predicts raw targets.

        Parameters
        ----------
        est : DNNClassifier or DNNRegressor
            Fitted on data transformed by :meth:`features` and :meth:`target`.

        Raises
        ------
        ValueError
            If a target scaling is set but the output is not the identity.
        """
        coefs, intercepts = est.coefs_, est.intercepts_
        W = coefs[0].astype(np.float64)
        intercepts[0][...] = intercepts[0] - (self.mean_ / self.scale_) @ W
        coefs[0][...] = W / self.scale_[:, None]
        if self.target_ is not None:
            if est.out_activation_ != "identity":
                raise ValueError("a standardised target needs an identity output layer, "
                                 f"this network's is {est.out_activation_!r}")
            mean, std = self.target_
            coefs[-1][...] = coefs[-1].astype(np.float64) * std
            intercepts[-1][...] = intercepts[-1].astype(np.float64) * std + mean
