"""Assembling a training batch: the rows of an epoch's order, copied into the
batch buffers, with Gaussian input noise when asked for."""
from .jit import kernel
from .optable import NOISE_STREAM
from .random import random_key
from .regularization import add_gaussian_noise_


@kernel
def copy_rows_(src, rows, n, dst):
    """``dst[i, :] = src[rows[i], :]`` for ``i < n`` (OUT: ``dst``), as explicit
    loops."""
    for i in range(n):
        r = rows[i]
        for j in range(src.shape[1]):
            dst[i, j] = src[r, j]


@kernel
def gather_(data, work, rows, bs, dense, noise, seed, batch_index, n_layers):
    """Copy rows ``rows`` of ``data`` into ``work.Xb`` (dense input only),
    ``work.Yb`` and ``work.swb`` (OUT), then add ``noise * N(0, 1)`` to the input
    rows when ``noise > 0``. Explicit loops: a slice assignment costs seconds of
    compile time."""
    if dense:
        copy_rows_(data.X, rows, bs, work.Xb)
        if noise > 0:
            add_gaussian_noise_(work.Xb[:bs], noise,
                                random_key(seed, batch_index, NOISE_STREAM, 0, n_layers))
    copy_rows_(data.Y, rows, bs, work.Yb)
    for i in range(bs):
        work.swb[i] = data.sw[rows[i]]
