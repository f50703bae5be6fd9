"""``fastnn predict MODEL DATA [--out FILE] [--proba]``: predictions as CSV.

Columns: ``prediction`` (``prediction_<j>`` per output for multi-output or
multilabel models); with ``--proba`` also ``proba_<class>`` per class. Rows are
in the order of DATA. The CSV goes to standard output unless ``--out`` names a
file.
"""
import sys

from .data import check_writable, read_prediction_features
from .errors import CLIError


def add_parser(subparsers):
    """Register the ``predict`` command."""
    p = subparsers.add_parser(
        "predict", help="write a saved model's predictions for a data file as CSV",
        description=__doc__.split("\n\n")[1].replace("\n", " ").replace("``", ""),
    )
    p.add_argument("model", metavar="MODEL", help="a model saved by fastnn train / est.save")
    p.add_argument("data", metavar="DATA",
                   help="features as they come (the model file holds its preprocessing): "
                        ".csv / .tsv (the model's columns by name, in any order, when it was "
                        "trained on named columns; other columns are ignored), .npz (array "
                        "X, with feature_names if it has them) or a 2-D .npy array")
    p.add_argument("--out", metavar="FILE", help="CSV file to write (default: standard output)")
    p.add_argument("--proba", action="store_true",
                   help="also write the class probabilities (classifiers only)")
    p.add_argument("--target", metavar="COLUMN",
                   help="a column of DATA to leave out, for a model trained on an array "
                        "file: a name (CSV) or an index (.npy)")
    p.set_defaults(func=predict)


def prediction_table(model, X, proba=False):
    """Predictions (and probabilities) of ``model`` for ``X`` as a DataFrame.

    Parameters
    ----------
    model : DNNClassifier, DNNRegressor or Pipeline
    X : array-like of shape (n_samples, n_features)
    proba : bool, default=False
        Add a ``proba_<class>`` column per class.

    Returns
    -------
    pandas.DataFrame
    """
    try:
        import pandas as pd
    except ImportError:
        raise CLIError("writing predictions as CSV needs pandas: pip install pandas") from None

    pred = model.predict(X)
    if pred.ndim == 1:
        columns = {"prediction": pred}
    else:
        labels = getattr(model, "classes_", range(pred.shape[1]))
        columns = {f"prediction_{c}": pred[:, j] for j, c in enumerate(labels)}
    if proba:
        P = model.predict_proba(X)
        columns.update({f"proba_{c}": P[:, j] for j, c in enumerate(model.classes_)})
    return pd.DataFrame(columns)


def _load_model(path, data):
    """The model of ``path``; when it is not a model file but ``data`` is one, say
    that the arguments look swapped."""
    from ..io.persistence import load
    from ..exceptions import ModelFileError

    try:
        return load(path)
    except ModelFileError as exc:
        if "not a fastnn model file" in str(exc):
            try:
                load(data)
            except (ModelFileError, OSError):
                raise exc from None
            raise CLIError(f"{exc} {data} is a model file: the arguments look swapped; the "
                           "order is fastnn predict MODEL DATA") from None
        raise


def model_inputs(model):
    """``(feature_names, n_features, raw)``: the columns a saved model takes, and
    whether it preprocesses them itself (a pipeline)."""
    from sklearn.pipeline import Pipeline

    first = model.steps[0][1] if isinstance(model, Pipeline) else model
    names = first.__dict__.get("feature_names_in_")
    return (None if names is None else list(names)), first.n_features_in_, (
        isinstance(model, Pipeline))


def predict(args):
    """Run ``fastnn predict`` (see the module docstring)."""
    model = _load_model(args.model, args.data)
    if args.proba and not hasattr(model, "predict_proba"):
        from ..table.pipeline import final_network

        raise CLIError(f"--proba needs a classifier, but {args.model} holds a "
                       f"{type(final_network(model)).__name__}")
    if args.out:
        check_writable(args.out, "predictions")
    feature_names, n_features, raw = model_inputs(model)
    X = read_prediction_features(args.data, feature_names, n_features, target=args.target,
                                 raw=raw)
    table = prediction_table(model, X, args.proba)
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {len(table)} predictions to {args.out}")
    else:
        table.to_csv(sys.stdout, index=False)
    return 0
