"""Assembling a training batch: the rows of an epoch's order, copied into the
batch buffers, with Gaussian input noise when asked for."""
from .jit import kernel
from .optable import NOISE_STREAM
from .random import random_key
from .regularization import add_gaussian_noise_


@kernel
def gather_(data, work, rows, bs, dense, noise, seed, batch_index, n_layers):
    """Copy rows ``rows`` of ``data`` into ``work.Xb`` (dense input only),
    ``work.Yb`` and ``work.swb`` (OUT), then add ``noise * N(0, 1)`` to the input
    rows when ``noise > 0``. Explicit loops: a slice assignment costs seconds of
    compile time."""
    if dense:
        n_features = data.X.shape[1]
        for i in range(bs):
            r = rows[i]
            for j in range(n_features):
                work.Xb[i, j] = data.X[r, j]
        if noise > 0:
            add_gaussian_noise_(work.Xb[:bs], noise,
                                random_key(seed, batch_index, NOISE_STREAM, 0, n_layers))
    n_outputs = data.Y.shape[1]
    for i in range(bs):
        r = rows[i]
        for j in range(n_outputs):
            work.Yb[i, j] = data.Y[r, j]
        work.swb[i] = data.sw[r]
