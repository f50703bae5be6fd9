"""DNNClassifier: a drop-in superset of scikit-learn's ``MLPClassifier``."""
from textwrap import indent

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d, validate_data

from .base import BaseDNN
from .docstrings import DTYPE_PARAMETER, SHARED_ATTRIBUTES, SHARED_PARAMETERS


class DNNClassifier(ClassifierMixin, BaseDNN):
    __doc__ = f"""Deep neural network classifier with compiled training kernels.

    Every parameter of scikit-learn's ``MLPClassifier`` is accepted under the same
    name, default and meaning, so replacing the import is enough. Training runs
    whole epochs in compiled Numba code over one flat parameter buffer;
    prediction runs a compiled Cython forward pass.

    The output layer is a softmax with categorical log loss for multiclass
    targets, and a sigmoid with binary log loss for binary and multilabel
    (indicator matrix) targets.

    Parameters
    ----------
{indent(SHARED_PARAMETERS, "    ").rstrip()}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{{label: weight}}``, or ``'balanced'`` for
        ``n_samples / (n_classes * count(label))`` (not with ``partial_fit``).

{indent(DTYPE_PARAMETER, "    ").rstrip()}

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (one array per output for multilabel targets).

{indent(SHARED_ATTRIBUTES, "    ").rstrip()}

    See Also
    --------
    DNNRegressor : The regression counterpart.
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastnn import DNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = DNNClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    >>> clf.fit(X / 16, y).score(X / 16, y) > 0.95
    True
    """

    def __init__(
        self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
        batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
        max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
        warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
        validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
        n_iter_no_change=10, max_fun=15000, weight_init="auto", batch_norm=False,
        batch_norm_momentum=0.1, layer_norm=False, dropout=0.0, l1=0.0, max_norm=None, clip_norm=None,
        clip_value=None, input_noise=0.0, rho=0.9, weight_decay=0.01, lr_decay=None,
        lr_step_epochs=10, callbacks=None, init_from=None, freeze_layers=None,
        n_threads=None, class_weight=None, dtype="float32",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            loss="log_loss", shuffle=shuffle, random_state=random_state, tol=tol,
            verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            weight_init=weight_init, batch_norm=batch_norm,
            batch_norm_momentum=batch_norm_momentum, layer_norm=layer_norm, dropout=dropout, l1=l1,
            max_norm=max_norm, clip_norm=clip_norm, clip_value=clip_value,
            input_noise=input_noise, rho=rho, weight_decay=weight_decay, lr_decay=lr_decay,
            lr_step_epochs=lr_step_epochs, callbacks=callbacks, init_from=init_from,
            freeze_layers=freeze_layers, n_threads=n_threads,
            dtype=dtype,
        )
        self.class_weight = class_weight

    _parameter_constraints: dict = {
        **BaseDNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _validate_input(self, X, y, incremental, reset, dtype):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, dtype=dtype,
            order="C", reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        Y = self._label_binarizer.transform(y).astype(dtype)
        return X, np.ascontiguousarray(Y), y

    def _weight_samples(self, y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported with partial_fit: the class "
                "frequencies of the whole data are unknown. Pass a dict of class weights."
            )
        weights = compute_sample_weight(self.class_weight, y)
        return (sample_weight * weights).astype(sample_weight.dtype)

    def _stratify_labels(self, Y):
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None
        labels = Y.ravel().astype(np.int64) if Y.shape[1] == 1 else Y.argmax(axis=1)
        counts = np.bincount(labels)
        counts = counts[counts > 0]
        n_val = int(np.ceil(self.validation_fraction * len(labels)))
        if counts.min() < 2 or min(n_val, len(labels) - n_val) < len(counts):
            return None  # too few rows per class to stratify: a plain random split
        return labels

    def _decode_outputs(self, out):
        if out.shape[1] == 1:
            out = out.ravel()
        return self._label_binarizer.inverse_transform(out)

    def _score_function(self, y, y_pred, sample_weight=None):
        return accuracy_score(y, y_pred, sample_weight=sample_weight)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted classes (an indicator matrix for multilabel targets).
        """
        return self._decode_outputs(self._forward(X))

    def predict_proba(self, X):
        """Predict class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax outputs (multiclass), ``[1 - p, p]`` (binary) or one sigmoid
            per label (multilabel), in the compute dtype.
        """
        proba = self._forward(X)
        if self.n_outputs_ == 1:
            p = proba.ravel()
            return np.vstack([1 - p, p]).T
        return proba

    def predict_log_proba(self, X):
        """Predict the logarithm of the class probabilities (:meth:`predict_proba`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Natural logarithm of the class probabilities.
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch on the given data, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, as in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All classes that ``y`` may contain. Required on the first call;
            later calls may pass the same classes again or None.

        Returns
        -------
        self
            The estimator, trained for one more epoch.
        """
        self._validate_params()

        def call():
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight, incremental=True)

        return self._transaction(call)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
