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
