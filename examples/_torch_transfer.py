"""The transfer recipe of ``transfer_learning.py`` written in PyTorch, as a
PyTorch user would: the same network (dense -> batch norm -> ReLU per hidden
layer), Adam with the same learning rate, batch size and epochs, the hidden
layers copied from the source model (batch-norm statistics included), a fresh
``nn.Linear`` output layer with PyTorch's default initialisation, frozen layers
with ``requires_grad=False`` and their batch norm in eval mode.

The source model is fastnn's, its weights copied into the PyTorch network
(:meth:`TorchRecipe.from_fastnn`), so that both columns start from the same
trained layers and differ only in the recipe. A source trained by each framework
on its own added about a point of noise between the columns (10 seeds, little
data / different: -0.79 +- 0.51 points with separate sources, -0.14 +- 0.22 over
30 fine-tunings of shared ones).

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


def _copy_from_fastnn(network, source):
    """Write a fitted fastnn ``DNNClassifier``'s parameters (dense weights and
    biases, batch-norm scale, shift and running statistics: its
    ``layer_parameters``) into ``network``."""
    n_hidden = len(network) - 1
    for l in range(n_hidden + 1):
        parts = source.layer_parameters(l)
        linear = network[l][0] if l < n_hidden else network[l]
        linear.weight.data = _tensor(parts["coef"].T)
        linear.bias.data = _tensor(parts["intercept"])
        if l < n_hidden:
            bn = network[l][1]
            bn.weight.data, bn.bias.data = _tensor(parts["gamma"]), _tensor(parts["beta"])
            bn.running_mean.data = _tensor(parts["running_mean"])
            bn.running_var.data = _tensor(parts["running_var"])


def _tensor(a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


class TorchRecipe:
    """A source model reused for each situation: :meth:`from_fastnn`."""

    def __init__(self, source, hidden, lr):
        self.source, self.hidden, self.lr = source, hidden, lr

    @classmethod
    def from_fastnn(cls, model, lr, seed):
        """The PyTorch network holding the fitted fastnn ``model``'s parameters;
        ``seed`` seeds PyTorch's fresh heads and shuffles."""
        torch.manual_seed(seed)
        hidden = tuple(model.hidden_layer_sizes)
        source = _network(model.n_features_in_, hidden, len(model.classes_))
        _copy_from_fastnn(source, model)
        return cls(source, hidden, lr)

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
