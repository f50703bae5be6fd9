"""TablePreprocessor: a real-world table (numbers, categories, booleans, gaps) as
the numeric matrix a network trains on.

Each input column gets one of four kinds, decided in :meth:`~TablePreprocessor.fit`:

- ``numeric``: missing values are imputed (median by default) and, when the
  column had any in training, flagged in an extra 0 / 1 column
  ``<name>=(missing)``; then the column is standardised to mean 0 and standard
  deviation 1 (statistics of the imputed training values, as ``SimpleImputer``
  followed by ``StandardScaler`` gives).
- ``boolean``: 0 / 1, imputed and flagged like a numeric column, not scaled.
- ``categorical`` (strings, pandas categories, the columns named in
  ``categorical``, and integer columns with at most ``categorical_integers``
  distinct values): one 0 / 1 column ``<name>=<level>`` per level seen in at
  least ``min_frequency`` training rows; rarer levels share ``<name>=(other)``,
  missing values get ``<name>=(missing)``. At transform time a level never seen
  in fit goes to ``(other)`` when the column has one, else to all zeros with a
  warning, as ``OneHotEncoder(handle_unknown='infrequent_if_exist')`` would; a
  missing value in a column that had none in fit is all zeros.
- ``dropped``: a column without a single value in training.

Why a fastnn transformer and not ``ColumnTransformer([SimpleImputer +
StandardScaler, OneHotEncoder])``: a model file must be saved in the safe native
format (arrays and JSON, no pickle) and predict bit-identically after loading,
under whatever scikit-learn version loads it. The fitted state of scikit-learn's
transformers includes private attributes (``OneHotEncoder._infrequent_indices``,
``_default_to_infrequent_mappings``, ``_n_features_outs``; ``ColumnTransformer.
_columns``, ``_remainder``, ``_transformer_to_input_indices``...) that have been
added, renamed and re-meant between releases, so rebuilding them from saved values
is correct only for the versions it was written against. This transformer's
whole fitted state is the public attributes listed in :data:`FITTED_STATE`:
float64 arrays saved as arrays (bit-exact) and lists of strings saved as JSON,
and its transform depends on nothing else. It is an ordinary scikit-learn
transformer, so it works inside ``Pipeline``, ``GridSearchCV`` and
``cross_val_score``, and ``set_output(transform='pandas')``.
"""
import math
import sys
import warnings
from numbers import Integral, Real
from textwrap import indent

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

#: The kinds a column can be given.
KINDS = ("numeric", "boolean", "categorical", "dropped")
#: Level names of the shared columns of a categorical feature.
OTHER, MISSING = "(other)", "(missing)"
#: The fitted state: attribute -> how it is stored ('array': a NumPy array,
#: 'json': JSON values). Nothing else is needed to transform.
FITTED_STATE = {
    "n_features_in_": "json",        # int
    "feature_names_in_": "json",     # list of str; only when fitted on named columns
    "n_samples_seen_": "json",       # int: training rows
    "kinds_": "json",                # list of str, one of KINDS per column
    "n_missing_": "array",           # int64 (n_features_in_,): missing values in training
    "fill_values_": "array",         # float64: imputed value (numeric, boolean), else NaN
    "indicators_": "array",          # bool: a <name>=(missing) column (numeric, boolean)
    "means_": "array",               # float64: subtracted (numeric and standardize), else 0
    "scales_": "array",              # float64: divided by (numeric and standardize), else 1
    "categories_": "json",           # list (per column) of kept levels (str), [] if none
    "other_": "array",               # bool: a <name>=(other) column (categorical)
    "n_grouped_": "array",           # int64: rare levels grouped into (other)
    "missing_level_": "array",       # bool: a <name>=(missing) column (categorical)
}
_IMPUTE = ("median", "mean", "zero")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


#: Documentation of the preprocessing parameters, shared with
#: :func:`fastnn.make_table_pipeline` (written once, used twice).
PREPROCESSING_PARAMETERS = """\
categorical : list of str or int, default=None
    Columns (names, or indices for arrays) to treat as categorical besides
    those detected from their values (strings, pandas categories).
categorical_integers : int, default=0
    Integer-valued numeric columns with at most this many distinct values
    are categorical (0: integers stay numeric).
impute : {'median', 'mean', 'zero'}, default='median'
    Value that replaces a missing number or boolean.
missing_indicator : bool, default=True
    Add a 0 / 1 column ``<name>=(missing)`` for each numeric or boolean
    column that had missing values in training.
standardize : bool, default=True
    Scale numeric columns to mean 0 and standard deviation 1 (a constant
    column is only centred).
min_frequency : int or float, default=10
    Levels seen in fewer training rows than this (a float in (0, 1): this
    share of the rows) are grouped into ``<name>=(other)``.
max_categories : int or None, default=None
    At most this many columns per categorical feature, ``(other)``
    included and ``(missing)`` not: the most frequent levels are kept.
"""


class TablePreprocessor(TransformerMixin, BaseEstimator):
    __doc__ = f"""Impute, one-hot encode and standardise the columns of a table.

    The preprocessing ``fastnn train`` applies, as a scikit-learn transformer:
    numeric columns are imputed (with a missing-value indicator) and
    standardised, categorical columns one-hot encoded with rare levels grouped,
    boolean columns turned into 0 / 1. See the module docstring for the rules
    and :func:`fastnn.make_table_pipeline` for the whole pipeline.

    Parameters
    ----------
{indent(PREPROCESSING_PARAMETERS, "    ").rstrip()}

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame with string column names.
    n_samples_seen_ : int
    kinds_ : list of str
        ``'numeric'``, ``'boolean'``, ``'categorical'`` or ``'dropped'`` per
        column.
    n_missing_ : ndarray of int64
        Missing values per column in the training rows.
    fill_values_ : ndarray of float64
        The imputed value of numeric and boolean columns (NaN for others).
    indicators_ : ndarray of bool
        Whether a numeric or boolean column has a missing-value column.
    means_, scales_ : ndarray of float64
        Standardisation of numeric columns: ``(x - mean) / scale``.
    categories_ : list of list of str
        The levels kept as columns, per categorical column, sorted.
    other_ : ndarray of bool
        Whether a categorical column has an ``(other)`` column.
    n_grouped_ : ndarray of int64
        Rare levels grouped into ``(other)``, per categorical column.
    missing_level_ : ndarray of bool
        Whether a categorical column has a ``(missing)`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> from fastnn import TablePreprocessor
    >>> df = pd.DataFrame({{"age": [30, None, 50], "plan": ["a", "b", "a"]}})
    >>> pre = TablePreprocessor(min_frequency=1).fit(df)
    >>> list(pre.get_feature_names_out())
    ['age', 'age=(missing)', 'plan=a', 'plan=b']
    """

    _parameter_constraints = {
        "categorical": ["array-like", None],
        "categorical_integers": [Interval(Integral, 0, None, closed="left")],
        "impute": [StrOptions(set(_IMPUTE))],
        "missing_indicator": ["boolean"],
        "standardize": ["boolean"],
        "min_frequency": [Interval(Integral, 1, None, closed="left"),
                          Interval(RealNotInt, 0, 1, closed="neither")],
        "max_categories": [Interval(Integral, 2, None, closed="left"), None],
    }

    def __init__(self, *, categorical=None, categorical_integers=0, impute="median",
                 missing_indicator=True, standardize=True, min_frequency=10,
                 max_categories=None):
        self.categorical = categorical
        self.categorical_integers = categorical_integers
        self.impute = impute
        self.missing_indicator = missing_indicator
        self.standardize = standardize
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Decide each column's kind and learn its imputation, scaling and levels.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            The table: numbers, strings, booleans, pandas categories; missing
            values as NaN, None or ``pd.NA``.
        y : None
            Ignored.

        Returns
        -------
        self : TablePreprocessor
            The fitted transformer.

        Raises
        ------
        ValueError
            For a column of dates, infinite numbers, or a ``categorical`` entry
            that names no column.
        """
        columns = _table_columns(X)
        validate_data(self, X, skip_check_array=True, reset=True)
        n = _n_rows(X)
        if n == 0 or not columns:
            raise ValueError(f"Found array with {'0 sample(s)' if n == 0 else '0 feature(s)'} "
                             f"(shape=({n}, {len(columns)})) while a minimum of 1 is required "
                             "by TablePreprocessor.")
        forced = self._forced_categorical(columns)
        m = len(columns)
        self.n_samples_seen_ = int(n)
        self.kinds_ = []
        self.n_missing_ = np.zeros(m, dtype=np.int64)
        self.fill_values_ = np.full(m, np.nan)
        self.indicators_ = np.zeros(m, dtype=bool)
        self.means_ = np.zeros(m)
        self.scales_ = np.ones(m)
        self.categories_ = [[] for _ in range(m)]
        self.other_ = np.zeros(m, dtype=bool)
        self.n_grouped_ = np.zeros(m, dtype=np.int64)
        self.missing_level_ = np.zeros(m, dtype=bool)
        for j, (name, values, hint) in enumerate(columns):
            kind = self._kind(name, values, hint, j in forced)
            if kind == "categorical":
                levels = level_strings(values)
                missing = np.array([v is None for v in levels], dtype=bool)
            else:
                numbers = _numbers(name, values, kind)
                missing = np.isnan(numbers)
            self.n_missing_[j] = int(missing.sum())
            if missing.all():
                kind = "dropped"
            self.kinds_.append(kind)
            if kind == "categorical":
                self._fit_levels(j, levels[~missing], n)
            elif kind in ("numeric", "boolean"):
                self._fit_numbers(j, numbers, missing, kind)
        return self

    def _forced_categorical(self, columns):
        """Indices of the columns named in ``categorical``."""
        if self.categorical is None:
            return set()
        names = [name for name, _, _ in columns]
        named = getattr(self, "feature_names_in_", None) is not None
        chosen = set()
        for entry in self.categorical:
            if named and isinstance(entry, str) and entry in names:
                chosen.add(names.index(entry))
            elif (isinstance(entry, Integral) and not isinstance(entry, bool)
                  and -len(names) <= entry < len(names)):
                chosen.add(int(entry) % len(names))
            else:
                raise ValueError(f"categorical names {entry!r}, which is not a column of X "
                                 f"(the columns are {', '.join(map(repr, names[:8]))}"
                                 f"{' ...' if len(names) > 8 else ''}).")
        return chosen

    def _kind(self, name, values, hint, forced):
        if hint == "datetime":
            raise ValueError(f"column {name!r} holds dates or times; TablePreprocessor takes "
                             "numbers, booleans and categories: convert it first (for "
                             "example to days since a start date) or leave it out.")
        if forced or hint in ("category", "text"):
            return "categorical"
        if hint == "bool":
            return "boolean"
        if self.categorical_integers > 0:
            finite = values[~np.isnan(values)]
            if finite.size and np.all(np.mod(finite, 1) == 0):
                if np.unique(finite).size <= self.categorical_integers:
                    return "categorical"
        return "numeric"

    def _fit_numbers(self, j, numbers, missing, kind):
        observed = numbers[~missing]
        if self.impute == "median":
            fill = float(np.median(observed))
        elif self.impute == "mean":
            fill = float(np.mean(observed))
        else:
            fill = 0.0
        self.fill_values_[j] = fill
        self.indicators_[j] = bool(self.missing_indicator and missing.any())
        if kind == "numeric" and self.standardize:
            filled = np.where(missing, fill, numbers)
            mean = float(np.mean(filled))
            scale = float(np.std(filled))
            self.means_[j] = mean
            self.scales_[j] = scale if np.isfinite(scale) and scale > 0 else 1.0

    def _fit_levels(self, j, observed, n):
        levels, counts = np.unique(observed.astype(str), return_counts=True)
        threshold = (self.min_frequency if isinstance(self.min_frequency, Integral)
                     else self.min_frequency * n)
        keep = counts >= threshold
        if self.max_categories is not None:
            room = self.max_categories - (0 if keep.all() else 1)
            if keep.sum() > room:
                room = self.max_categories - 1
                order = np.argsort(-counts, kind="stable")  # most frequent first
                top = np.zeros_like(keep)
                top[[i for i in order if keep[i]][:room]] = True
                keep = top
        self.categories_[j] = [str(v) for v in levels[keep]]
        self.n_grouped_[j] = int((~keep).sum())
        self.other_[j] = bool(self.n_grouped_[j] > 0)
        self.missing_level_[j] = bool(self.n_missing_[j] > 0)

    # ------------------------------------------------------------ transform
    def transform(self, X):
        """Encode the table as a float64 matrix (see :meth:`get_feature_names_out`).

        A DataFrame's columns are taken by name when the transformer was fitted
        on named columns (their order does not matter, other columns are
        ignored); arrays are taken by position.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            The table, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out)
            Imputed, standardised and one-hot encoded columns.

        Raises
        ------
        ValueError
            For missing columns, a wrong width, or values a column cannot take
            (text in a numeric column).
        """
        check_is_fitted(self)
        columns = self._transform_columns(X)
        n = columns[0][1].shape[0]
        blocks = []
        for j, (name, values, hint) in enumerate(columns):
            kind = self.kinds_[j]
            if hint == "datetime" and kind != "dropped":
                raise ValueError(f"column {name!r} holds dates or times, but was a {kind} "
                                 "column in fit.")
            if kind in ("numeric", "boolean"):
                blocks.extend(self._transform_numbers(j, _numbers(name, values, kind)))
            elif kind == "categorical":
                blocks.append(self._transform_levels(j, name, level_strings(values), n))
        if not blocks:
            return np.zeros((n, 0))
        return np.ascontiguousarray(np.column_stack(blocks), dtype=np.float64)

    def _transform_columns(self, X):
        names = getattr(self, "feature_names_in_", None)
        frame_names = _frame_columns(X)
        if names is not None and frame_names is not None:
            absent = [c for c in names if c not in set(frame_names)]
            if absent:
                shown = ", ".join(map(repr, absent[:8]))
                more = f" and {len(absent) - 8} more" if len(absent) > 8 else ""
                raise ValueError(f"X is missing the {'column' if len(absent) == 1 else 'columns'}"
                                 f" {shown}{more} that TablePreprocessor was fitted on.")
            X = X[list(names)]
        elif names is not None:
            warnings.warn("X does not have valid feature names, but TablePreprocessor was "
                          "fitted with feature names; its columns are taken by position.",
                          UserWarning)
        columns = _table_columns(X)
        if len(columns) != self.n_features_in_:
            raise ValueError(f"X has {len(columns)} features, but TablePreprocessor is "
                             f"expecting {self.n_features_in_} features as input.")
        if names is not None:
            columns = [(name, values, hint) for name, (_, values, hint) in zip(names, columns)]
        return columns

    def _transform_numbers(self, j, numbers):
        missing = np.isnan(numbers)
        values = np.where(missing, self.fill_values_[j], numbers)
        if self.kinds_[j] == "numeric":
            values = (values - self.means_[j]) / self.scales_[j]
        blocks = [values]
        if self.indicators_[j]:
            blocks.append(missing.astype(np.float64))
        return blocks

    def _transform_levels(self, j, name, levels, n):
        kept = self.categories_[j]
        width = len(kept) + int(self.other_[j]) + int(self.missing_level_[j])
        out = np.zeros((n, width))
        index = {level: i for i, level in enumerate(kept)}
        other = len(kept) if self.other_[j] else -1
        missing = width - 1 if self.missing_level_[j] else -1
        missing_rows = np.array([v is None for v in levels], dtype=bool)
        codes = np.full(n, missing, dtype=np.int64)
        present = ~missing_rows
        if present.any():
            unique, inverse = np.unique(levels[present].astype(str), return_inverse=True)
            mapped = np.array([index.get(u, -2) for u in unique], dtype=np.int64)
            if (mapped == -2).any():
                if other < 0:  # levels that (other) does not cover: say so
                    self._warn_unseen(name, [str(u) for u, c in zip(unique, mapped)
                                             if c == -2])
                mapped[mapped == -2] = other
            codes[present] = mapped[inverse.ravel()]
        rows = np.flatnonzero(codes >= 0)
        out[rows, codes[rows]] = 1.0
        return out

    @staticmethod
    def _warn_unseen(name, unseen):
        shown = ", ".join(map(repr, unseen[:5])) + (" ..." if len(unseen) > 5 else "")
        warnings.warn(f"column {name!r}: {len(unseen)} "
                      f"{'level' if len(unseen) == 1 else 'levels'} not seen in fit "
                      f"({shown}); encoded as all zeros.", UserWarning)

    # ----------------------------------------------------------------- names
    def get_feature_names_out(self, input_features=None):
        """Get the names of the output columns.

        ``name`` for a numeric or boolean column, ``name=(missing)`` for its
        missing-value indicator, ``name=<level>`` and ``name=(other)`` for the
        one-hot columns of a categorical one.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input column names (default: ``feature_names_in_``, or ``x0``,
            ``x1``, ... without names).

        Returns
        -------
        ndarray of str (object)
            One name per column of :meth:`transform`'s output.
        """
        check_is_fitted(self)
        names = self._input_names(input_features)
        out = []
        for j, name in enumerate(names):
            kind = self.kinds_[j]
            if kind in ("numeric", "boolean"):
                out.append(name)
                if self.indicators_[j]:
                    out.append(f"{name}={MISSING}")
            elif kind == "categorical":
                out.extend(f"{name}={level}" for level in self.categories_[j])
                if self.other_[j]:
                    out.append(f"{name}={OTHER}")
                if self.missing_level_[j]:
                    out.append(f"{name}={MISSING}")
        return np.asarray(out, dtype=object)

    def _input_names(self, input_features):
        fitted = getattr(self, "feature_names_in_", None)
        if input_features is None:
            if fitted is not None:
                return [str(c) for c in fitted]
            return [f"x{j}" for j in range(self.n_features_in_)]
        input_features = [str(c) for c in input_features]
        if len(input_features) != self.n_features_in_:
            raise ValueError(f"input_features has {len(input_features)} names, but "
                             f"TablePreprocessor was fitted on {self.n_features_in_} columns.")
        if fitted is not None and list(fitted) != input_features:
            raise ValueError("input_features is not equal to feature_names_in_.")
        return input_features

    # -------------------------------------------------------------- report
    def describe(self):
        """Describe what :meth:`fit` decided for each input column.

        Returns
        -------
        list of str
            One line per input column: its kind, missing values and their
            imputation, scaling or levels.
        """
        check_is_fitted(self)
        n = self.n_samples_seen_
        lines = []
        for j, name in enumerate(self._input_names(None)):
            kind = self.kinds_[j]
            gaps = self.n_missing_[j]
            missing = f"{gaps} missing ({100 * gaps / n:.1f}%)" if gaps else "no missing values"
            if kind == "dropped":
                lines.append(f"{name}: dropped (no values in the {n} training rows)")
            elif kind in ("numeric", "boolean"):
                text = f"{name}: {kind}" + (" (0/1)" if kind == "boolean" else "")
                text += f", {missing}"
                if gaps:
                    text += f" -> {self.impute} {self.fill_values_[j]:.4g}"
                    if self.indicators_[j]:
                        text += f" + indicator '{name}={MISSING}'"
                if kind == "numeric":
                    text += (f"; standardised (mean {self.means_[j]:.4g}, sd "
                             f"{self.scales_[j]:.4g})" if self.standardize else "; not scaled")
                lines.append(text)
            else:
                kept = self.categories_[j]
                shown = ", ".join(kept[:6]) + (", ..." if len(kept) > 6 else "")
                text = (f"{name}: categorical, {len(kept) + self.n_grouped_[j]} levels -> "
                        + (f"one-hot {len(kept)} ({shown})" if kept else "none kept"))
                if self.other_[j]:
                    text += (f" + {self.n_grouped_[j]} rare grouped as "
                             f"'{name}={OTHER}'")
                if not kept and self.n_grouped_[j] > 1:
                    text += " (every level is rare: an identifier?)"
                text += f"; {missing}" + (f" -> '{name}={MISSING}'" if gaps else "")
                text += f"; unseen levels -> {'(other)' if self.other_[j] else 'all zeros'}"
                lines.append(text)
        return lines

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


# ------------------------------------------------------------------ columns
def _frame_columns(X):
    """A DataFrame's column labels, or None for other inputs."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    return list(columns)


def _table_columns(X):
    """``[(name, values, hint)]`` per column of ``X``.

    ``values`` is a float64 array (NaN for missing) when ``hint`` is
    ``'number'``, else an object array (None for missing); ``hint`` is one of
    ``'number'``, ``'bool'``, ``'category'``, ``'text'``, ``'datetime'``.
    """
    labels = _frame_columns(X)
    if labels is not None:
        return [_series_column(str(label), X.iloc[:, j]) for j, label in enumerate(labels)]
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError("TablePreprocessor does not take sparse matrices; pass a DataFrame "
                        "or a dense array.")
    A = np.asarray(X)
    if A.ndim != 2:
        raise ValueError(f"Expected a 2-D table, got an array of shape {A.shape}. Reshape "
                         "your data: X.reshape(-1, 1) for a single column, X.reshape(1, -1) "
                         "for a single row.")
    if A.dtype.kind == "c":
        raise ValueError("Complex data not supported by TablePreprocessor.")
    return [_array_column(f"x{j}", A[:, j]) for j in range(A.shape[1])]


def _n_rows(X):
    if _frame_columns(X) is not None:
        return len(X)
    return int(np.asarray(X).shape[0])


def _array_column(name, values):
    kind = values.dtype.kind
    if kind in "fiu":
        return name, values.astype(np.float64), "number"
    if kind == "b":
        return name, values.astype(np.float64), "bool"
    if kind in "mM":
        return name, values, "datetime"
    if kind in "US":
        return name, values.astype(object), "text"
    values = np.array([None if _is_missing(v) else v for v in values], dtype=object)
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (bool, np.bool_)) for v in present):
        return name, values, "bool"
    if all(isinstance(v, (Real, np.number)) and not isinstance(v, (bool, np.bool_))
           for v in present):
        return name, np.array([np.nan if v is None else float(v) for v in values]), "number"
    return name, values, "text"


def _series_column(name, series):
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return name, series.astype(object).to_numpy(dtype=object, na_value=None), "category"
    if types.is_bool_dtype(dtype):
        return name, series.to_numpy(dtype=object, na_value=None), "bool"
    if types.is_datetime64_any_dtype(dtype) or types.is_timedelta64_dtype(dtype):
        return name, series.to_numpy(dtype=object), "datetime"
    if types.is_numeric_dtype(dtype):
        return name, series.to_numpy(dtype=np.float64, na_value=np.nan), "number"
    return _array_column(name, series.to_numpy(dtype=object, na_value=None))


def _is_missing(value):
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    pandas = sys.modules.get("pandas")  # pd.NA and pd.NaT come only with pandas
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return True
    return False


def _numbers(name, values, kind):
    """A numeric or boolean column as float64 (NaN for missing), or ValueError."""
    if values.dtype == np.float64:
        numbers = values
    else:
        numbers = np.empty(values.shape[0])
        for i, v in enumerate(values):
            numbers[i] = _number(name, v, kind)
    if np.isinf(numbers).any():
        raise ValueError(f"column {name!r} holds infinite values; replace them (by NaN to "
                         "have them imputed) or leave the column out.")
    if kind == "boolean" and not np.isin(numbers[~np.isnan(numbers)], (0.0, 1.0)).all():
        raise ValueError(f"column {name!r} was a boolean column in fit, but holds values "
                         "other than true / false, 0 / 1.")
    return numbers


def _number(name, value, kind):
    if value is None or _is_missing(value):
        return np.nan
    if isinstance(value, (bool, np.bool_, Real, np.number)):
        return float(value)
    text = str(value).strip()
    if kind == "boolean" and text.lower() in _TRUE + _FALSE:
        return 1.0 if text.lower() in _TRUE else 0.0
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"column {name!r} was a {kind} column in fit, but holds the value "
                         f"{text[:40]!r}; give it numbers (missing values may be empty)."
                         ) from None


def level_strings(values):
    """The levels of a categorical column as strings (None for missing).

    Numbers are written the same way whatever their dtype (``3``, ``3.0`` and
    ``np.int64(3)`` are all ``'3'``), so a column read as integers at one time
    and as floats (because of a gap) at another keeps its levels.

    Parameters
    ----------
    values : ndarray
        Float64 (NaN for missing) or object (None for missing) values.

    Returns
    -------
    ndarray of object
    """
    out = np.empty(values.shape[0], dtype=object)
    for i, v in enumerate(values):
        if v is None or _is_missing(v):
            out[i] = None
        elif isinstance(v, (bool, np.bool_)):
            out[i] = str(bool(v))
        elif isinstance(v, (Real, np.number)):
            f = float(v)
            out[i] = str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)
        else:
            out[i] = str(v)
    return out
