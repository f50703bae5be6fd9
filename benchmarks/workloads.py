"""The benchmark workloads, shared by ``compare.py`` and the pytest-benchmark suite.

Each workload says where its data comes from, the network (hidden layers), the
batch size and the number of epochs. Data files are read from the directory in
``FASTNN_DATA_DIR`` or from ``../shared/data`` beside the project root.
"""
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class MissingData(RuntimeError):
    """A workload's data file is not available."""


def data_dir():
    """Directory holding ``mnist.npz`` and ``california_housing.npz``."""
    return Path(os.environ.get("FASTNN_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))


def _npz(name):
    path = data_dir() / name
    if not path.exists():
        raise MissingData(
            f"{path} not found: put {name} there or set FASTNN_DATA_DIR to its directory."
        )
    return np.load(path)


def load_tabular():
    from sklearn.datasets import make_classification

    X, y = make_classification(60000, 20, n_informative=12, n_classes=4, random_state=0)
    X = X.astype(np.float32)
    return X[:50000], y[:50000], X[50000:], y[50000:]


def load_housing():
    from sklearn.model_selection import train_test_split

    d = _npz("california_housing.npz")
    X, y = d["X"].astype(np.float64), d["y"].astype(np.float64) / 1e5
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
    median = np.nanmedian(X_tr, axis=0)
    X_tr = np.where(np.isnan(X_tr), median, X_tr)
    X_te = np.where(np.isnan(X_te), median, X_te)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    std[std == 0] = 1.0
    scale = lambda A: ((A - mean) / std).astype(np.float32)  # noqa: E731
    return scale(X_tr), y_tr.astype(np.float32), scale(X_te), y_te.astype(np.float32)


def load_mnist():
    d = _npz("mnist.npz")
    return ((d["X_train"] / np.float32(255)).astype(np.float32), d["y_train"].astype(np.int64),
            (d["X_test"] / np.float32(255)).astype(np.float32), d["y_test"].astype(np.int64))


def _split(X, y, test_size, stratify):
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=test_size, random_state=0,
                            stratify=y if stratify else None)


def _standardized(X_tr, X_te):
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    std[std == 0] = 1.0
    return ((X_tr - mean) / std).astype(np.float32), ((X_te - mean) / std).astype(np.float32)


def load_digits():
    """Bundled 8x8 digits, pixels scaled to [0, 1] (not standardised), 30% test."""
    from sklearn.datasets import load_digits as load

    X, y = load(return_X_y=True)
    X_tr, X_te, y_tr, y_te = _split((X / 16).astype(np.float32), y, 0.3, True)
    return X_tr, y_tr, X_te, y_te


def load_breast_cancer():
    """Bundled breast cancer, standardised, 30% test."""
    from sklearn.datasets import load_breast_cancer as load

    X, y = load(return_X_y=True)
    X_tr, X_te, y_tr, y_te = _split(X, y, 0.3, True)
    X_tr, X_te = _standardized(X_tr, X_te)
    return X_tr, y_tr, X_te, y_te


def load_diabetes():
    """Bundled diabetes, features and target standardised, 30% test."""
    from sklearn.datasets import load_diabetes as load

    X, y = load(return_X_y=True)
    X_tr, X_te, y_tr, y_te = _split(X, y, 0.3, False)
    X_tr, X_te = _standardized(X_tr, X_te)
    mean, std = y_tr.mean(), y_tr.std()
    return X_tr, ((y_tr - mean) / std).astype(np.float32), X_te, ((y_te - mean) / std).astype(
        np.float32)


def load_friedman1():
    """Friedman #1 (10 features, 5 informative, noise 1), target as it comes
    (mean about 14): the output layer has to learn the offset."""
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(12000, 10, noise=1.0, random_state=0)
    X_tr, X_te, y_tr, y_te = _split(X.astype(np.float32), y.astype(np.float32), 2000, False)
    return X_tr, y_tr, X_te, y_te


def load_hastie():
    """Hastie et al. 10.2: binary, 10 Gaussian features, a spherical boundary."""
    from sklearn.datasets import make_hastie_10_2

    X, y = make_hastie_10_2(12000, random_state=0)
    X_tr, X_te, y_tr, y_te = _split(X.astype(np.float32), (y > 0).astype(np.int64), 2000, True)
    return X_tr, y_tr, X_te, y_te


def load_binary_wide():
    """make_classification: 2 classes, 50 features (20 informative), 5% flipped labels."""
    from sklearn.datasets import make_classification

    X, y = make_classification(40000, 50, n_informative=20, n_redundant=10, flip_y=0.05,
                               class_sep=0.8, random_state=1)
    X_tr, X_te, y_tr, y_te = _split(X.astype(np.float32), y, 10000, True)
    return X_tr, y_tr, X_te, y_te


def load_multiclass_deep():
    """make_classification: 8 classes, 30 features (15 informative), for a deep narrow net."""
    from sklearn.datasets import make_classification

    X, y = make_classification(25000, 30, n_informative=15, n_classes=8,
                               n_clusters_per_class=2, random_state=2)
    X_tr, X_te, y_tr, y_te = _split(X.astype(np.float32), y, 5000, True)
    return X_tr, y_tr, X_te, y_te


def load_moons():
    """Two interleaving half circles, noise 0.3: two features, a curved boundary."""
    from sklearn.datasets import make_moons

    X, y = make_moons(12000, noise=0.3, random_state=0)
    X_tr, X_te, y_tr, y_te = _split(X.astype(np.float32), y, 2000, True)
    return X_tr, y_tr, X_te, y_te


@dataclass(frozen=True)
class Workload:
    name: str
    loader: object
    hidden: tuple
    batch_size: int
    epochs: int
    task: str = "classification"

    def load(self):
        return self.loader()

    def flops_per_epoch(self, n_train, n_features, n_outputs):
        """Multiply-adds x 2 of one epoch: forward, weight gradients, input gradients
        of every layer but the first."""
        units = [n_features, *self.hidden, n_outputs]
        macs = [a * b for a, b in zip(units[:-1], units[1:])]
        return 2.0 * n_train * (2 * sum(macs) + sum(macs[1:]))


WORKLOADS = {
    w.name: w
    for w in [
        Workload("tabular", load_tabular, (64, 64), 32, 3),
        Workload("housing", load_housing, (64, 32), 64, 5, task="regression"),
        Workload("mnist", load_mnist, (256, 128), 128, 3),
        Workload("mnist-b32", load_mnist, (256, 128), 32, 1),
        Workload("wide", load_mnist, (1024, 1024, 1024), 256, 1),
    ]
}

#: The quality panel of ``quality.py``: datasets of other shapes, sizes, depths and
#: widths, beside the speed workloads above (``epochs`` is unused there).
PANEL = {
    w.name: w
    for w in [
        Workload("digits", load_digits, (128, 64), 32, 0),
        Workload("digits-deep8", load_digits, (64,) * 8, 32, 0),
        Workload("digits-deep16", load_digits, (64,) * 16, 32, 0),
        Workload("breast-cancer", load_breast_cancer, (32, 16), 32, 0),
        Workload("diabetes", load_diabetes, (64, 32), 32, 0, task="regression"),
        Workload("friedman1", load_friedman1, (64, 64), 64, 0, task="regression"),
        Workload("hastie", load_hastie, (128, 64), 64, 0),
        Workload("binary-wide", load_binary_wide, (256, 256), 128, 0),
        Workload("multiclass-deep", load_multiclass_deep, (64,) * 6, 64, 0),
        Workload("moons", load_moons, (16, 16), 32, 0),
        Workload("housing-deep", load_housing, (256, 256, 256), 256, 0, task="regression"),
    ]
}
