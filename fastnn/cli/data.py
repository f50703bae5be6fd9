"""Data files of the ``fastnn`` command: reading them and choosing the task.

Formats, chosen by the file name's suffix:

- CSV (``.csv``; ``.tsv`` is tab-separated; either may be compressed as
  ``.gz``, ``.bz2``, ``.xz`` or ``.zip``): a header row; ``--target`` names the
  target column and every other column is a feature. Needs pandas.
- ``.npz``: arrays ``X`` (2-D, the features) and ``y`` (the target), or the
  array named by ``--target``; an optional ``feature_names`` array names the
  columns of ``X`` (a DataFrame is made of them when pandas is installed).
- ``.npy``: one 2-D array; ``--target`` is the index of the target column
  (negative counts from the end) and the other columns are the features.

The features are read as they are (text, categories, booleans, missing values):
the preprocessing of :mod:`fastnn.cli.preprocess` makes numbers of them, and
travels in the model file. Only ``--no-preprocess`` needs numeric, complete
features (:func:`numeric_features`).
"""
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CLIError, one_line

#: An integer-valued numeric target with at most this many distinct values is a
#: classification target under ``--task auto``.
MAX_AUTO_CLASSES = 20
TASKS = ("auto", "classification", "regression")
TASK_RULE = (
    "auto: classification when the target is not numeric (strings, booleans) or "
    f"holds at most {MAX_AUTO_CLASSES} distinct integer values (a 2-D .npz target: "
    "only 0 / 1 values), regression otherwise"
)
_COMPRESSED = (".gz", ".bz2", ".xz", ".zip")


@dataclass
class Dataset:
    """Features and target read from a file.

    Attributes
    ----------
    X : pandas.DataFrame or ndarray of shape (n_samples, n_features)
        A DataFrame (column names become the model's feature names) for CSV.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    source : str
        The file, for messages.
    target : str
        How the target was named (column, array key or column index).
    """

    X: object
    y: np.ndarray
    source: str
    target: str

    @property
    def n_features(self):
        return self.X.shape[1]


def names(values, limit=8, quote=True):
    """``'a', 'b' and 3 more``: a readable list of names for a message."""
    values = [repr(str(v)) if quote else str(v) for v in values]
    if len(values) > limit:
        return ", ".join(values[:limit]) + f" and {len(values) - limit} more"
    return ", ".join(values)


def check_writable(path, what):
    """Raise CLIError before any work when ``path``'s directory does not exist."""
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise CLIError(f"{path}: cannot write the {what} there: no directory {str(parent)!r}")


def _plural(items, word):
    return word if len(items) == 1 else word + "s"


def file_kind(path):
    """``'csv'``, ``'tsv'``, ``'npz'`` or ``'npy'`` from the suffix of ``path``."""
    name = Path(path).name.lower()
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    for kind in ("csv", "tsv", "npz", "npy"):
        if name.endswith("." + kind):
            return kind
    raise CLIError(f"{path}: unknown file type; use a .csv, .tsv, .npz or .npy file")


def _existing(path):
    path = Path(path)
    if not path.exists():
        raise CLIError(f"{path}: no such file")
    if path.is_dir():
        raise CLIError(f"{path}: is a directory, not a data file")
    return path


def _read_csv(path, kind):
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is in the test extra
        raise CLIError("reading CSV files needs pandas: pip install pandas") from None
    try:
        df = pd.read_csv(path, sep="\t" if kind == "tsv" else ",")
    except pd.errors.EmptyDataError:
        raise CLIError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CLIError(f"{path}: not a valid {kind.upper()} file: {first}") from None
    except UnicodeDecodeError:
        raise CLIError(f"{path}: not a {kind.upper()} text file (it is not UTF-8 text)") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise CLIError(f"{path}: cannot read it as {kind.upper()}: {one_line(exc)}") from None
    if df.shape[0] == 0:
        raise CLIError(f"{path}: no data rows below the header")
    return df


#: What to do about text or gaps for a network without preprocessing, in train
#: (``--no-preprocess``) and in predict (a network saved alone).
FIX_IN_TRAIN = "leave out --no-preprocess to have the preprocessing deal with them"
FIX_IN_PREDICT = ("this model is a network saved without preprocessing: prepare the data as "
                  "it was for training")


def _numeric_frame(df, source, fix=FIX_IN_TRAIN):
    """``df`` as float64 after checking every column is numeric and complete
    (a network without preprocessing)."""
    from pandas.api.types import is_numeric_dtype

    bad = [c for c in df.columns if not is_numeric_dtype(df[c])]
    if bad:
        them = "it" if len(bad) == 1 else "them"
        raise CLIError(
            f"{source}: non-numeric feature {_plural(bad, 'column')} {names(bad)}: the "
            f"network alone takes numbers only; {fix}, or leave {them} out"
        )
    missing = [c for c in df.columns if df[c].isna().any()]
    if missing:
        raise CLIError(f"{source}: missing values in {_plural(missing, 'column')} "
                       f"{names(missing)}: {fix}, or fill them in first")
    return df.astype(np.float64)


def _load_arrays(path, kind):
    """The arrays of an ``.npz`` (dict) or the array of an ``.npy`` file."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                loaded = {name: loaded[name] for name in loaded.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if "pickle" in str(exc):
            raise CLIError(f"{path}: not a numeric .{kind} file: it is not in NumPy's format, "
                           "or it holds pickled Python objects, which fastnn does not "
                           "load") from None
        raise CLIError(f"{path}: cannot read it as .{kind}: {one_line(exc)}") from None
    if kind == "npz" and not isinstance(loaded, dict):
        raise CLIError(f"{path}: holds a single array (.npy format), not an .npz archive; "
                       "rename it to .npy")
    if kind == "npy" and isinstance(loaded, dict):
        raise CLIError(f"{path}: is an .npz archive of arrays, not one .npy array; "
                       "rename it to .npz")
    return loaded


def _feature_array(X, source, what="the array", complete=False, fix=FIX_IN_TRAIN):
    """Check a 2-D numeric feature array (and, if ``complete``, that it has no NaN)."""
    if X.ndim != 2:
        raise CLIError(f"{source}: {what} must be 2-D (rows x features), "
                       f"got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise CLIError(f"{source}: {what} is empty (shape {X.shape})")
    if X.dtype.kind not in "biufU":
        raise CLIError(f"{source}: {what} has dtype {X.dtype}; fastnn needs numbers "
                       "(or text)")
    if complete and X.dtype.kind not in "biuf":
        raise CLIError(f"{source}: {what} holds text; the network alone takes numbers "
                       f"only; {fix}")
    if complete and X.dtype.kind == "f":
        cols = np.flatnonzero(np.isnan(X).any(axis=0))
        if cols.size:
            raise CLIError(f"{source}: missing values (NaN) in {_plural(cols, 'column')} "
                           f"{', '.join(map(str, cols[:8]))} of {what}: {fix}, or fill "
                           "them in first")
    return X


def _column_index(target, width, source, flag="--target"):
    try:
        index = int(target)
    except (TypeError, ValueError):
        raise CLIError(f"{source}: {flag} must be a column index for an array without "
                       f"column names (e.g. -1 for the last column), got {target!r}") from None
    if not -width <= index < width:
        raise CLIError(f"{source}: {flag} {index} is not a column of an array with "
                       f"{width} columns")
    return index % width


def _check_target(y, source, name, n_rows):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim not in (1, 2) or y.shape[0] != n_rows:
        raise CLIError(f"{source}: the target {name} has shape {y.shape} but the features "
                       f"have {n_rows} rows")
    if y.dtype.kind == "f":
        missing = int(np.isnan(y).sum())
    elif y.dtype.kind == "O":
        missing = sum(v is None or (isinstance(v, float) and np.isnan(v)) for v in y.ravel())
    else:
        missing = 0
    if missing:
        raise CLIError(f"{source}: the target {name} has {missing} missing values; drop "
                       "those rows first")
    return y


def _npz_feature_names(arrays, X, path):
    """The ``feature_names`` array of an ``.npz`` file as a list of str, or None."""
    if "feature_names" not in arrays:
        return None
    found = np.asarray(arrays["feature_names"]).ravel()
    if found.shape[0] != X.shape[1]:
        raise CLIError(f"{path}: array 'feature_names' has {found.shape[0]} names but 'X' "
                       f"has {X.shape[1]} columns")
    listed = [str(v) for v in found]
    if len(set(listed)) != len(listed):
        raise CLIError(f"{path}: array 'feature_names' repeats a name")
    return listed


def _named_table(X, feature_names, path):
    """``X`` as a DataFrame with ``feature_names`` (when both exist and pandas does)."""
    if feature_names is None:
        return X
    try:
        import pandas as pd
    except ImportError:
        print(f"fastnn: note: {path}: naming the columns after its feature_names needs "
              "pandas (pip install pandas); they are taken by position", file=sys.stderr)
        return X
    return pd.DataFrame(X, columns=feature_names)


def _drop_columns(X, drop, path):
    """``X`` without the ``--drop`` columns (names, or indices for arrays)."""
    if not drop:
        return X
    if hasattr(X, "columns"):
        unknown = [c for c in drop if c not in X.columns]
        if unknown:
            raise CLIError(f"{path}: --drop names no column {names(unknown)}; the columns "
                           f"are {names(X.columns)}")
        X = X.drop(columns=drop)
    else:
        X = np.delete(X, sorted({_column_index(c, X.shape[1], path, "--drop") for c in drop}),
                      axis=1)
    if X.shape[1] == 0:
        raise CLIError(f"{path}: --drop leaves no feature columns")
    return X


def read_training_data(path, target=None, drop=None):
    """Features and target of a training file.

    Parameters
    ----------
    path : str or path-like
        A CSV / TSV, ``.npz`` or ``.npy`` file (see the module docstring).
    target : str or None
        Target column (CSV), array key (``.npz``, default ``'y'``) or column
        index (``.npy``).
    drop : list of str or None
        Feature columns to leave out (names, or indices for arrays).

    Returns
    -------
    Dataset
        The features as read: text, categories and missing values included.

    Raises
    ------
    CLIError
        With a one-line message naming the file and the problem.
    """
    path = _existing(path)
    kind = file_kind(path)
    if kind in ("csv", "tsv"):
        if target is None:
            raise CLIError(f"{path}: name the target column with --target COLUMN")
        df = _read_csv(path, kind)
        if target not in df.columns:
            raise CLIError(f"{path}: no column {target!r}; the columns are "
                           f"{names(df.columns)}")
        if df.shape[1] < 2:
            raise CLIError(f"{path}: no feature columns besides the target {target!r}")
        X = _drop_columns(df.drop(columns=[target]), drop, path)
        y = _check_target(df[target].to_numpy(), path, repr(target), len(df))
        return Dataset(X, y, str(path), repr(target))
    arrays = _load_arrays(path, kind)
    if kind == "npz":
        key = "y" if target is None else target
        if "X" not in arrays:
            raise CLIError(f"{path}: no array 'X' (the features); the arrays are "
                           f"{names(arrays)}")
        if key not in arrays:
            hint = "; name the target array with --target KEY" if target is None else ""
            raise CLIError(f"{path}: no array {key!r} (the target){hint}; the arrays are "
                           f"{names(arrays)}")
        X = _feature_array(arrays["X"], path, "array 'X'")
        X = _named_table(X, _npz_feature_names(arrays, X, path), path)
        y = _check_target(arrays[key], path, repr(key), X.shape[0])
        return Dataset(_drop_columns(X, drop, path), y, str(path), repr(key))
    A = _feature_array(arrays, path)
    if target is None:
        raise CLIError(f"{path}: name the target column of the .npy array with --target "
                       "INDEX (e.g. --target -1 for the last column)")
    j = _column_index(target, A.shape[1], path)
    if A.shape[1] < 2:
        raise CLIError(f"{path}: no feature columns besides the target column {j}")
    X = np.ascontiguousarray(np.delete(A, j, axis=1))
    return Dataset(_drop_columns(X, drop, path),
                   _check_target(A[:, j], path, f"column {j}", A.shape[0]), str(path),
                   f"column {j}")


def numeric_features(X, source, fix=FIX_IN_TRAIN):
    """``X`` checked to be numeric and complete, for the network alone (float64
    DataFrame, or the array itself).

    Raises
    ------
    CLIError
        Naming the non-numeric or incomplete columns.
    """
    if hasattr(X, "columns"):
        return _numeric_frame(X, source, fix)
    return _feature_array(X, source, "the features", complete=True, fix=fix)


def read_prediction_features(path, feature_names, n_features, target=None, raw=True):
    """The features of a file to predict, as a fitted model expects them.

    A model fitted on named columns (a CSV file, an ``.npz`` file with
    ``feature_names``) takes a table's columns by name, in any order; other
    columns are ignored. Otherwise (and for files without names) the file must
    have exactly the model's number of features, after leaving out ``target``,
    and they are taken by position.

    Parameters
    ----------
    path : str or path-like
    feature_names : list of str or None
        The columns the model was fitted on, if it knows their names.
    n_features : int
    target : str or None
        A column (CSV), or column index (``.npy``), to leave out.
    raw : bool, default=True
        The model preprocesses its input (a pipeline): text and missing values
        are passed on. False: the features must be numeric and complete.

    Returns
    -------
    pandas.DataFrame or ndarray of shape (n_samples, n_features)

    Raises
    ------
    CLIError
        A missing column, a wrong width, a non-numeric column, an unreadable file.
    """
    path = _existing(path)
    kind = file_kind(path)

    def checked(table):
        return table if raw else numeric_features(table, path, FIX_IN_PREDICT)

    if kind in ("csv", "tsv"):
        df = _read_csv(path, kind)
        if feature_names is not None:
            return checked(_columns_by_name(df, feature_names, path))
        if target is not None:
            if target not in df.columns:
                raise CLIError(f"{path}: no column {target!r} to leave out; the columns are "
                               f"{names(df.columns)}")
            df = df.drop(columns=[target])
        X = checked(df).to_numpy()
    elif kind == "npz":
        arrays = _load_arrays(path, kind)
        if "X" not in arrays:
            raise CLIError(f"{path}: no array 'X' (the features); the arrays are "
                           f"{names(arrays)}")
        X = _feature_array(arrays["X"], path, "array 'X'", complete=not raw,
                           fix=FIX_IN_PREDICT)
        own_names = _npz_feature_names(arrays, X, path)
        if feature_names is not None and own_names is not None:
            table = _named_table(X, own_names, path)
            if hasattr(table, "columns"):
                return checked(_columns_by_name(table, feature_names, path))
    else:
        X = _feature_array(_load_arrays(path, kind), path, complete=not raw,
                           fix=FIX_IN_PREDICT)
        if target is not None:
            X = np.delete(X, _column_index(target, X.shape[1], path), axis=1)
    if X.shape[1] != n_features:
        hint = (" (leave out a target column with --target)"
                if X.shape[1] == n_features + 1 and kind != "npz" else "")
        raise CLIError(f"{path}: {X.shape[1]} feature columns, but the model was trained on "
                       f"{n_features}{hint}")
    if feature_names is not None:  # columns by position, under the names the model knows
        import pandas as pd

        return pd.DataFrame(X, columns=list(feature_names))
    return X if X.dtype.kind == "O" else np.ascontiguousarray(X)


def _columns_by_name(df, feature_names, path):
    missing = [c for c in feature_names if c not in df.columns]
    if missing:
        raise CLIError(f"{path}: missing {_plural(missing, 'column')} {names(missing)} that "
                       "the model was trained on")
    return df[list(feature_names)]


def choose_task(y, task="auto"):
    """Decide between classification and regression, and shape the target for it.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    task : {'auto', 'classification', 'regression'}
        ``'auto'`` follows :data:`TASK_RULE`.

    Returns
    -------
    task : str
        ``'classification'`` or ``'regression'``.
    y : ndarray
        Labels for classification (integer-valued floats become integers,
        mixed objects strings), floats for regression.
    reason : str
        Why, for the report.
    """
    y = np.asarray(y)
    numeric = y.dtype.kind in "iuf"
    integral = numeric and bool(np.all(np.isfinite(y)) and np.all(np.mod(y, 1) == 0))
    if task == "regression":
        if not numeric:
            raise CLIError(f"the target is not numeric (dtype {y.dtype}), so it cannot be "
                           "used for regression; use --task classification")
        return "regression", y.astype(np.float64), "--task regression"
    if task == "classification":
        return "classification", _labels(y, integral), "--task classification"
    if not numeric:
        kind = "booleans" if y.dtype.kind == "b" else "text"
        return "classification", _labels(y, integral), f"the target is not numeric ({kind})"
    values = np.unique(y)
    if y.ndim == 2:
        if integral and set(values.tolist()) <= {0, 1}:
            return "classification", _labels(y, True), "a 2-D target of 0 / 1 values"
        return "regression", y.astype(np.float64), "a 2-D numeric target"
    if integral and values.size <= MAX_AUTO_CLASSES:
        return ("classification", _labels(y, True),
                f"{values.size} distinct integer values, at most {MAX_AUTO_CLASSES}")
    why = (f"{values.size} distinct integer values, more than {MAX_AUTO_CLASSES}"
           if integral else "non-integer values")
    return "regression", y.astype(np.float64), why


def _labels(y, integral):
    if y.dtype.kind == "f" and integral:
        return y.astype(np.int64)
    if y.dtype.kind == "O":
        return y.astype(str)
    return y
