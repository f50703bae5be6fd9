"""``fastnn info MODEL``: what a saved model is, its preprocessing, how it was
trained (which epoch's weights it keeps, and their validation score), and its
layers."""
import numpy as np

from .data import names


def add_parser(subparsers):
    """Register the ``info`` command."""
    p = subparsers.add_parser("info", help="describe a saved model: task, classes, features, "
                                           "training, layers",
                              description=__doc__.split(":", 1)[1].strip())
    p.add_argument("model", metavar="MODEL", help="a model saved by fastnn train / est.save")
    p.set_defaults(func=info)


#: Parameters about how a fit reported, not about the model.
_NOT_SHOWN = ("verbose", "callbacks")


def _changed_params(model):
    """``name=value`` for each parameter that differs from the estimator's default."""
    defaults = type(model)().get_params()
    changed = []
    for name, value in model.get_params().items():
        default = defaults.get(name)
        try:
            same = bool(np.all(value == default)) and np.shape(value) == np.shape(default)
        except (TypeError, ValueError):
            same = False
        if not same and name not in _NOT_SHOWN and not (value is None and default is None):
            changed.append(f"{name}={value!r}")
    return changed


def _training_line(model):
    if model.solver == "lbfgs":
        line = f"training: {model.n_iter_} L-BFGS iterations"
    else:
        epochs = len(model.__dict__.get("loss_curve_") or ()) or model.n_iter_  # every fit
        line = f"training: {epochs} epochs of {model.solver}"
    return line + f"; final training loss {model.loss_:.4g}"


def kept_epoch(model):
    """The epoch whose weights a fitted network keeps, and its validation score.

    With early stopping the best epoch's weights are restored; otherwise (and
    after L-BFGS) the model keeps the last epoch's.

    Returns
    -------
    epoch : int
        1-based, counted over ``history_`` (every fit of a warm start).
    score : float or None
        That epoch's validation score, if the fit scored held-out rows.
    best : tuple of (int, float) or None
        The best-scoring epoch and its score, when it scored higher than the
        kept one.
    """
    history = model.__dict__.get("history_") or {}
    scores = list(history.get("val_score") or [])
    epochs = len(scores) or len(model.__dict__.get("loss_curve_") or ()) or model.n_iter_
    values = np.array([np.nan if s is None else s for s in scores], dtype=float)
    kept = epochs
    best_score = model.__dict__.get("best_validation_score_")
    if (model.solver != "lbfgs" and model.early_stopping and best_score is not None
            and np.isfinite(best_score) and np.any(values == best_score)):
        kept = int(np.flatnonzero(values == best_score)[0]) + 1
    score = None
    if 0 < kept <= values.size and np.isfinite(values[kept - 1]):
        score = float(values[kept - 1])
    best = None
    if model.solver != "lbfgs" and np.isfinite(values).any():
        b = int(np.nanargmax(values))
        if score is None or values[b] > score:
            best = (b + 1, float(values[b]))
    return kept, score, best


def kept_weights_line(model):
    """``kept weights: epoch 9 of 50 (early stopping restored the best), validation
    score 0.7285``, and the best epoch when it is not the kept one."""
    kept, score, best = kept_epoch(model)
    if model.solver == "lbfgs":
        line = f"kept weights: the last L-BFGS iteration ({model.n_iter_})"
    else:
        total = len(model.__dict__.get("loss_curve_") or ()) or model.n_iter_
        why = ("early stopping restored the best" if model.early_stopping and kept != total
               else "the last")
        line = f"kept weights: epoch {kept} of {total} ({why})"
    line += (f", validation score {score:.4f}" if score is not None
             else ", no validation score (no rows held out)")
    if best is not None:
        line += (f"; the best validation score was {best[1]:.4f} at epoch {best[0]} "
                 "(--early-stopping keeps the best epoch)")
    return line


def describe(model, path):
    """Lines about a fitted model or pipeline: kind, task, features, preprocessing,
    training and parameters."""
    from sklearn.pipeline import Pipeline

    from .preprocess import describe_preprocessing
    from ..table.pipeline import PREPROCESS, final_network

    net = final_network(model)
    if isinstance(model, Pipeline):
        kinds = ", ".join(f"{name}: {type(step).__name__}" for name, step in model.steps)
        lines = [f"model: Pipeline ({kinds}) from {path}"]
    else:
        lines = [f"model: {type(model).__name__} from {path}"]
    if hasattr(net, "classes_"):
        classes = np.asarray(net.classes_)
        lines.append(f"task: classification, {classes.size} classes: {names(classes, 20)}")
    else:
        lines.append(f"task: regression, {net.n_outputs_} "
                     f"output{'s' if net.n_outputs_ > 1 else ''} (loss {net.loss})")
    pre = model.named_steps.get(PREPROCESS) if isinstance(model, Pipeline) else None
    source = pre if pre is not None else net
    feature_names = source.__dict__.get("feature_names_in_")
    features = f"features: {source.n_features_in_}"
    if feature_names is not None:
        features += f": {names(feature_names, 20)}"
    lines.append(features)
    if isinstance(model, Pipeline):
        lines.extend(describe_preprocessing(model))
    else:
        lines.append("preprocessing: none saved; the network takes the features as they are")
    lines.append(_training_line(net))
    lines.append(kept_weights_line(net))
    changed = _changed_params(net)
    lines.append("parameters: " + (", ".join(changed) if changed else "all defaults")
                 + (" (others at their defaults)" if changed else ""))
    return lines


def info(args):
    """Run ``fastnn info`` (see the module docstring)."""
    from ..io.persistence import load

    from ..table.pipeline import final_network

    model = load(args.model)
    print("\n".join(describe(model, args.model)))
    print(final_network(model).summary())
    return 0
