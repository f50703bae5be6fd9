"""The hand-built scikit-learn reference for ``fastnn train`` on the customer table.

``Pipeline([ColumnTransformer([SimpleImputer + StandardScaler on the numeric
columns, OneHotEncoder on the text columns]), MLPClassifier()])`` with
scikit-learn's defaults, trained on the rows ``fastnn train --random-state SEED``
trains on and scored on the rows it holds out (the same split)::

    python tests/customers_baseline.py customers.csv --target churn --seed 0
"""
import argparse
import warnings

import numpy as np


def reference_pipeline(numeric, categorical, random_state=0):
    """The pipeline a careful scikit-learn user builds by hand for this table."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         list(numeric)),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), list(categorical)),
    ])
    return Pipeline([("columns", columns),
                     ("model", MLPClassifier(random_state=random_state))])


def reference_accuracy(frame, target, seed, validation_fraction=0.1):
    """Validation accuracy of :func:`reference_pipeline` on ``fastnn train``'s split.

    Returns
    -------
    accuracy : float
    majority : float
        The share of the most frequent class among the validation rows.
    """
    from sklearn.exceptions import ConvergenceWarning

    from fastnn.cli.data import choose_task
    from fastnn.cli.train import holdout

    X = frame.drop(columns=[target])
    task, y, _ = choose_task(frame[target].to_numpy())
    X_tr, y_tr, X_val, y_val = holdout(X, y, validation_fraction, task, seed)
    numeric = [c for c in X.columns if X[c].dtype.kind in "fiu"]
    categorical = [c for c in X.columns if c not in numeric]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = reference_pipeline(numeric, categorical, seed).fit(X_tr, y_tr)
    _, counts = np.unique(y_val, return_counts=True)
    return float(pipe.score(X_val, y_val)), float(counts.max() / len(y_val))


if __name__ == "__main__":
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--target", default="churn")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    accuracy, majority = reference_accuracy(pd.read_csv(args.path), args.target, args.seed)
    print(f"MLPClassifier pipeline: validation accuracy {accuracy:.4f} "
          f"(most frequent class alone: {majority:.4f})")
