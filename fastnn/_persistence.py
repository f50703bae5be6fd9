"""The safe native model format: ``est.save(path)`` and ``fastnn.load(path)``.

A model file is a ZIP archive written by :func:`numpy.savez` with no pickle inside:

- ``params``, ``buffers``, ``layout``: the network's flat parameter buffer, its
  non-trained buffer (batch-norm running statistics, fixed slopes) and layout;
- ``opt_state``: the optimizer state, when the model was trained by a stochastic
  solver (so ``partial_fit`` / ``warm_start`` continue where they stopped);
- ``meta``: UTF-8 JSON with the format version, the estimator class, its
  parameters, fitted attributes and classes, and a SHA-256 checksum of
  everything else.

Loading reads it with ``allow_pickle=False``, checks the version and the checksum,
and rebuilds the estimator without compiling anything.
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
#: with non-string keys. Version 1 files still load.
FORMAT_VERSION = 2
#: Types to pass as ``trusted`` to ``skops.io.load`` for a fastnn estimator
#: (scikit-learn's own types, such as LabelBinarizer, are trusted by skops already).
SKOPS_TRUSTED_TYPES = [
    "fastnn._classifier.DNNClassifier",
    "fastnn._regressor.DNNRegressor",
    "fastnn._network.Network",
    "fastnn._solvers.MinibatchTrainer",
    "fastnn._solvers.Regularization",
    "numpy.dtype",
]
_ARRAYS = ("params", "buffers", "layout", "opt_state")
_FITTED = ("n_features_in_", "n_iter_", "t_", "n_outputs_", "n_layers_", "out_activation_",
           "loss_", "best_loss_", "loss_curve_", "validation_scores_",
           "best_validation_score_", "validation_loss_curve_", "history_")


def _to_json(value):
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _to_json(v) for k, v in value.items()}
        # e.g. class_weight={0: 1.0, 1: 5.0}: keep the key types
        return {"__items__": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    return value


def _from_json(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        if "__float__" in value:
            return float(value["__float__"])
        if "__tuple__" in value:
            return tuple(_from_json(v) for v in value["__tuple__"])
        if "__items__" in value:
            return {_from_json(k): _from_json(v) for k, v in value["__items__"]}
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
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


def save(est, path):
    """Write a fitted estimator to ``path`` in the safe native format.

    Parameters
    ----------
    est : DNNClassifier or DNNRegressor
        A fitted estimator.
    path : str or path-like
        Destination file (conventionally ``*.fastnn``).

    Notes
    -----
    ``callbacks`` are not saved (they are code); a ``RandomState`` instance as
    ``random_state``, or an estimator as ``init_from``, is saved as None (a path
    given as ``init_from`` is kept).
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
        "format": "fastnn", "format_version": FORMAT_VERSION,
        "estimator": type(est).__name__, "params": _to_json(params),
        "fitted": _to_json(fitted),
        "network": {"layer_units": net.layer_units, "hidden_activation": net.hidden_activation,
                    "out_activation": net.out_activation, "dtype": net.dtype.str,
                    "batch_norm": net.batch_norm},
        "initial_loss": _to_json(est.__dict__.get("_initial_loss")),
    }
    lb = est.__dict__.get("_label_binarizer")
    if lb is not None:
        meta["label_binarizer"] = {"classes": _to_json(lb.classes_), "y_type": lb.y_type_}
    arrays = {"params": net.params, "buffers": net.buffers, "layout": net.layout}
    trainer = est.__dict__.get("_trainer")
    if trainer is not None:
        arrays["opt_state"] = trainer.state
        meta["optimizer"] = {"step": trainer.step, "hyper": trainer.hyper.tolist(),
                             "frozen": [int(l) for l in np.flatnonzero(trainer.frozen)]}
    meta["checksum"] = _checksum(arrays, meta)
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, meta=blob, **arrays)


def _fail(path, problem):
    raise ModelFileError(f"Cannot load fastnn model {str(path)!r}: {problem}")


def load(path):
    """Read an estimator written by :meth:`save` (no pickle is involved).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    DNNClassifier or DNNRegressor
        The fitted estimator, ready to predict or to continue training.

    Raises
    ------
    ModelFileError
        If the file is missing, truncated or corrupt (checksum mismatch), is not
        a fastnn model, or was written by a newer version of the format.
    """
    from ._classifier import DNNClassifier
    from ._regressor import DNNRegressor

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        _fail(path, f"{exc.strerror or exc}.")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            files = set(npz.files)
            if "meta" not in files:
                _fail(path, "it is not a fastnn model file (no metadata).")
            meta = json.loads(bytes(npz["meta"]).decode("utf-8"))
            arrays = {name: npz[name] for name in _ARRAYS if name in files}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        _fail(path, f"the file is truncated or not a fastnn model ({type(exc).__name__}: {exc}).")
    if meta.get("format") != "fastnn":
        _fail(path, "it is not a fastnn model file.")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        _fail(path, f"it was written in format version {version}, newer than this fastnn "
                    f"reads ({FORMAT_VERSION}); upgrade fastnn.")
    expected = meta.pop("checksum", None)
    if expected != _checksum(arrays, meta):
        _fail(path, "the checksum does not match: the file is corrupt.")
    classes = {"DNNClassifier": DNNClassifier, "DNNRegressor": DNNRegressor}
    if meta["estimator"] not in classes:
        _fail(path, f"unknown estimator {meta['estimator']!r}.")
    est = classes[meta["estimator"]](**_from_json(meta["params"]))
    for name, value in _from_json(meta["fitted"]).items():
        if name == "feature_names_in_":
            value = np.asarray(value, dtype=object)
        setattr(est, name, value)
    spec = meta["network"]
    net = Network(spec["layer_units"], spec["hidden_activation"], spec["out_activation"],
                  np.dtype(spec["dtype"]), batch_norm=spec["batch_norm"])
    if not np.array_equal(net.layout, arrays["layout"]) or (
            net.params.shape != arrays["params"].shape):
        _fail(path, "its layout does not match the network it describes.")
    net.params[:] = arrays["params"]
    net.buffers[:] = arrays["buffers"]
    est._net = net
    est._initial_loss = _from_json(meta.get("initial_loss"))
    if "label_binarizer" in meta:
        lb = LabelBinarizer()
        lb.classes_ = _from_json(meta["label_binarizer"]["classes"])
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
            _fail(path, "its optimizer state does not match the network it describes.")
        trainer.state[...] = arrays["opt_state"]
        trainer.step = meta["optimizer"]["step"]
        trainer.hyper[:] = meta["optimizer"]["hyper"]
        est._trainer = trainer
        est._no_improvement_count = 0
    return est
