"""``fastnn info MODEL``: what a saved model is, how it was trained, and its layers."""
import numpy as np

from ._cli_data import names


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
    history = model.__dict__.get("history_") or {}
    if model.solver == "lbfgs":
        line = f"training: {model.n_iter_} L-BFGS iterations"
    else:
        epochs = len(model.__dict__.get("loss_curve_") or ()) or model.n_iter_  # every fit
        line = f"training: {epochs} epochs of {model.solver}"
    line += f"; final training loss {model.loss_:.4g}"
    scores = [s for s in history.get("val_score", []) if s is not None]
    if scores and model.solver == "lbfgs":
        line += f"; validation score {scores[-1]:.4f}"
    elif scores:
        best = int(np.nanargmax(scores))
        line += f"; best validation score {scores[best]:.4f} at epoch {best + 1}"
    return line


def describe(model, path):
    """Lines about a fitted model: its kind, task, features, training and parameters."""
    lines = [f"model: {type(model).__name__} from {path}"]
    if hasattr(model, "classes_"):
        classes = np.asarray(model.classes_)
        lines.append(f"task: classification, {classes.size} classes: {names(classes, 20)}")
    else:
        lines.append(f"task: regression, {model.n_outputs_} "
                     f"output{'s' if model.n_outputs_ > 1 else ''} (loss {model.loss})")
    feature_names = model.__dict__.get("feature_names_in_")
    features = f"features: {model.n_features_in_}"
    if feature_names is not None:
        features += f": {names(feature_names, 20)}"
    lines.append(features)
    lines.append(_training_line(model))
    changed = _changed_params(model)
    lines.append("parameters: " + (", ".join(changed) if changed else "all defaults")
                 + (" (others at their defaults)" if changed else ""))
    return lines


def info(args):
    """Run ``fastnn info`` (see the module docstring)."""
    from ._persistence import load

    model = load(args.model)
    print("\n".join(describe(model, args.model)))
    print(model.summary())
    return 0
