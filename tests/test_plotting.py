"""fastnn.plot_history: training-history plots, rendered off-screen (Agg)."""
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.image import imread
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

import fastnn
from fastnn import DNNClassifier, DNNRegressor
from fastnn.plotting import save_history


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


def fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def early(digits):
    """Early stopping on a held-out split: validation loss and score every epoch."""
    X, y = digits
    return fit(DNNClassifier((16,), max_iter=25, early_stopping=True, n_iter_no_change=5,
                             random_state=0), X, y)


@pytest.fixture(scope="module")
def plain(digits):
    X, y = digits
    return fit(DNNClassifier((16,), max_iter=8, random_state=0), X, y)


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_one_estimator_draws_loss_and_score_with_the_best_epoch(early, tmp_path):
    axes = fastnn.plot_history(early)
    assert axes.shape == (2,)
    loss_ax, score_ax = axes
    hist = early.history_
    epochs = np.arange(1, early.n_iter_ + 1)
    best = int(np.argmax(hist["val_score"])) + 1
    loss = lines_by_label(loss_ax)
    np.testing.assert_array_equal(loss["training loss"].get_xdata(), epochs)
    np.testing.assert_allclose(loss["training loss"].get_ydata(), hist["loss"])
    np.testing.assert_allclose(loss["validation loss"].get_ydata(), hist["val_loss"])
    assert loss["validation loss"].get_linestyle() == "--"
    score = lines_by_label(score_ax)
    np.testing.assert_allclose(score["validation accuracy"].get_ydata(), hist["val_score"])
    vline = score[f"best epoch {best} (best validation score)"]
    np.testing.assert_array_equal(vline.get_xdata(), [best, best])
    assert best in lines_by_label(loss_ax)[f"best epoch {best} (best validation score)"].get_xdata()
    star = next(line for line in score_ax.get_lines() if line.get_marker() == "*")
    assert star.get_xdata()[0] == best
    assert star.get_ydata()[0] == pytest.approx(early.best_validation_score_)
    assert loss_ax.get_xlabel() == "epoch" and score_ax.get_ylabel() == "validation accuracy"
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()][:2] == [
        "training loss", "validation loss"]
    path = tmp_path / "history.png"
    loss_ax.figure.savefig(path)
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.std() > 0  # something drawn


def test_without_validation_only_loss_and_best_is_the_lowest_loss(plain):
    ax = fastnn.plot_history(plain)
    assert isinstance(ax, matplotlib.axes.Axes)
    best = int(np.argmin(plain.loss_curve_)) + 1
    lines = lines_by_label(ax)
    assert set(lines) == {"training loss", f"best epoch {best} (lowest training loss)",
                          "_nolegend_"}
    np.testing.assert_allclose(lines["training loss"].get_ydata(), plain.loss_curve_)
    star = next(line for line in ax.get_lines() if line.get_marker() == "*")
    assert star.get_ydata()[0] == pytest.approx(min(plain.loss_curve_))
    with pytest.raises(ValueError, match="No validation scores to plot"):
        fastnn.plot_history(plain, metrics=("loss", "score"))


def test_several_estimators_compare_runs_in_one_figure(early, plain, digits):
    from sklearn.neural_network import MLPClassifier

    X, y = digits
    mlp = fit(MLPClassifier((16,), max_iter=6, random_state=0), X, y)
    axes = fastnn.plot_history({"early": early, "plain": plain, "sklearn": mlp})
    loss = lines_by_label(axes[0])
    np.testing.assert_allclose(loss["early: training loss"].get_ydata(), early.loss_curve_)
    np.testing.assert_allclose(loss["plain: training loss"].get_ydata(), plain.loss_curve_)
    np.testing.assert_allclose(loss["sklearn: training loss"].get_ydata(), mlp.loss_curve_)
    colors = {loss[f"{k}: training loss"].get_color() for k in ("early", "plain", "sklearn")}
    assert len(colors) == 3
    score = lines_by_label(axes[1])  # only the run with validation scores
    assert [k for k in score if not k.startswith("_")] == [
        "early: validation accuracy",
        (f"early: best epoch {int(np.argmax(early.validation_scores_)) + 1} "
         "(best validation score)")]
    labelled = fastnn.plot_history([early, plain], labels=["a", "b"], metrics=["loss"])
    assert "b: training loss" in lines_by_label(labelled)
    default = fastnn.plot_history([early, plain], metrics="loss")
    assert "DNNClassifier #2: training loss" in lines_by_label(default)


def test_given_axes_are_used(early):
    _, (a, b) = plt.subplots(1, 2)
    result = fastnn.plot_history(early, ax=[a, b])
    assert list(result) == [a, b] and a.get_lines() and b.get_lines()
    _, ax = plt.subplots()
    loss_ax, score_ax = fastnn.plot_history(early, ax=ax)  # score on a twin y-axis
    assert loss_ax is ax and score_ax is not ax
    np.testing.assert_allclose(lines_by_label(score_ax)["validation accuracy"].get_ydata(),
                               early.history_["val_score"])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "validation accuracy" in legend and len(legend) == len(set(legend))
    assert fastnn.plot_history(early, ax=ax, metrics=["score"]) is ax
    with pytest.raises(ValueError, match="one per metric"):
        fastnn.plot_history(early, ax=[a])


def test_lbfgs_final_values_are_horizontal_lines(digits):
    X, y = digits
    reg = fit(DNNRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=15,
                           random_state=0), X, y.astype(float), X_val=X[:50],
              y_val=y[:50].astype(float))
    loss_ax, score_ax = fastnn.plot_history(reg)
    line = loss_ax.get_lines()[0]
    assert line.get_label() == f"final training loss (lbfgs, {reg.n_iter_} iterations)"
    np.testing.assert_allclose(line.get_ydata(), [reg.loss_, reg.loss_])
    assert score_ax.get_ylabel() == "validation R$^2$"
    np.testing.assert_allclose(score_ax.get_lines()[0].get_ydata()[0],
                               reg.history_["val_score"][-1])


def test_loaded_models_plot_and_save_history_writes_a_file(early, tmp_path):
    early.save(tmp_path / "m.fastnn")
    loaded = fastnn.load(tmp_path / "m.fastnn")
    axes = fastnn.plot_history(loaded)
    np.testing.assert_allclose(lines_by_label(axes[0])["training loss"].get_ydata(),
                               early.history_["loss"])
    save_history(loaded, tmp_path / "h.svg")
    assert (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="cannot save a picture"):
        save_history(loaded, tmp_path / "h.unknown")


def test_bad_input_is_explained(early):
    with pytest.raises(ValueError, match="has no training history"):
        fastnn.plot_history(DNNClassifier())
    with pytest.raises(ValueError, match="No estimators"):
        fastnn.plot_history([])
    with pytest.raises(ValueError, match="2 labels for 1 estimators"):
        fastnn.plot_history([early], labels=["a", "b"])
    with pytest.raises(ValueError, match="not both"):
        fastnn.plot_history({"a": early}, labels=["a"])
    with pytest.raises(ValueError, match="metrics must be"):
        fastnn.plot_history(early, metrics=["accuracy"])


def test_missing_matplotlib_says_how_to_install(monkeypatch, early):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "fastnn\[plot\]"'):
        fastnn.plot_history(early)
