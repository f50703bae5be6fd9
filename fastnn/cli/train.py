"""``fastnn train DATA --target COLUMN [options] --out MODEL``.

Reads a data file as it is, chooses classification or regression, holds out
``--validation-fraction`` of the rows, fits the pipeline of
:func:`fastnn.make_table_pipeline` (preprocessing, then a DNNClassifier or
DNNRegressor built from the estimator options; a progress bar on a terminal),
prints what it did to each column, the validation metrics and the training
time, and saves the whole pipeline in the safe native format.
"""
import re
import sys
import time
import warnings

import numpy as np

from .data import (
    TASK_RULE,
    TASKS,
    check_writable,
    choose_task,
    names,
    read_training_data,
)
from .errors import CLIError
from .options import add_estimator_options, estimator_kwargs
from .preprocess import (
    add_preprocess_options,
    check_compatible,
    describe_preprocessing,
    given_options,
    table_kwargs,
)

#: A network input or regression target whose mean or standard deviation exceeds
#: this in absolute value, when scaling is switched off, draws a note.
UNSCALED = 50.0


def add_parser(subparsers, specs):
    """Register the ``train`` command.

    Parameters
    ----------
    subparsers : argparse subparsers action
    specs : list of OptionSpec
        The estimator options (:func:`fastnn.cli.options.option_specs`).
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
    p.add_argument("--plot", metavar="FILE",
                   help="save a picture of the training history (.png, .svg, .pdf; needs "
                        "matplotlib)")
    add_preprocess_options(p)
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

    from ..estimators.classifier import DNNClassifier
    from ..estimators.regressor import DNNRegressor

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


def _scale_note(X, names, y, task):
    """A note when, with scaling switched off, an input or the target is far from
    unit scale."""
    values = np.asarray(X, dtype=np.float64)
    if values.shape[1]:
        size = np.maximum(np.abs(values.mean(axis=0)), values.std(axis=0))
        j = int(np.argmax(size))
        if size[j] > UNSCALED:
            return (f"network input {names[j]!r} has mean {values[:, j].mean():.3g} and "
                    f"standard deviation {values[:, j].std():.3g}; standardising "
                    "(the default, --standardize) usually trains better")
    if task == "regression" and y is not None:
        t = np.asarray(y, dtype=np.float64)
        if max(abs(t.mean()), t.std()) > UNSCALED:
            return (f"the target has mean {t.mean():.3g} and standard deviation "
                    f"{t.std():.3g}; --standardize-target usually trains better")
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


def fit_timed(fit):
    """Run ``fit()`` and return the seconds it took. Warnings raised during the fit
    are shown after it, below the progress bar."""
    sys.stdout.flush()
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            fit()
    finally:
        seconds = time.perf_counter() - start
        for w in caught:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return seconds


def _init_source(kwargs):
    """``--init-from MODEL``: the source file's fitted preprocessing (or None for a
    network saved alone), and ``init_from`` as the estimator takes it."""
    from sklearn.pipeline import Pipeline

    from ..io.persistence import load
    from ..table.pipeline import PREPROCESS, final_network

    source = kwargs.get("init_from")
    if source is None:
        return None, False
    model = load(source)
    if isinstance(model, Pipeline):
        kwargs["init_from"] = final_network(model)  # the fitted network, not a file
        return model.named_steps.get(PREPROCESS), False
    return None, True


def _report_header(data, task, y, reason, args, n_train, n_val, fraction):
    print(f"data: {data.source}: {len(y)} rows, {data.n_features} feature columns; "
          f"target {data.target}")
    what = task
    if task == "classification" and y.ndim == 1:
        classes = np.unique(y)
        what += f" of {classes.size} classes ({names(classes, 10, quote=False)})"
    print(f"task: {what} ({'auto: ' if args.task == 'auto' else ''}{reason})")
    print(f"rows: {n_train} to train, {n_val} to validate "
          f"(--validation-fraction {fraction})")


def _fit_network_alone(est, X_tr, y_tr, X_val, y_val):
    """``--no-preprocess`` (or a network saved alone as --init-from): the network
    fitted on the numeric features as they are."""
    print("preprocessing: none; the network takes the feature columns as they are")
    if y_val is None:
        return est, fit_timed(lambda: est.fit(X_tr, y_tr))
    return est, fit_timed(lambda: est.fit(X_tr, y_tr, X_val=X_val, y_val=y_val))


def _fit_table_pipeline(est, task, options, fitted_pre, X_tr, y_tr, X_val, y_val):
    """The pipeline of make_table_pipeline, fitted; prints the preprocessing first."""
    from ..table.pipeline import PREPROCESS, fit_pipeline, make_table_pipeline

    pipeline = make_table_pipeline(est, **table_kwargs(options, X_tr))
    if fitted_pre is not None:
        pipeline.steps[0] = (PREPROCESS, fitted_pre)
    else:
        pipeline.named_steps[PREPROCESS].fit(X_tr)
    for line in describe_preprocessing(pipeline):
        if line.startswith("target:"):
            continue
        print(line)
    if fitted_pre is not None:
        print("  (taken from --init-from as it was fitted, so that its layers see the "
              "same inputs)")
    pre = pipeline.named_steps[PREPROCESS]
    raw_target = task == "regression" and options.get("standardize_target") is False
    if not pre.standardize or raw_target:
        Xt = pre.transform(X_tr) if not pre.standardize else np.zeros((len(y_tr), 0))
        note = _scale_note(Xt, pre.get_feature_names_out(), y_tr if raw_target else None,
                           task)
        if note:
            print(f"fastnn: note: {note}", file=sys.stderr)
    seconds = fit_timed(lambda: fit_pipeline(pipeline, X_tr, y_tr, X_val, y_val,
                                             preprocess_fitted=True))
    for line in describe_preprocessing(pipeline):
        if line.startswith("target:"):
            print(line)
    return pipeline, seconds


def train(args, specs):
    """Run ``fastnn train`` (see the module docstring)."""
    from .info import kept_weights_line
    from ..io.persistence import save
    from ..table.pipeline import final_network

    kwargs = estimator_kwargs(args, specs)
    options = given_options(args)
    check_writable(args.out, "model")
    if args.plot:
        from ..plotting import check_image_path

        check_writable(args.plot, "plot")
        check_image_path(args.plot)
    data = read_training_data(args.data, args.target, options.get("drop"))
    task, y, reason = choose_task(data.y, args.task)
    if "verbose" not in kwargs:
        kwargs["verbose"] = int(sys.stderr.isatty() and kwargs.get("solver") != "lbfgs")
    fitted_pre, alone = _init_source(kwargs)
    if alone and any(name not in ("drop", "no_preprocess") for name in options):
        raise CLIError(f"--init-from {args.init_from} holds a network saved without "
                       "preprocessing, so the new one must take the same raw features; "
                       "drop the preprocessing options")
    if fitted_pre is not None and any(name in options for name in (
            "categorical", "categorical_integers", "impute", "missing_indicator",
            "standardize", "min_frequency", "max_categories", "no_preprocess")):
        raise CLIError(f"--init-from {args.init_from} brings its own fitted preprocessing, "
                       "which its layers were trained on; drop the preprocessing options")
    alone = alone or bool(options.get("no_preprocess"))
    est = build_estimator(task, kwargs, specs, reason)
    check_compatible(options, task, est.get_params().get("loss"))
    if isinstance(est.get_params().get("class_weight"), dict):
        est.set_params(class_weight=_class_weights(est.class_weight, y))
    X_tr, y_tr, X_val, y_val = holdout(data.X, y, est.validation_fraction, task,
                                       est.random_state)
    _report_header(data, task, y, reason, args, len(y_tr),
                   0 if y_val is None else len(y_val), est.validation_fraction)
    if alone:
        from .data import numeric_features

        X_tr = numeric_features(X_tr, data.source)
        X_val = None if X_val is None else numeric_features(X_val, data.source)
        model, seconds = _fit_network_alone(est, X_tr, y_tr, X_val, y_val)
    else:
        model, seconds = _fit_table_pipeline(est, task, options, fitted_pre, X_tr, y_tr,
                                             X_val, y_val)
    net = final_network(model)
    steps = "L-BFGS iterations" if net.solver == "lbfgs" else "epochs"
    scaled = net is not model and net is not model.steps[-1][1]
    print(f"trained: {net.n_iter_} {steps} in {seconds:.2f} s; final training loss "
          f"{net.loss_:.4g}" + (" (standardised target)" if scaled else ""))
    print(kept_weights_line(net))
    if y_val is not None:
        lines = report_metrics(model, task, X_val, y_val)
    else:  # nothing held out: say how it fits the data it saw
        lines = report_metrics(model, task, X_tr, y_tr, part="training (no rows held out)")
    print("\n".join(lines))
    save(model, args.out)
    print(f"saved: {args.out}" + ("" if alone else
                                  " (preprocessing and network; fastnn predict takes raw "
                                  "tables)"))
    if args.plot:
        from ..plotting import save_history

        save_history(net, args.plot)
        print(f"history plot: {args.plot}")
    return 0
