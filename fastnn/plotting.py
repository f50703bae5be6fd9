"""Training-history plots: :func:`fastnn.plot_history`.

matplotlib is an optional dependency (``pip install "fastnn[plot]"``), imported
only when a plot is drawn.
"""
from dataclasses import dataclass

import numpy as np

_INSTALL_HINT = 'pip install "fastnn[plot]"'
METRICS = ("loss", "score")


def require_matplotlib():
    """Import matplotlib, or raise an ImportError that says how to install it.

    Returns
    -------
    module
        ``matplotlib``.
    """
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            f"plotting the training history needs matplotlib: {_INSTALL_HINT}"
        ) from exc
    return matplotlib


def check_image_path(path):
    """Raise ValueError unless matplotlib can save a picture under ``path``'s suffix."""
    require_matplotlib()
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if suffix not in formats:
        raise ValueError(f"{path}: cannot save a picture in this format; use one of "
                         f"{', '.join('.' + f for f in sorted(formats))}")


@dataclass
class RunHistory:
    """What one fitted estimator recorded, per epoch.

    Attributes
    ----------
    label : str
    loss : ndarray
        Training loss per epoch (one value for L-BFGS: the final loss).
    val_loss, val_score : ndarray or None
        Validation loss and score per epoch (NaN where missing), None if never
        recorded.
    per_epoch : bool
        False for L-BFGS, whose history is its final state only.
    n_iter : int
    score_name : str
        ``'accuracy'``, ``'R^2'`` or ``'score'``.
    """

    label: str
    loss: np.ndarray
    val_loss: object
    val_score: object
    per_epoch: bool
    n_iter: int
    score_name: str

    @property
    def best(self):
        """``(epoch, reason)``: the best validation score's epoch (1-based) when
        there are validation scores, else the lowest training loss's."""
        if self.val_score is not None:
            return int(np.nanargmax(self.val_score)) + 1, "best validation score"
        return int(np.nanargmin(self.loss)) + 1, "lowest training loss"


def _floats(values):
    """Floats with NaN for None; None when there is no finite value at all."""
    if values is None:
        return None
    out = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return out if np.isfinite(out).any() else None


def _score_name(est):
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(est):
        return "accuracy"
    if is_regressor(est):
        return "R$^2$"
    return "score"


def history_of(est, label):
    """The :class:`RunHistory` of a fitted fastnn estimator, or of scikit-learn's
    ``MLPClassifier`` / ``MLPRegressor`` (training loss and validation score only).

    Raises
    ------
    ValueError
        If ``est`` has recorded no training (unfitted, or not such an estimator).
    """
    history = getattr(est, "history_", None)
    solver = getattr(est, "solver", None)
    if isinstance(history, dict) and history.get("loss"):
        loss = _floats(history["loss"])
        val_loss = _floats(history.get("val_loss"))
        val_score = _floats(history.get("val_score"))
    elif getattr(est, "loss_curve_", None) is not None:  # scikit-learn's MLP
        loss = _floats(est.loss_curve_)
        val_loss = None
        val_score = _floats(getattr(est, "validation_scores_", None))
    elif hasattr(est, "loss_") and solver == "lbfgs":  # scikit-learn's MLP, L-BFGS
        loss, val_loss, val_score = _floats([est.loss_]), None, None
    else:
        raise ValueError(
            f"{label}: this {type(est).__name__} has no training history (history_ or "
            "loss_curve_): pass fitted fastnn estimators (or scikit-learn MLPs)."
        )
    if loss is None:
        raise ValueError(f"{label}: the training loss has no finite value to plot.")
    return RunHistory(label, loss, val_loss, val_score, solver != "lbfgs",
                      int(getattr(est, "n_iter_", len(loss))), _score_name(est))


def _runs(estimators, labels):
    if isinstance(estimators, dict):
        if labels is not None:
            raise ValueError("Pass either a dict of estimators or labels, not both: the "
                             "dict's keys are the labels.")
        labels, estimators = [str(k) for k in estimators], list(estimators.values())
    elif isinstance(estimators, (list, tuple)):
        estimators = list(estimators)
    else:
        estimators = [estimators]
    if not estimators:
        raise ValueError("No estimators to plot.")
    named = labels is not None or len(estimators) > 1
    if labels is None:
        labels = ([type(e).__name__ for e in estimators] if len(estimators) == 1 else
                  [f"{type(e).__name__} #{i + 1}" for i, e in enumerate(estimators)])
    elif isinstance(labels, str):
        labels = [labels]
    labels = [str(label) for label in labels]
    if len(labels) != len(estimators):
        raise ValueError(f"Got {len(labels)} labels for {len(estimators)} estimators.")
    return [history_of(e, label) for e, label in zip(estimators, labels)], named


def _metrics(metrics, runs):
    has_scores = any(r.val_score is not None for r in runs)
    if metrics is None:
        return ("loss", "score") if has_scores else ("loss",)
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics or len(set(metrics)) != len(metrics):
        raise ValueError(f"metrics must be distinct names among {METRICS}, got {metrics}.")
    if "score" in metrics and not has_scores:
        raise ValueError(
            "No validation scores to plot: fit with early_stopping=True or pass "
            "X_val / y_val to fit, or plot metrics=('loss',)."
        )
    return metrics


def _axes(ax, n_panels):
    """``(axes to draw in, value to return, whether the second is a twin of the first)``."""
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(1, n_panels, figsize=(6.0 * n_panels, 4.2), squeeze=False,
                               layout="constrained")
        axes = list(grid[0])
        return axes, axes[0] if n_panels == 1 else np.array(axes, dtype=object), False
    if isinstance(ax, Axes):
        if n_panels == 1:
            return [ax], ax, False
        axes = [ax, ax.twinx()]
        return axes, np.array(axes, dtype=object), True
    axes = list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != n_panels or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(f"ax must be None, one Axes, or {n_panels} Axes (one per metric), "
                         f"got {ax!r}.")
    return axes, np.array(axes, dtype=object), False


def _draw(ax, run, metric, color, prefix):
    """One run's curves of one metric on ``ax``, labelled ``prefix + name``."""
    def label(text):
        return f"{prefix}{text}"

    if metric == "loss":
        curves = [(run.loss, "-", "training loss"), (run.val_loss, "--", "validation loss")]
    else:
        curves = [(run.val_score, "-", f"validation {run.score_name}")]
    curves = [c for c in curves if c[0] is not None]
    if not run.per_epoch:
        for values, _, name in curves:
            ax.axhline(values[-1], color=color, linestyle="-.",
                       label=label(f"final {name} (lbfgs, {run.n_iter} iterations)"))
        return
    epochs = np.arange(1, len(run.loss) + 1)
    for values, style, name in curves:
        ax.plot(epochs, values, color=color, linestyle=style, label=label(name))
    if not curves:
        return
    best, why = run.best
    ax.axvline(best, color=color, linestyle=":", linewidth=1.2,
               label=label(f"best epoch {best} ({why})"))
    marked = curves[0][0] if metric == "score" or run.val_score is None else None
    if marked is not None:
        ax.plot([best], [marked[best - 1]], color=color, marker="*", markersize=12,
                linestyle="none", label="_nolegend_")


def plot_history(estimators, ax=None, metrics=None, labels=None):
    """Plot training and validation loss and validation score per epoch.

    Parameters
    ----------
    estimators : estimator, list of estimators or dict of label -> estimator
        Fitted :class:`~fastnn.DNNClassifier` / :class:`~fastnn.DNNRegressor`
        (their ``history_``; loaded models too), or scikit-learn's
        ``MLPClassifier`` / ``MLPRegressor`` (``loss_curve_`` and
        ``validation_scores_``). Several estimators are drawn in the same axes,
        one color each, to compare runs.
    ax : matplotlib Axes, sequence of Axes or None, default=None
        None: a new figure with one panel per metric. One Axes: the loss on it
        and the score on a twin y-axis. A sequence: one Axes per metric.
    metrics : sequence of {'loss', 'score'} or None, default=None
        Panels to draw; None draws ``'loss'``, plus ``'score'`` when some
        estimator recorded validation scores.
    labels : sequence of str or None, default=None
        Names of the runs in the legend (a dict's keys by default).

    Returns
    -------
    matplotlib Axes or ndarray of Axes
        The Axes when one panel is drawn on one Axes, else an array of Axes in
        the order of ``metrics``.

    Notes
    -----
    Training loss is a solid line and validation loss a dashed one; the best
    epoch is marked by a dotted vertical line and a star: the epoch with the
    best validation score when there are validation scores (``early_stopping``
    or ``X_val``; the weights early stopping keeps), else the epoch with the
    lowest training loss. L-BFGS records no per-epoch history, so its final
    loss (and validation score) is drawn as a horizontal dash-dotted line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> import fastnn
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = fastnn.DNNClassifier((32,), max_iter=20, early_stopping=True,
    ...                            random_state=0).fit(X / 16, y)
    >>> axes = fastnn.plot_history(clf)
    >>> axes[0].figure.savefig("history.png")  # doctest: +SKIP
    """
    require_matplotlib()
    from matplotlib.ticker import MaxNLocator

    runs, named = _runs(estimators, labels)
    metrics = _metrics(metrics, runs)
    axes, result, twin = _axes(ax, len(metrics))
    for i, run in enumerate(runs):
        prefix = f"{run.label}: " if named else ""
        for panel, metric in zip(axes, metrics):
            _draw(panel, run, metric, f"C{i % 10}", prefix)
    score_names = {r.score_name for r in runs if r.val_score is not None}
    score_name = score_names.pop() if len(score_names) == 1 else "score"
    for panel, metric in zip(axes, metrics):
        panel.set_ylabel("loss" if metric == "loss" else f"validation {score_name}")
        panel.set_xlabel("epoch")
        panel.xaxis.set_major_locator(MaxNLocator(integer=True))
        if not twin:
            panel.set_title("loss" if metric == "loss" else f"validation {score_name}")
            panel.legend(fontsize="small")
    if twin:
        handles, texts = [], []
        for panel in axes:
            for h, t in zip(*panel.get_legend_handles_labels()):
                if t not in texts:
                    handles.append(h)
                    texts.append(t)
        axes[0].legend(handles, texts, fontsize="small")
    return result


def save_history(estimators, path, metrics=None, labels=None, dpi=120):
    """Draw :func:`plot_history` on a new figure and save it, without pyplot (no
    display or global figure state is involved).

    Parameters
    ----------
    estimators, metrics, labels
        As for :func:`plot_history`.
    path : str or path-like
        Image file; the format comes from its suffix (``.png``, ``.svg``, ``.pdf``).
    dpi : int, default=120
    """
    require_matplotlib()
    check_image_path(path)
    from matplotlib.figure import Figure

    runs, _ = _runs(estimators, labels)
    n_panels = len(_metrics(metrics, runs))
    fig = Figure(figsize=(6.0 * n_panels, 4.2), layout="constrained")
    axes = fig.subplots(1, n_panels, squeeze=False)[0]
    plot_history(estimators, ax=list(axes), metrics=metrics, labels=labels)
    fig.savefig(path, dpi=dpi)
