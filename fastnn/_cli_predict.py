"""``fastnn predict MODEL DATA [--out FILE] [--proba]``: predictions as CSV.

Columns: ``prediction`` (``prediction_<j>`` per output for multi-output or
multilabel models); with ``--proba`` also ``proba_<class>`` per class. Rows are
in the order of DATA. The CSV goes to standard output unless ``--out`` names a
file.
"""
import sys

from ._cli_data import check_writable, read_prediction_features
from ._cli_errors import CLIError


def add_parser(subparsers):
    """Register the ``predict`` command."""
    p = subparsers.add_parser(
        "predict", help="write a saved model's predictions for a data file as CSV",
        description=__doc__.split("\n\n")[1].replace("\n", " ").replace("``", ""),
    )
    p.add_argument("model", metavar="MODEL", help="a model saved by fastnn train / est.save")
    p.add_argument("data", metavar="DATA",
                   help="features: .csv / .tsv (the model's columns by name when it was "
                        "trained on a CSV file; other columns are ignored), .npz (array X) "
                        "or a 2-D .npy array")
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
    model : DNNClassifier or DNNRegressor
    X : array-like of shape (n_samples, n_features)
    proba : bool, default=False
        Add a ``proba_<class>`` column per class.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

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


def predict(args):
    """Run ``fastnn predict`` (see the module docstring)."""
    from ._persistence import load

    model = load(args.model)
    if args.proba and not hasattr(model, "predict_proba"):
        raise CLIError(f"--proba needs a classifier, but {args.model} holds a "
                       f"{type(model).__name__}")
    if args.out:
        check_writable(args.out, "predictions")
    X = read_prediction_features(args.data, model, args.target)
    table = prediction_table(model, X, args.proba)
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {len(table)} predictions to {args.out}")
    else:
        table.to_csv(sys.stdout, index=False)
    return 0
