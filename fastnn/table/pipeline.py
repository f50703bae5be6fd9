"""The scikit-learn pipeline ``fastnn train`` fits: :func:`make_table_pipeline`.

``Pipeline([('preprocess', TablePreprocessor(...)), ('model', estimator)])``,
where a regressor is wrapped in ``TransformedTargetRegressor(regressor=...,
transformer=StandardScaler())`` so that it trains on a standardised target and
predicts in the target's own units. Save and load it with :func:`fastnn.save`
and :func:`fastnn.load` (the safe native format).

:func:`fit_pipeline` fits such a pipeline step by step so that validation rows
(``X_val``, ``y_val`` of DNNClassifier / DNNRegressor ``fit``) go through the
fitted preprocessing and target scaling, which ``Pipeline.fit`` cannot do. With
no validation rows it gives the same fitted pipeline as ``pipeline.fit(X, y)``.
"""
from textwrap import indent

import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .preprocessor import PREPROCESSING_PARAMETERS, TablePreprocessor

#: Names of the two steps.
PREPROCESS, MODEL = "preprocess", "model"
#: Losses whose targets must keep their sign and scale (no standardisation).
_UNSCALED_LOSSES = ("poisson",)


def make_table_pipeline(estimator, *, categorical=None, categorical_integers=0,
                        impute="median", missing_indicator=True, standardize=True,
                        min_frequency=10, max_categories=None, standardize_target="auto"):
    if standardize_target == "auto":
        standardize_target = (is_regressor(estimator)
                              and getattr(estimator, "loss", None) not in _UNSCALED_LOSSES)
    elif standardize_target and is_classifier(estimator):
        raise ValueError("standardize_target=True needs a regressor; a classifier's "
                         "target is a set of labels.")
    elif not isinstance(standardize_target, (bool, np.bool_)):
        raise ValueError(f"standardize_target must be True, False or 'auto', got "
                         f"{standardize_target!r}.")
    preprocess = TablePreprocessor(
        categorical=categorical, categorical_integers=categorical_integers, impute=impute,
        missing_indicator=missing_indicator, standardize=standardize,
        min_frequency=min_frequency, max_categories=max_categories,
    )
    model = estimator
    if standardize_target:
        model = TransformedTargetRegressor(regressor=estimator, transformer=StandardScaler())
    return Pipeline([(PREPROCESS, preprocess), (MODEL, model)])


make_table_pipeline.__doc__ = f"""Build the pipeline ``fastnn train`` uses: table preprocessing, then ``estimator``.

    The preprocessing parameters are those of :class:`~fastnn.TablePreprocessor`
    (repeated here); a regressor is wrapped so that it trains on a standardised
    target.

    Parameters
    ----------
    estimator : estimator
        Usually a :class:`~fastnn.DNNClassifier` or :class:`~fastnn.DNNRegressor`
        (unfitted).
{indent(PREPROCESSING_PARAMETERS, "    ").rstrip()}
    standardize_target : bool or 'auto', default='auto'
        Train a regressor on the standardised target, predicting in the
        original units (``TransformedTargetRegressor`` with ``StandardScaler``).
        ``'auto'``: for regressors except those with ``loss='poisson'``.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``'preprocess'`` and ``'model'``. In a search, the estimator's
        parameters are ``model__<name>``, or ``model__regressor__<name>`` when
        the target is standardised.

    Examples
    --------
    >>> from fastnn import DNNClassifier, make_table_pipeline
    >>> pipe = make_table_pipeline(DNNClassifier(hidden_layer_sizes=(64,)))
    >>> [name for name, _ in pipe.steps]
    ['preprocess', 'model']
"""


def fitted_target_regressor(regressor, scaler, target_ndim):
    """A fitted ``TransformedTargetRegressor`` put together from fitted parts.

    ``TransformedTargetRegressor.predict`` reads one private attribute,
    ``_training_dim`` (the number of dimensions of the training target); it is
    set here and nowhere else.

    Parameters
    ----------
    regressor : fitted regressor
        Fitted on the scaled target.
    scaler : fitted StandardScaler
        Fitted on the target as a 2-D array.
    target_ndim : {1, 2}

    Returns
    -------
    TransformedTargetRegressor
    """
    model = TransformedTargetRegressor(regressor=clone(regressor), transformer=clone(scaler))
    model.regressor_ = regressor
    model.transformer_ = scaler
    model._training_dim = int(target_ndim)
    if "feature_names_in_" in regressor.__dict__:
        model.feature_names_in_ = regressor.feature_names_in_
    return model


def _scale_target(scaler, y):
    y = np.asarray(y, dtype=np.float64)
    out = scaler.transform(y.reshape(len(y), -1))
    return out.ravel() if y.ndim == 1 else out


def fit_pipeline(pipeline, X, y, X_val=None, y_val=None, preprocess_fitted=False):
    """Fit a :func:`make_table_pipeline` pipeline, passing validation rows to the network.

    The preprocessing is fitted on ``X``; the estimator is fitted on its output,
    with ``X_val`` / ``y_val`` transformed the same way (and the target scaled,
    when it is) given as its ``fit(..., X_val=, y_val=)``. The estimator object
    is fitted itself, not a clone of it, so an estimator-valued ``init_from``
    keeps its fitted network.

    Parameters
    ----------
    pipeline : Pipeline
        From :func:`make_table_pipeline`; its steps are fitted in place.
    X, y : training rows
    X_val, y_val : validation rows or None
    preprocess_fitted : bool, default=False
        The ``'preprocess'`` step is fitted already (on ``X``, or taken from
        another model): only transform with it.

    Returns
    -------
    Pipeline
        ``pipeline``, fitted (its ``'model'`` step may be replaced by the fitted
        ``TransformedTargetRegressor``).
    """
    preprocess = pipeline.named_steps[PREPROCESS]
    model = pipeline.named_steps[MODEL]
    Xt = preprocess.transform(X) if preprocess_fitted else preprocess.fit_transform(X)
    Xt_val = None if X_val is None else preprocess.transform(X_val)
    if isinstance(model, TransformedTargetRegressor):
        if not isinstance(model.transformer, StandardScaler) or model.func is not None:
            raise ValueError("fit_pipeline supports a TransformedTargetRegressor with a "
                             "StandardScaler transformer only.")
        y = np.asarray(y, dtype=np.float64)
        scaler = clone(model.transformer).fit(y.reshape(len(y), -1))
        regressor = model.regressor
        _fit(regressor, Xt, _scale_target(scaler, y), Xt_val,
             None if y_val is None else _scale_target(scaler, y_val))
        pipeline.steps[-1] = (MODEL, fitted_target_regressor(regressor, scaler, y.ndim))
    else:
        _fit(model, Xt, y, Xt_val, y_val)
    return pipeline


def _fit(est, X, y, X_val, y_val):
    if X_val is None:
        est.fit(X, y)
    else:
        est.fit(X, y, X_val=X_val, y_val=y_val)


def target_scaling(pipeline):
    """``(mean, scale)`` arrays of a pipeline's target standardisation, or None."""
    model = pipeline.steps[-1][1]
    if isinstance(model, TransformedTargetRegressor) and hasattr(model, "transformer_"):
        scaler = model.transformer_
        if isinstance(scaler, StandardScaler):
            mean = scaler.mean_ if scaler.mean_ is not None else np.zeros(1)
            scale = scaler.scale_ if scaler.scale_ is not None else np.ones(1)
            return mean, scale
    return None


def final_network(model):
    """The DNNClassifier / DNNRegressor of a fitted pipeline (or the model itself)."""
    if isinstance(model, Pipeline):
        model = model.steps[-1][1]
    if isinstance(model, TransformedTargetRegressor):
        model = model.regressor_
    return model
