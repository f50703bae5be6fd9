"""fastnn's safe native file format: the container and the network's part of it.

A model file is a ZIP archive written by :func:`numpy.savez` with no pickle
inside: JSON metadata in the entry ``meta`` (the format version, what the file
holds, a SHA-256 checksum of everything else) and NumPy arrays. It holds one
estimator or a pipeline (:mod:`fastnn.io.persistence`). This module writes and
reads the container (:func:`write_file`, :func:`read_file`, with an error that
names the file for every way a file can be wrong), converts values to JSON and
back, and stores a network plan (:func:`network_state`,
:func:`network_from_state`), so that the estimators can save themselves and
``init_from`` can read a file's network without the layers above.
"""
import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ..exceptions import ModelFileError
from ..nn.plan import Network

#: 2: parameters freeze_layers and n_threads, the optimizer's frozen layers, dicts
#: with non-string keys. 3: pipelines (TablePreprocessor, StandardScaler,
#: TransformedTargetRegressor steps). 4: the network's plan (layer norm, dropout
#: layers) and the optimizer's settings by name, no ``layout`` array. Files of
#: versions 1 to 3 still load.
FORMAT_VERSION = 4


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


def write_file(path, meta, arrays):
    """Write ``meta`` (JSON-ready, without format fields) and ``arrays`` to ``path``."""
    meta = {"format": "fastnn", "format_version": FORMAT_VERSION, **meta}
    meta["checksum"] = _checksum(arrays, meta)
    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, meta=blob, **arrays)


def _fail(path, problem):
    raise ModelFileError(f"Cannot load fastnn model {str(path)!r}: {problem}")


def _not_a_model(path, raw):
    from .sniff import describe_content

    _fail(path, f"not a fastnn model file: it looks like {describe_content(raw)}.")


def read_file(path):
    """The metadata and arrays of a fastnn model file, checked.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    meta : dict
        The JSON metadata, without its checksum.
    arrays : dict of str to ndarray

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
    return meta, arrays


def network_state(net):
    """The network's description (JSON) and arrays (``params``, ``buffers``)."""
    spec = {"layer_units": net.layer_units, "hidden_activation": net.hidden_activation,
            "out_activation": net.out_activation, "dtype": net.dtype.str,
            "batch_norm": net.batch_norm, "layer_norm": net.layer_norm,
            "dropout": list(net.dropout)}
    return spec, {"params": net.params, "buffers": net.buffers}


def network_from_state(spec, arrays, fail):
    """Rebuild the network :func:`network_state` stored (any format version).

    ``fail(problem)`` raises the error for an inconsistent file.
    """
    missing = [name for name in ("params", "buffers") if name not in arrays]
    if missing:
        fail(f"it has no {', '.join(missing)} array.")
    net = Network(spec["layer_units"], spec["hidden_activation"], spec["out_activation"],
                  np.dtype(spec["dtype"]), batch_norm=spec["batch_norm"],
                  layer_norm=spec.get("layer_norm", False), dropout=spec.get("dropout", ()))
    if net.params.shape != arrays["params"].shape or (
            net.buffers.shape != arrays["buffers"].shape):
        fail("its parameters do not match the network it describes.")
    net.params[:] = arrays["params"]
    net.buffers[:] = arrays["buffers"]
    return net


def final_network(path):
    """The network of the fastnn estimator a model file holds, or that of the
    last step of a pipeline file (``init_from`` reads a file with it)."""
    meta, arrays = read_file(path)

    def fail(problem):
        _fail(path, problem)

    if "pipeline" in meta:  # steps' arrays are named "<step index>.<array>"
        index = len(meta["pipeline"]) - 1
        entry = meta["pipeline"][-1]
        prefix = f"{index}."
        if entry.get("type") == "TransformedTargetRegressor":
            entry, prefix = entry["regressor"], prefix + "regressor."
        arrays = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        meta = entry
    if "network" not in meta:
        fail("its last step is not a fastnn estimator.")
    return network_from_state(meta["network"], arrays, fail)
