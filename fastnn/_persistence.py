"""The safe native model format: ``est.save(path)``, ``fastnn.save(obj, path)`` and
``fastnn.load(path)``.

A model file is a ZIP archive written by :func:`numpy.savez` with no pickle inside.
It holds either one estimator or a pipeline (see :mod:`fastnn._pipeline_state`:
the steps' JSON state in ``meta["pipeline"]`` and their arrays under the step's
index, ``0.means_``, ``1.params``...). An estimator file has:

- ``params``, ``buffers``, ``layout``: the network's flat parameter buffer, its
  non-trained buffer (batch-norm running statistics, fixed slopes) and layout;
- ``opt_state``: the optimizer state, when the model was trained by a stochastic
  solver (so ``partial_fit`` / ``warm_start`` continue where they stopped);
- ``meta``: UTF-8 JSON with the format version, the estimator class, its
  parameters, fitted attributes and classes, and a SHA-256 checksum of
  everything else.

Loading reads it with ``allow_pickle=False``, checks the version and the checksum,
and rebuilds the estimator without compiling anything. A file that is not a
fastnn model is named for what it looks like (:mod:`fastnn._file_sniff`).
"""
import dataclasses
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
from sklearn.preprocessing import LabelBinarizer

from ._network import Network
from .exceptions import ModelFileError

#: 2: parameters freeze_layers and n_threads, the optimizer's frozen layers, dicts
#: with non-string keys. 3: pipelines (TablePreprocessor, StandardScaler,
#: TransformedTargetRegressor steps); an estimator file's content is that of
#: version 2. Files of versions 1 and 2 still load.
FORMAT_VERSION = 3
#: Types to pass as ``trusted`` to ``skops.io.load`` for a fastnn estimator or a
#: :func:`fastnn.make_table_pipeline` pipeline (scikit-learn's own types, such as
#: LabelBinarizer, are trusted by skops already).
SKOPS_TRUSTED_TYPES = [
    "fastnn._classifier.DNNClassifier",
    "fastnn._regressor.DNNRegressor",
    "fastnn._network.Network",
    "fastnn._solvers.MinibatchTrainer",
    "fastnn._solvers.Regularization",
    "fastnn._table.TablePreprocessor",
    "numpy.dtype",
]
_FITTED = ("n_features_in_", "n_iter_", "t_", "n_outputs_", "n_layers_", "out_activation_",
           "loss_", "best_loss_", "loss_curve_", "validation_scores_",
           "best_validation_score_", "validation_loss_curve_", "history_")


def to_json(value):
    """``value`` as JSON-ready data (arrays, tuples, non-finite floats, dicts with
    non-string keys are tagged so that :func:`from_json` restores them)."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: to_json(v) for k, v in value.items()}
        # e.g. class_weight={0: 1.0, 1: 5.0}: keep the key types
        return {"__items__": [[to_json(k), to_json(v)] for k, v in value.items()]}
    return value


def from_json(value):
    """The inverse of :func:`to_json`."""
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        if "__float__" in value:
            return float(value["__float__"])
        if "__tuple__" in value:
            return tuple(from_json(v) for v in value["__tuple__"])
        if "__items__" in value:
            return {from_json(k): from_json(v) for k, v in value["__items__"]}
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def _checksum(arrays, meta_without_checksum):
    digest = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        digest.update(name.encode())
        digest.update(arr.dtype.str.encode())
        digest.update(str(arr.shape).encode())
        digest.update(arr.tobytes())
    digest.update(json.dumps(meta_without_checksum, sort_keys=True).encode())
    return digest.hexdigest()


def estimator_state(est):
    """The JSON metadata and arrays of a fitted DNNClassifier / DNNRegressor.

    Returns
    -------
    meta : dict
        ``estimator``, ``params``, ``fitted``, ``network``... (no checksum).
    arrays : dict of str to ndarray
        ``params``, ``buffers``, ``layout`` and, after a stochastic solver,
        ``opt_state``.
    """
    net = est._fitted_net()
    params = est.get_params(deep=False)
    params["callbacks"] = None
    init_from = params.get("init_from")
    params["init_from"] = str(init_from) if isinstance(init_from, (str, os.PathLike)) else None
    if not (params["random_state"] is None or isinstance(params["random_state"], int)):
        params["random_state"] = None
    fitted = {name: getattr(est, name) for name in _FITTED if name in est.__dict__}
    if "feature_names_in_" in est.__dict__:
        fitted["feature_names_in_"] = [str(n) for n in est.feature_names_in_]
    meta = {
        "estimator": type(est).__name__, "params": to_json(params),
        "fitted": to_json(fitted),
        "network": {"layer_units": net.layer_units, "hidden_activation": net.hidden_activation,
                    "out_activation": net.out_activation, "dtype": net.dtype.str,
                    "batch_norm": net.batch_norm},
        "initial_loss": to_json(est.__dict__.get("_initial_loss")),
    }
    lb = est.__dict__.get("_label_binarizer")
    if lb is not None:
        meta["label_binarizer"] = {"classes": to_json(lb.classes_), "y_type": lb.y_type_}
    arrays = {"params": net.params, "buffers": net.buffers, "layout": net.layout}
    trainer = est.__dict__.get("_trainer")
    if trainer is not None:
        arrays["opt_state"] = trainer.state
        meta["optimizer"] = {"step": trainer.step, "hyper": trainer.hyper.tolist(),
                             "frozen": [int(l) for l in np.flatnonzero(trainer.frozen)]}
    return meta, arrays


def save(obj, path):
    """Write a fitted estimator or pipeline to ``path`` in the safe native format.

    Parameters
    ----------
    obj : DNNClassifier, DNNRegressor or sklearn.pipeline.Pipeline
        A fitted estimator, or a fitted pipeline whose steps are
        :class:`~fastnn.TablePreprocessor`, ``StandardScaler``, a fastnn
        estimator, or ``TransformedTargetRegressor`` around a fastnn regressor
        with a ``StandardScaler`` (as :func:`fastnn.make_table_pipeline` builds).
    path : str or path-like
        Destination file (conventionally ``*.fastnn``).

    Raises
    ------
    TypeError
        For another kind of object, or a pipeline step the native format does
        not hold (save such pipelines with skops).

    Notes
    -----
    ``callbacks`` are not saved (they are code); a ``RandomState`` instance as
    ``random_state``, or an estimator as ``init_from``, is saved as None (a path
    given as ``init_from`` is kept).
    """
    from sklearn.pipeline import Pipeline

    if isinstance(obj, Pipeline):
        from ._pipeline_state import pipeline_state

        steps, arrays = pipeline_state(obj)
        meta = {"format": "fastnn", "format_version": FORMAT_VERSION, "pipeline": steps}
    else:
        from ._base import BaseDNN

        if not isinstance(obj, BaseDNN):
            raise TypeError(f"fastnn.save takes a fitted DNNClassifier, DNNRegressor or "
                            f"Pipeline, got {type(obj).__name__}; put other steps in a "
                            "Pipeline with the model.")
        state, arrays = estimator_state(obj)
        meta = {"format": "fastnn", "format_version": FORMAT_VERSION, **state}
    meta["checksum"] = _checksum(arrays, meta)
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, meta=blob, **arrays)


def _fail(path, problem):
    raise ModelFileError(f"Cannot load fastnn model {str(path)!r}: {problem}")


def _not_a_model(path, raw):
    from ._file_sniff import describe_content

    _fail(path, f"not a fastnn model file: it looks like {describe_content(raw)}.")


def load(path):
    """Read an estimator or pipeline written by :func:`save` (no pickle is involved).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    DNNClassifier, DNNRegressor or sklearn.pipeline.Pipeline
        Fitted and ready to predict; an estimator can continue training.

    Raises
    ------
    ModelFileError
        If the file is missing, truncated or corrupt (checksum mismatch), is not
        a fastnn model (the message says what it looks like), or was written by
        a newer version of the format.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        _fail(path, f"{exc.strerror or exc}.")
    if not raw.startswith(b"PK"):
        _not_a_model(path, raw)
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            files = set(npz.files)
            if "meta" not in files:
                _not_a_model(path, raw)
            meta = json.loads(bytes(npz["meta"]).decode("utf-8"))
            arrays = {name: npz[name] for name in files if name != "meta"}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        if zipfile.is_zipfile(io.BytesIO(raw)) and "pickle" not in str(exc):
            _fail(path, f"the file is truncated or damaged ({type(exc).__name__}: "
                        f"{exc}).")
        if "pickle" in str(exc):  # an .npz holding object arrays
            _fail(path, "not a fastnn model file: it looks like a NumPy .npz archive "
                        "of Python objects.")
        _fail(path, "the file is truncated or damaged: it is not a complete ZIP archive.")
    if not isinstance(meta, dict) or meta.get("format") != "fastnn":
        _fail(path, "not a fastnn model file: its metadata is not fastnn's.")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        _fail(path, f"it was written in format version {version}, newer than this fastnn "
                    f"reads ({FORMAT_VERSION}); upgrade fastnn.")
    expected = meta.pop("checksum", None)
    if expected != _checksum(arrays, meta):
        _fail(path, "the checksum does not match: the file is corrupt.")
    if "pipeline" in meta:
        from ._pipeline_state import pipeline_from_state

        return pipeline_from_state(meta["pipeline"], arrays,
                                   lambda problem: _fail(path, problem))
    return estimator_from_state(meta, arrays, lambda problem: _fail(path, problem))


def estimator_from_state(meta, arrays, fail):
    """Rebuild a fitted estimator from :func:`estimator_state`'s output.

    Parameters
    ----------
    meta : dict
    arrays : dict of str to ndarray
    fail : callable
        ``fail(problem)`` raises the error for an inconsistent file.

    Returns
    -------
    DNNClassifier or DNNRegressor
    """
    from ._classifier import DNNClassifier
    from ._regressor import DNNRegressor

    classes = {"DNNClassifier": DNNClassifier, "DNNRegressor": DNNRegressor}
    if meta.get("estimator") not in classes:
        fail(f"unknown estimator {meta.get('estimator')!r}.")
    missing = [name for name in ("params", "buffers", "layout") if name not in arrays]
    if missing:
        fail(f"it has no {', '.join(missing)} array.")
    est = classes[meta["estimator"]](**from_json(meta["params"]))
    for name, value in from_json(meta["fitted"]).items():
        if name == "feature_names_in_":
            value = np.asarray(value, dtype=object)
        setattr(est, name, value)
    spec = meta["network"]
    net = Network(spec["layer_units"], spec["hidden_activation"], spec["out_activation"],
                  np.dtype(spec["dtype"]), batch_norm=spec["batch_norm"])
    if not np.array_equal(net.layout, arrays["layout"]) or (
            net.params.shape != arrays["params"].shape):
        fail("its layout does not match the network it describes.")
    net.params[:] = arrays["params"]
    net.buffers[:] = arrays["buffers"]
    est._net = net
    est._initial_loss = from_json(meta.get("initial_loss"))
    if "label_binarizer" in meta:
        lb = LabelBinarizer()
        lb.classes_ = from_json(meta["label_binarizer"]["classes"])
        lb.y_type_ = meta["label_binarizer"]["y_type"]
        lb.sparse_input_ = False
        est._label_binarizer = lb
        est.classes_ = lb.classes_
    if "optimizer" in meta:
        # the trainer as it was saved: its state covers the layers trainable then
        # (freeze_layers may have been changed since; the next partial_fit applies it)
        reg = dataclasses.replace(est._regularization(len(spec["layer_units"]) - 2),
                                  frozen=tuple(meta["optimizer"].get("frozen", ())))
        trainer = est._make_trainer(reg)
        if trainer.state.shape != arrays["opt_state"].shape:
            fail("its optimizer state does not match the network it describes.")
        trainer.state[...] = arrays["opt_state"]
        trainer.step = meta["optimizer"]["step"]
        trainer.hyper[:] = meta["optimizer"]["hyper"]
        est._trainer = trainer
        est._no_improvement_count = 0
    return est
