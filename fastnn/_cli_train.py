"""``fastnn train DATA --target COLUMN [options] --out MODEL``.

Reads a data file, chooses classification or regression, holds out
``--validation-fraction`` of the rows, fits a DNNClassifier or DNNRegressor
built from the estimator options (a progress bar on a terminal), prints the
validation metrics and the training time, and saves the model in the safe
native format.
"""
import re
import sys
import time
import warnings

import numpy as np

from ._cli_data import (
    TASK_RULE,
    TASKS,
    check_writable,
    choose_task,
    names,
    read_training_data,
)
from ._cli_errors import CLIError
from ._cli_options import add_estimator_options, estimator_kwargs
from ._cli_scaling import Standardizer

#: A feature or target whose mean or standard deviation exceeds this in absolute
#: value makes ``train`` suggest ``--standardize``.
UNSCALED = 50.0


def add_parser(subparsers, specs):
    """Register the ``train`` command.

    Parameters
    ----------
    subparsers : argparse subparsers action
    specs : list of OptionSpec
        The estimator options (:func:`fastnn._cli_options.option_specs`).
    """
    p = subparsers.add_parser(
        "train", help="train a model on a CSV / .npz / .npy file and save it",
        description=__doc__.split("\n\n")[1].replace("\n", " ").replace("``", ""),
        epilog=f"Task choice ({TASK_RULE}).",
    )
    p.add_argument("data", metavar="DATA",
                   help="training data: .csv / .tsv with a header row, .npz with arrays X "
                        "and y, or a 2-D .npy array")
    p.add_argument("--target", metavar="COLUMN",
                   help="the target: a column name (CSV), an array key (.npz, default y) or "
                        "a column index (.npy, e.g. -1)")
    p.add_argument("--task", choices=TASKS, default="auto",
                   help=f"classification or regression; {TASK_RULE} (default: auto)")
    p.add_argument("--out", metavar="MODEL", required=True,
                   help="file to save the model to (safe native format, e.g. model.fastnn)")
    p.add_argument("--standardize", action="store_true",
                   help="train on standardised features (and regression targets), then fold "
                        "the scaling into the saved network so it takes raw data")
    p.add_argument("--plot", metavar="FILE",
                   help="save a picture of the training history (.png, .svg, .pdf; needs "
                        "matplotlib)")
    add_estimator_options(p, specs)
    p.set_defaults(func=lambda args: train(args, specs))


def build_estimator(task, kwargs, specs, reason):
    """The estimator for ``task`` with the given parameters, validated.

    Raises
    ------
    CLIError
        For an option of the other task, or an invalid value (naming the option).
    """
    from sklearn.utils._param_validation import InvalidParameterError

    from ._classifier import DNNClassifier
    from ._regressor import DNNRegressor

    for spec in specs:
        if spec.task not in (None, task) and spec.name in kwargs:
            raise CLIError(f"{spec.flag} applies to {spec.task} only, but the target was "
                           f"taken as {task} ({reason}); force it with --task {spec.task}")
    cls = DNNClassifier if task == "classification" else DNNRegressor
    est = cls(**kwargs)
    try:
        est._validate_params()
    except InvalidParameterError as exc:
        match = re.search(r"The '(\w+)' parameter", str(exc))
        flags = {spec.name: spec.flag for spec in specs}
        flag = flags.get(match.group(1)) if match else None
        raise CLIError(f"{exc}" + (f" (option {flag})" if flag else "")) from None
    return est


def _class_weights(weights, y):
    """``--class-weight cat:1,dog:2`` with its labels matched to the target's classes."""
    classes = {str(c): c for c in np.unique(y)}
    unknown = [k for k in weights if k not in classes]
    if unknown:
        verb = "is" if len(unknown) == 1 else "are"
        raise CLIError(f"--class-weight names {names(unknown, quote=False)}, which {verb} not "
                       f"a class of the target; the classes are "
                       f"{names(classes, 10, quote=False)}")
    return {classes[k]: w for k, w in weights.items()}


def _rows(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def holdout(X, y, fraction, task, random_state):
    """Split off ``fraction`` of the rows for validation (stratified when every class
    has two rows or more; rows of a class missing from the training part go back
    to it).

    Returns
    -------
    X_train, y_train, X_val, y_val
        ``X_val`` and ``y_val`` are None when ``fraction`` is 0.
    """
    from sklearn.model_selection import train_test_split

    if fraction == 0:
        return X, y, None, None
    n = len(y)
    n_val = int(np.ceil(fraction * n))
    if n_val >= n:
        raise CLIError(f"--validation-fraction {fraction} leaves no rows to train on "
                       f"({n} rows)")
    stratify = None
    if task == "classification" and y.ndim == 1:
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2 and min(n_val, n - n_val) >= counts.size:
            stratify = y
    train_idx, val_idx = train_test_split(np.arange(n), test_size=fraction,
                                          random_state=random_state, stratify=stratify)
    if task == "classification" and y.ndim == 1 and stratify is None:
        unseen = ~np.isin(y[val_idx], y[train_idx])
        train_idx = np.sort(np.concatenate([train_idx, val_idx[unseen]]))
        val_idx = val_idx[~unseen]
    if val_idx.size == 0:
        return X, y, None, None
    return _rows(X, train_idx), y[train_idx], _rows(X, val_idx), y[val_idx]


def _scale_note(X, y, task):
    """A hint to use --standardize when features or target are far from unit scale."""
    values = np.asarray(X, dtype=np.float64)
    size = np.maximum(np.abs(values.mean(axis=0)), values.std(axis=0))
    j = int(np.argmax(size))
    if size[j] > UNSCALED:
        name = repr(X.columns[j]) if hasattr(X, "columns") else f"column {j}"
        return (f"feature {name} has mean {values[:, j].mean():.3g} and standard deviation "
                f"{values[:, j].std():.3g}; --standardize usually trains better")
    if task == "regression":
        t = np.asarray(y, dtype=np.float64)
        if max(abs(t.mean()), t.std()) > UNSCALED:
            return (f"the target has mean {t.mean():.3g} and standard deviation "
                    f"{t.std():.3g}; --standardize usually trains better")
    return None


def report_metrics(est, task, X_val, y_val, part="validation"):
    """Lines describing the fitted model on the held-out rows (or on ``part``)."""
    from sklearn.metrics import accuracy_score, mean_squared_error, r2_score

    pred = est.predict(X_val)
    n = len(y_val)
    if task == "classification":
        line = f"{part} accuracy {accuracy_score(y_val, pred):.4f} on {n} rows"
        if y_val.ndim == 1:
            _, counts = np.unique(y_val, return_counts=True)
            line += f" (most frequent class alone: {counts.max() / n:.4f})"
        return [line]
    rmse = float(np.sqrt(mean_squared_error(y_val, pred)))
    return [f"{part} R^2 {r2_score(y_val, pred):.4f}, RMSE {rmse:.4g} on {n} rows"]


def fit_timed(est, X, y, val=None):
    """Fit ``est`` (with ``val = (X_val, y_val)`` if given) and return the seconds it
    took. Warnings raised during the fit are shown after it, below the progress bar."""
    sys.stdout.flush()
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            if val is None:
                est.fit(X, y)
            else:
                est.fit(X, y, X_val=val[0], y_val=val[1])
    finally:
        seconds = time.perf_counter() - start
        for w in caught:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return seconds


def train(args, specs):
    """Run ``fastnn train`` (see the module docstring)."""
    kwargs = estimator_kwargs(args, specs)
    if args.standardize and kwargs.get("init_from") is not None:
        raise CLIError(
            "--standardize cannot be combined with --init-from: the source model's first "
            "layer expects the features it was trained on, not standardised ones; "
            "standardise the data yourself for both models, or drop --standardize."
        )
    check_writable(args.out, "model")
    if args.plot:
        from ._plotting import check_image_path

        check_writable(args.plot, "plot")
        check_image_path(args.plot)
    data = read_training_data(args.data, args.target)
    task, y, reason = choose_task(data.y, args.task)
    if "verbose" not in kwargs:
        kwargs["verbose"] = int(sys.stderr.isatty() and kwargs.get("solver") != "lbfgs")
    est = build_estimator(task, kwargs, specs, reason)
    if isinstance(est.get_params().get("class_weight"), dict):
        est.set_params(class_weight=_class_weights(est.class_weight, y))
    print(f"data: {data.source}: {len(y)} rows, {data.n_features} features; "
          f"target {data.target}")
    what = task
    if task == "classification" and y.ndim == 1:
        classes = np.unique(y)
        what += f" of {classes.size} classes ({names(classes, 10, quote=False)})"
    print(f"task: {what} ({'auto: ' if args.task == 'auto' else ''}{reason})")
    X_tr, y_tr, X_val, y_val = holdout(data.X, y, est.validation_fraction, task,
                                       est.random_state)
    n_val = 0 if y_val is None else len(y_val)
    print(f"rows: {len(y_tr)} to train, {n_val} to validate "
          f"(--validation-fraction {est.validation_fraction})")
    scaler = None
    if args.standardize:
        scale_y = task == "regression" and est.get_params().get("loss") != "poisson"
        scaler = Standardizer(X_tr, y_tr if scale_y else None)
        fit_X, fit_y = scaler.features(X_tr), scaler.target(y_tr)
        fit_val = None if y_val is None else (scaler.features(X_val), scaler.target(y_val))
    else:
        note = _scale_note(X_tr, y_tr, task)
        if note:
            print(f"fastnn: note: {note}", file=sys.stderr)
        fit_X, fit_y = X_tr, y_tr
        fit_val = None if y_val is None else (X_val, y_val)
    seconds = fit_timed(est, fit_X, fit_y, fit_val)
    if scaler is not None:
        scaler.fold_into(est)
    steps = "L-BFGS iterations" if est.solver == "lbfgs" else "epochs"
    print(f"trained: {est.n_iter_} {steps} in {seconds:.2f} s; final training loss "
          f"{est.loss_:.4g}" + (" (standardised scale)" if scaler is not None else ""))
    if est.early_stopping and est.solver != "lbfgs":
        best = int(np.nanargmax(np.array(est.validation_scores_, dtype=float))) + 1
        print(f"early stopping: best validation score {est.best_validation_score_:.4f} at "
              f"epoch {best}; the model keeps that epoch's weights")
    if y_val is not None:
        lines = report_metrics(est, task, X_val, y_val)
    else:  # nothing held out: say how it fits the data it saw
        lines = report_metrics(est, task, X_tr, y_tr, part="training (no rows held out)")
    print("\n".join(lines))
    est.save(args.out)
    print(f"saved: {args.out}")
    if args.plot:
        from ._plotting import save_history

        save_history(est, args.plot)
        print(f"history plot: {args.plot}")
    return 0
