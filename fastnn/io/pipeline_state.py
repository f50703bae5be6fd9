"""A fitted scikit-learn ``Pipeline`` as JSON and arrays, and back (native format).

The steps the native format holds, each with an explicit state:

- :class:`~fastnn.TablePreprocessor`: its parameters and the attributes of
  :data:`fastnn.table.preprocessor.FITTED_STATE`;
- ``StandardScaler``: its parameters and its public fitted attributes (``mean_``,
  ``scale_``, ``var_``, ``n_samples_seen_``, ``n_features_in_``);
- DNNClassifier / DNNRegressor: as in an estimator file
  (:func:`fastnn.estimators.state.estimator_state`);
- ``TransformedTargetRegressor`` whose regressor is a fastnn regressor and whose
  transformer a ``StandardScaler`` (no ``func``): both of them, and the number of
  dimensions of the training target;
- ``'passthrough'`` or None.

Arrays are stored bit for bit, so a loaded pipeline predicts exactly as the
saved one. Anything else (another transformer, a fitted ``FunctionTransformer``)
raises TypeError: such a pipeline can be saved with skops or joblib.
"""
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..estimators.base import BaseDNN
from ..estimators.classifier import DNNClassifier
from ..estimators.regressor import DNNRegressor
from ..estimators.state import estimator_from_state as _estimator_from_state
from ..estimators.state import estimator_state
from ..table.preprocessor import FITTED_STATE, TablePreprocessor
from .format import from_json, to_json

_SCALER_FITTED = ("mean_", "scale_", "var_", "n_samples_seen_", "n_features_in_")
_TTR_PARAMS = ("check_inverse",)


def _prefixed(prefix, arrays):
    return {f"{prefix}{name}": value for name, value in arrays.items()}


def _unprefixed(prefix, arrays):
    return {name[len(prefix):]: value for name, value in arrays.items()
            if name.startswith(prefix)}


def _names(obj):
    names = obj.__dict__.get("feature_names_in_")
    return None if names is None else [str(n) for n in names]


def _set_names(obj, names):
    if names is not None:
        obj.feature_names_in_ = np.asarray(names, dtype=object)


# ------------------------------------------------------------------ each step
def _table_state(pre):
    fitted, arrays = {}, {}
    for name, how in FITTED_STATE.items():
        if name not in pre.__dict__:
            continue
        value = getattr(pre, name)
        if how == "array":
            arrays[name] = np.asarray(value)
        elif name == "feature_names_in_":
            fitted[name] = [str(v) for v in value]
        else:
            fitted[name] = to_json(value)
    return {"params": to_json(pre.get_params()), "fitted": fitted}, arrays


def _table_from_state(meta, arrays, fail):
    pre = TablePreprocessor(**from_json(meta["params"]))
    for name, how in FITTED_STATE.items():
        if how == "array":
            if name not in arrays:
                fail(f"its TablePreprocessor has no {name} array.")
            setattr(pre, name, arrays[name])
        elif name == "feature_names_in_":
            _set_names(pre, meta["fitted"].get(name))
        elif name in meta["fitted"]:
            setattr(pre, name, from_json(meta["fitted"][name]))
        else:
            fail(f"its TablePreprocessor has no {name}.")
    m = pre.n_features_in_
    if len(pre.kinds_) != m or any(np.shape(arrays[k]) != (m,) for k in arrays):
        fail("its TablePreprocessor state does not match its number of columns.")
    return pre


def _scaler_state(scaler):
    fitted, arrays = {"feature_names_in_": _names(scaler)}, {}
    for name in _SCALER_FITTED:
        value = scaler.__dict__.get(name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            arrays[name] = value
        else:
            fitted[name] = to_json(value)
    return {"params": to_json(scaler.get_params()), "fitted": fitted}, arrays


def _scaler_from_state(meta, arrays):
    scaler = StandardScaler(**from_json(meta["params"]))
    for name in _SCALER_FITTED:
        value = arrays[name] if name in arrays else from_json(meta["fitted"].get(name))
        setattr(scaler, name, value)
    _set_names(scaler, meta["fitted"].get("feature_names_in_"))
    return scaler


#: Estimator classes by the name a file gives.
ESTIMATORS = {"DNNClassifier": DNNClassifier, "DNNRegressor": DNNRegressor}


def _is_fastnn(est):
    return isinstance(est, BaseDNN)


def estimator_from_state(meta, arrays, fail):
    """A fastnn estimator from its file state (:mod:`fastnn.estimators.state`)."""
    return _estimator_from_state(ESTIMATORS, meta, arrays, fail)


def _step_state(name, step):
    """``(meta, arrays)`` of one fitted step, or TypeError."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return {"name": name, "type": "passthrough"}, {}
    kind = type(step).__name__
    if isinstance(step, TablePreprocessor):
        meta, arrays = _table_state(step)
    elif type(step) is StandardScaler:
        meta, arrays = _scaler_state(step)
    elif _is_fastnn(step):
        meta, arrays = estimator_state(step)
    elif type(step) is TransformedTargetRegressor:
        regressor = step.__dict__.get("regressor_")
        scaler = step.__dict__.get("transformer_")
        if not (_is_fastnn(regressor) and type(scaler) is StandardScaler
                and step.func is None and step.inverse_func is None):
            raise TypeError(
                f"cannot save step {name!r} in the native format: a TransformedTargetRegressor "
                "is saved only with a fitted fastnn regressor and a StandardScaler transformer; "
                "save this pipeline with skops instead.")
        reg_meta, reg_arrays = estimator_state(regressor)
        scaler_meta, scaler_arrays = _scaler_state(scaler)
        meta = {"params": to_json({k: getattr(step, k) for k in _TTR_PARAMS}),
                "target_ndim": int(step._training_dim), "regressor": reg_meta,
                "transformer": scaler_meta, "feature_names_in_": _names(step)}
        arrays = {**_prefixed("regressor.", reg_arrays),
                  **_prefixed("transformer.", scaler_arrays)}
    else:
        raise TypeError(
            f"cannot save step {name!r} ({kind}) in the native format, which holds "
            "TablePreprocessor, StandardScaler, DNNClassifier, DNNRegressor and "
            "TransformedTargetRegressor(DNNRegressor, StandardScaler) steps; save this "
            "pipeline with skops instead.")
    return {"name": name, "type": kind, **meta}, arrays


def _step_from_state(meta, arrays, fail):
    from ..table.pipeline import fitted_target_regressor

    kind = meta.get("type")
    if kind == "passthrough":
        return "passthrough"
    if kind == "TablePreprocessor":
        return _table_from_state(meta, arrays, fail)
    if kind == "StandardScaler":
        return _scaler_from_state(meta, arrays)
    if kind in ("DNNClassifier", "DNNRegressor"):
        return estimator_from_state(meta, arrays, fail)
    if kind == "TransformedTargetRegressor":
        regressor = estimator_from_state(meta["regressor"], _unprefixed("regressor.", arrays),
                                         fail)
        scaler = _scaler_from_state(meta["transformer"], _unprefixed("transformer.", arrays))
        model = fitted_target_regressor(regressor, scaler, meta["target_ndim"])
        model.set_params(**from_json(meta["params"]))
        _set_names(model, meta.get("feature_names_in_"))
        return model
    fail(f"unknown pipeline step type {kind!r}.")
    return None  # pragma: no cover - fail raises


# ------------------------------------------------------------------ pipeline
def pipeline_state(pipeline):
    """The steps of a fitted pipeline as JSON-ready dicts, and their arrays.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Fitted; each step of a kind the module docstring lists.

    Returns
    -------
    steps : list of dict
    arrays : dict of str to ndarray
        Named ``<step index>.<array>``.

    Raises
    ------
    TypeError
        For a step the native format does not hold.
    ValueError
        For a pipeline that is not fitted, or with ``memory`` set.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(pipeline)
    steps, arrays = [], {}
    for i, (name, step) in enumerate(pipeline.steps):
        meta, step_arrays = _step_state(name, step)
        steps.append(meta)
        arrays.update(_prefixed(f"{i}.", step_arrays))
    return steps, arrays


def pipeline_from_state(steps, arrays, fail):
    """Rebuild the fitted pipeline saved by :func:`pipeline_state`.

    Parameters
    ----------
    steps : list of dict
    arrays : dict of str to ndarray
    fail : callable
        ``fail(problem)`` raises the error for an inconsistent file.

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    if not isinstance(steps, list) or not steps:
        fail("its pipeline has no steps.")
    built = []
    for i, meta in enumerate(steps):
        built.append((meta.get("name", f"step{i}"),
                      _step_from_state(meta, _unprefixed(f"{i}.", arrays), fail)))
    return Pipeline(built)
