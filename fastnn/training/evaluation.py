"""Scoring a network's outputs outside training (validation loss)."""
import numpy as np

from ..nn.output import loss_delta_


def output_loss(net, out, Y, sw=None):
    """Mean (sample-weighted) data loss of output activations ``out`` against
    encoded targets ``Y``, with the training loss's formula and no penalty terms."""
    sw = np.ones(Y.shape[0], dtype=net.dtype) if sw is None else sw.astype(net.dtype)
    total = loss_delta_(net.out_code, np.ascontiguousarray(out, dtype=net.dtype),
                        np.ascontiguousarray(Y, dtype=net.dtype), sw,
                        np.empty_like(out, dtype=net.dtype))
    return float(total / sw.sum())
