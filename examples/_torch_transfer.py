"""The transfer recipe of ``transfer_learning.py`` written in PyTorch, as a
PyTorch user would: the same network (dense -> batch norm -> ReLU per hidden
layer), Adam with the same learning rate, batch size and epochs, the hidden
layers copied from the source model (batch-norm statistics included), a fresh
``nn.Linear`` output layer with PyTorch's default initialisation, frozen layers
with ``requires_grad=False`` and their batch norm in eval mode.

Only imported when PyTorch is installed.
"""
import numpy as np
import torch


def _network(n_in, hidden, n_out):
    layers, prev = [], n_in
    for units in hidden:
        layers.append(torch.nn.Sequential(torch.nn.Linear(prev, units),
                                          torch.nn.BatchNorm1d(units), torch.nn.ReLU()))
        prev = units
    return torch.nn.Sequential(*layers, torch.nn.Linear(prev, n_out))


def _train(model, X, y, epochs, batch_size, lr, frozen=()):
    """Adam over the trainable parameters; returns the mean batch loss of the
    first epoch (weighted by batch rows, as scikit-learn's ``loss_curve_``)."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    X, y = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    first_epoch = []
    for epoch in range(epochs):
        model.train()
        for i in frozen:  # a frozen layer's batch norm keeps its running statistics
            model[i].eval()
        perm = torch.randperm(len(X))
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            if len(idx) < 2:  # BatchNorm1d cannot train on one row
                continue
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
            if epoch == 0:
                first_epoch.append((loss.item(), len(idx)))
    losses, rows = np.array(first_epoch).T
    return float((losses * rows).sum() / rows.sum())


def _accuracy(model, X, y):
    model.eval()
    with torch.inference_mode():
        return float((model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


class TorchRecipe:
    """A source model trained on ``(Xs, ys)``, reused for each situation."""

    def __init__(self, Xs, ys, hidden, epochs, lr, seed, threads=None):
        if threads:
            torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.hidden, self.lr = hidden, lr
        self.classes = np.unique(ys)
        self.source = _network(Xs.shape[1], hidden, len(self.classes))
        _train(self.source, Xs, np.searchsorted(self.classes, ys), epochs, 128, lr)

    def transfer(self, X, y, X_eval, y_eval, freeze, epochs, batch_size):
        """Copy the hidden layers, fresh head, freeze the first ``freeze`` hidden
        layers (None: none); returns ``(test accuracy, first-epoch loss)``."""
        classes = np.unique(y)
        model = _network(X.shape[1], self.hidden, len(classes))
        for i in range(len(self.hidden)):
            model[i].load_state_dict(self.source[i].state_dict())
        frozen = tuple(range(freeze or 0))
        for i in frozen:
            for p in model[i].parameters():
                p.requires_grad_(False)
        first = _train(model, X, np.searchsorted(classes, y), epochs, batch_size, self.lr,
                       frozen)
        return _accuracy(model, X_eval, np.searchsorted(classes, y_eval)), first
