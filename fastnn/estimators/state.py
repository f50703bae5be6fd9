"""A fitted estimator as JSON metadata and arrays, and back (the native format).

What an estimator file holds (see :mod:`fastnn.io.format` for the container):

- ``params``, ``buffers``: the network's flat buffers, and in ``meta["network"]``
  the description its plan is rebuilt from;
- ``opt_state``: the optimizer state after a stochastic solver, and in
  ``meta["optimizer"]`` its step count, settings by name and frozen layers (so
  ``partial_fit`` / ``warm_start`` continue where they stopped);
- in ``meta``: the estimator class and parameters, the fitted attributes (the
  training progress among them) and the classes.

Files of format versions 1 to 3 (``layout`` array, optimizer settings as a list
in the order of their time) load too.
"""
import os

import numpy as np
from sklearn.preprocessing import LabelBinarizer

from ..io.format import from_json, network_from_state, network_state, to_json
from ..nn.settings import SETTING_FIELDS
from ..training.loop import Progress
from ..training.minibatch import MinibatchTrainer

#: Fitted attributes besides the training progress.
_FITTED = ("n_features_in_", "n_outputs_", "n_layers_", "out_activation_")
#: Settings fields of format versions 1 to 3, in their order.
_OLD_SETTINGS = SETTING_FIELDS[:16]


def estimator_state(est):
    """The JSON metadata and arrays of a fitted DNNClassifier / DNNRegressor.

    Returns
    -------
    meta : dict
        ``estimator``, ``params``, ``fitted``, ``network``, ``progress``, ...
    arrays : dict of str to ndarray
        ``params``, ``buffers`` and, after a stochastic solver, ``opt_state``.
    """
    params = est.get_params(deep=False)
    params["callbacks"] = None
    init_from = params.get("init_from")
    params["init_from"] = str(init_from) if isinstance(init_from, (str, os.PathLike)) else None
    if not (params["random_state"] is None or isinstance(params["random_state"], int)):
        params["random_state"] = None
    fitted = {name: getattr(est, name) for name in _FITTED if name in est.__dict__}
    fitted.update({attr: getattr(est, attr) for attr in Progress.ATTRIBUTES.values()
                   if attr in est.__dict__ and not attr.startswith("_")})
    if "feature_names_in_" in est.__dict__:
        fitted["feature_names_in_"] = [str(n) for n in est.feature_names_in_]
    spec, arrays = network_state(est._fitted_net())
    progress = est._progress_state()
    meta = {
        "estimator": type(est).__name__, "params": to_json(params),
        "fitted": to_json(fitted), "network": spec,
        "initial_loss": to_json(progress.initial_loss),
        "no_improvement_count": int(progress.no_improvement_count),
    }
    lb = est.__dict__.get("_label_binarizer")
    if lb is not None:
        meta["label_binarizer"] = {"classes": to_json(lb.classes_), "y_type": lb.y_type_}
    trainer = est.__dict__.get("_trainer")
    if trainer is not None:
        state = trainer.state_dict()
        arrays["opt_state"] = state["state"]
        meta["optimizer"] = {"step": state["step"], "frozen": state["frozen"],
                             "settings": dict(zip(SETTING_FIELDS, state["values"].tolist()))}
    return meta, arrays


def estimator_from_state(classes, meta, arrays, fail):
    """Rebuild a fitted estimator from :func:`estimator_state`'s output.

    Parameters
    ----------
    classes : dict of str to type
        Estimator class by name.
    meta : dict
    arrays : dict of str to ndarray
    fail : callable
        ``fail(problem)`` raises the error for an inconsistent file.

    Returns
    -------
    DNNClassifier or DNNRegressor
    """
    if meta.get("estimator") not in classes:
        fail(f"unknown estimator {meta.get('estimator')!r}.")
    est = classes[meta["estimator"]](**from_json(meta["params"]))
    for name, value in from_json(meta["fitted"]).items():
        if name == "feature_names_in_":
            value = np.asarray(value, dtype=object)
        setattr(est, name, value)
    est._net = network_from_state(meta["network"], arrays, fail)
    progress = est._progress_state()  # from the fitted attributes
    progress.initial_loss = from_json(meta.get("initial_loss"))
    progress.no_improvement_count = int(meta.get("no_improvement_count", 0))
    est._publish()
    if "label_binarizer" in meta:
        lb = LabelBinarizer()
        lb.classes_ = from_json(meta["label_binarizer"]["classes"])
        lb.y_type_ = meta["label_binarizer"]["y_type"]
        lb.sparse_input_ = False
        est._label_binarizer = lb
        est.classes_ = lb.classes_
    if "optimizer" in meta:
        saved = meta["optimizer"]
        if "settings" in saved:
            values = [saved["settings"].get(f, 0.0) for f in SETTING_FIELDS]
        else:  # versions 1 to 3: a list in the old order
            old = dict(zip(_OLD_SETTINGS, saved["hyper"]))
            values = [old.get(f, 0.0) for f in SETTING_FIELDS]
        # the trainer as it was saved: its state covers the layers trainable then
        # (freeze_layers may have been changed since; the next partial_fit applies it)
        settings = est._regularization(len(meta["network"]["layer_units"]) - 2)
        settings.frozen = tuple(saved.get("frozen", ()))
        trainer = MinibatchTrainer(est._net, est.solver, {}, settings)
        try:
            trainer.load_state_dict({"state": arrays.get("opt_state"), "step": saved["step"],
                                     "values": np.array(values)})
        except (ValueError, AttributeError):
            fail("its optimizer state does not match the network it describes.")
        est._trainer = trainer
    return est
