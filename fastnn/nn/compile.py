"""The training kernel: one compiled call per epoch, for every configuration.

``train_epoch_(data, net, work, opt, order, batch_size, gather, sparse, opt_code,
step, seed, update_running)`` makes one pass over the rows in ``order``, and per
batch the gather, forward over every layer op of the op table, loss, backward,
gradient clipping, optimizer update and max-norm. A configuration reaches it as
data: the op table (which ops, which activation), the optimizer code and two
flags. Dispatch happens once per op and batch; the per-element loops are
specialised (each activation has its own loop, see
:mod:`fastnn.nn.activations`).

Why one kernel and not one per configuration: Numba links every function a
kernel calls into that kernel's machine code, so a kernel specialised for one
configuration costs as much to compile as the code it reaches (measured: 3.2 s
of LLVM code generation for 1.1 MB of linked IR, for a network of one dense
layer, batch norm and ELU, even with every callee already compiled), and a new
activation or optimizer combination would wait for that on first use. One
kernel per dtype reaches everything once, is compiled while the package is
built, and is loaded from the shipped cache by every configuration
(:mod:`fastnn.nn.jit`).

The arrays travel in four bundles (named tuples), so a reader sees at a glance
what a step reads and writes:

========  ==================================================================
data      :class:`DataArrays` IN: ``X`` (dense, or an empty ``(0, n_features)``
          array when sparse), CSR ``data`` / ``indices`` / ``indptr`` (int64),
          targets ``Y`` and sample weights ``sw``, all read-only
net       :class:`NetArrays`: INOUT ``params``, OUT ``grads``, INOUT ``buffers``
          (running statistics), IN the op table ``table``, per-dense-layer
          ``frozen`` flags and dropout ``rates``
work      :class:`WorkArrays` scratch: activation blocks ``acts``, ``deltas``,
          float64 ``stats`` (batch norm) and ``row_stats`` (layer norm), and
          the gathered batch ``Xb``, ``Yb``, ``swb``
opt       :class:`OptArrays`: INOUT optimizer ``state``, IN trainable
          ``segments`` and the float64 ``settings`` (:mod:`.settings`)
========  ==================================================================

Frozen layers (``frozen[l] != 0``, transfer learning) keep every parameter: their
batch norm runs in inference mode, the backward pass computes no gradient for
them and stops below the lowest trainable layer, and the optimizer, clipping and
max-norm touch only the trainable ranges ``segments``.
"""
import math
from collections import namedtuple

from . import activations, batch_norm, dense, dropout, layer_norm, output
from .jit import kernel
from .optable import (
    ACTIVATION,
    BATCH_NORM,
    DELTA,
    DENSE,
    DROPOUT,
    DROPOUT_STREAM,
    KIND,
    LAYER,
    LAYER_NORM,
    RRELU_STREAM,
    UNITS,
    block,
)
from .batch import gather_
from .optimizers import NO_UPDATE, update_
from .random import random_key
from .settings import (
    ALPHA,
    BN_EPS,
    BN_MOMENTUM,
    INPUT_NOISE,
    L1,
    LN_EPS,
)

DataArrays = namedtuple("DataArrays", "X data indices indptr Y sw")
NetArrays = namedtuple("NetArrays", "params grads buffers table frozen rates")
WorkArrays = namedtuple("WorkArrays", "acts deltas stats row_stats Xb Yb swb")
OptArrays = namedtuple("OptArrays", "state segments settings")


@kernel
def train_epoch_(data, net, work, opt, order, batch_size, gather, sparse, opt_code, step, seed,
                 update_running):
    """One pass over the rows in ``order``: forward, backward and update per batch.

    Parameters
    ----------
    data, net, work, opt : named tuples of arrays
        See the module docstring.
    order : ndarray of int64
        Row order of this epoch. When ``gather`` is false it must be
        ``arange(n)``, and batches are read in place; otherwise they are copied
        into ``work.Xb`` / ``Yb`` / ``swb`` (and input noise is added there).
    batch_size : int
        Rows per batch (the last batch may be smaller); the workspace capacity.
    gather, sparse : bool
        See ``order``; whether the input is the CSR matrix of ``data``.
    opt_code : int
        Optimizer code, or ``NO_UPDATE`` to only compute loss and gradients.
    step : int
        Number of updates made before this call.
    seed : int
        Seed of this epoch's random streams (dropout, RReLU, input noise).
    update_running : bool
        Whether batch norm updates its running statistics.

    Returns
    -------
    loss_sum : float
        Sum over batches of ``batch_loss * batch_rows``, where ``batch_loss`` is
        the weighted mean loss plus ``(alpha / 2 ||W||^2 + l1 |W|) / sum(sw)``;
        NaN or inf as soon as a batch loss is not finite, in which case that
        batch made no update.
    step : int
        Number of updates made after this call.
    first_loss : float
        Loss of the first batch (before its update): a scale for divergence checks.
    """
    table = net.table
    settings = opt.settings
    n_ops = table.shape[0]
    n_layers = net.frozen.shape[0]
    lowest = 0  # the lowest trainable layer: deltas are not needed below it
    while net.frozen[lowest] != 0:
        lowest += 1
    n = order.shape[0]
    cap = batch_size
    total = 0.0
    first_loss = math.nan
    batch_index = 0
    for start in range(0, n, batch_size):
        end = min(start + batch_size, n)
        bs = end - start
        rows = order[start:end]
        if gather:
            gather_(data, work, rows, bs, not sparse,
                    settings[INPUT_NOISE], seed, batch_index, n_layers)
            Xin = work.Xb[:bs]
            Yin = work.Yb[:bs]
            swin = work.swb[:bs]
        else:
            Xin = data.X[start:end]
            Yin = data.Y[start:end]
            swin = data.sw[start:end]
        sw_sum = 0.0
        for i in range(bs):
            sw_sum += swin[i]
        if sw_sum <= 0.0:
            batch_index += 1
            continue
        scale = 1.0 / sw_sum

        # forward over every op but the output
        for k in range(n_ops - 1):
            row = table[k]
            kind = row[KIND]
            l = row[LAYER]
            if kind == DENSE:
                dense.forward_op_(row, net.params, work.acts, Xin, rows, data, cap, bs,
                                  sparse)
            elif kind == ACTIVATION:
                activations.forward_op_(row, net, work.acts, cap, bs, True,
                                        random_key(seed, batch_index, RRELU_STREAM, l,
                                                   n_layers))
            elif kind == BATCH_NORM:
                batch_norm.forward_op_(row, net.params, net.buffers, work.acts,
                                       work.stats, cap, bs, net.frozen[l] == 0,
                                       update_running, settings[BN_MOMENTUM],
                                       settings[BN_EPS])
            elif kind == LAYER_NORM:
                layer_norm.forward_op_(row, net.params, work.acts, work.row_stats,
                                       cap, bs, settings[LN_EPS])
            elif kind == DROPOUT:
                dropout.forward_op_(row, work.acts, net.rates[l], cap, bs,
                                    random_key(seed, batch_index, DROPOUT_STREAM, l,
                                               n_layers))
        loss_sum = output.loss_op_(table[n_ops - 1], work.acts, work.deltas, Yin, swin,
                                   cap, bs, scale)

        # backward, down to the lowest trainable layer
        sq = 0.0
        absolute = 0.0
        for k in range(n_ops - 2, -1, -1):
            row = table[k]
            kind = row[KIND]
            l = row[LAYER]
            if l < lowest:
                break
            trainable = net.frozen[l] == 0
            if kind == DENSE:
                s1, s2 = dense.backward_op_(row, net.params, net.grads, work.acts,
                                            work.deltas, Xin, rows, data, cap, bs, sparse,
                                            trainable, l > lowest, settings[ALPHA],
                                            settings[L1], scale)
                sq += s1
                absolute += s2
            elif kind == ACTIVATION:
                activations.backward_op_(row, net, work.acts,
                                         block(work.deltas, row[DELTA], cap, bs,
                                               row[UNITS]), cap, bs, trainable)
            elif kind == BATCH_NORM:
                batch_norm.backward_op_(row, net.params, net.grads, net.buffers,
                                        work.acts, work.deltas, work.stats, cap, bs,
                                        trainable, settings[BN_EPS])
            elif kind == LAYER_NORM:
                layer_norm.backward_op_(row, net.params, net.grads, work.acts,
                                        work.deltas, work.row_stats, cap, bs,
                                        trainable)
            elif kind == DROPOUT:
                dropout.backward_op_(row, work.acts, work.deltas, cap, bs)

        batch_loss = (loss_sum + 0.5 * settings[ALPHA] * sq + settings[L1] * absolute) * scale
        total += batch_loss * bs
        if batch_index == 0:
            first_loss = batch_loss
        if not math.isfinite(batch_loss):
            return total, step, first_loss
        if opt_code != NO_UPDATE:
            step = update_(opt_code, net.params, net.grads, opt.state, opt.segments, settings,
                           step, table, net.frozen)
        batch_index += 1
    return total, step, first_loss
