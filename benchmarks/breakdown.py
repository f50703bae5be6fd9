"""Where the time of one training batch goes, per ``compare.py`` workload.

Run from the repository root, with the workplace's OpenBLAS overrides unset::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/breakdown.py
    python benchmarks/breakdown.py --workloads tabular,mnist --threads 1

The whole step is measured on the real thing: the fastest epoch of a
``DNNClassifier`` / ``DNNRegressor`` fit of ``--repeats + 1`` epochs (Adam, the
workload's network and batch size; timed between end-of-epoch callbacks, so the
per-epoch shuffle and loss bookkeeping are in it), divided by the number of
batches. Each part is then timed alone at the workload's shapes, with the same
kernels the epoch kernel calls (fastnn's Numba kernels, and OpenBLAS through
``np.dot(..., out=)``), repeated inside one compiled loop so that no Python
call is in the measurement:

- ``gather``: copying the batch's rows of X and Y into the batch buffers;
- ``fwd GEMM l``: ``Z_l = A_{l-1} @ W_l``;
- ``bias+act l``: the fused bias + activation pass (softmax and the loss delta
  for the output layer: ``loss``);
- ``dW GEMM l``: ``A_{l-1}.T @ D_l`` (inner dimension: the batch), with the
  bias-gradient row sum (``db l``);
- ``dA GEMM l``: ``D_l @ W_l.T`` and the activation's backward pass
  (``act' l``);
- ``optimizer``: one fused Adam update over every parameter.

``other`` is the measured step minus the sum of the parts: views, calls between
ops, the loss bookkeeping and what the parts cost together but not apart (cache
misses between ops). The GFLOP/s of each GEMM are given beside its time.
"""
import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import blas_kernel, dropped_note  # noqa: E402
from workloads import WORKLOADS, MissingData  # noqa: E402


def _parts(hidden, n_features, n_outputs, batch, regression, repeats_inner):
    """[(name, seconds per batch, flops or 0)] of each part, timed alone."""
    import numba
    import numpy as np

    from fastnn.nn import activations, dense, optimizers, output
    from fastnn.nn import batch as batch_kernels
    from fastnn.nn.activations import ACTIVATION_CODES
    from fastnn.nn.settings import BETA_1, BETA_2, EPSILON, LR, SETTING_FIELDS

    f32 = np.float32
    rng = np.random.default_rng(0)
    units = [n_features, *hidden, n_outputs]
    relu = ACTIVATION_CODES["relu"]
    out_code = output.OUTPUT_CODES["identity" if regression else "softmax"]

    @numba.njit
    def rep_gemm(R, A, B, C):
        for _ in range(R):
            np.dot(A, B, C)

    @numba.njit
    def rep_gather(R, X, Y, rows, Xb, Yb):
        for _ in range(R):
            batch_kernels.copy_rows_(X, rows, rows.shape[0], Xb)
            batch_kernels.copy_rows_(Y, rows, rows.shape[0], Yb)

    @numba.njit
    def rep_act(R, code, H, b, A, S):
        for _ in range(R):
            activations.forward_loops_(code, H, b, A, S, True)

    @numba.njit
    def rep_act_back(R, code, D, H, A, S):
        for _ in range(R):
            activations.backward_loops_(code, D, H, A, S)

    @numba.njit
    def rep_loss(R, code, Z0, Z, Y, sw, D):
        for _ in range(R):
            Z[:, :] = Z0
            output.output_activation_(code, Z)
            output.loss_delta_(code, Z, Y, sw, D)

    @numba.njit
    def rep_db(R, D, W, gW, gb):
        for _ in range(R):
            dense.finish_param_grads_(D, W, gW, gb, 0.0, 0.0, 1.0)

    @numba.njit
    def rep_opt(R, code, params, grads, state, settings):
        for t in range(R):
            optimizers.segment_step_(code, params, grads, state, settings, t + 1, 0,
                                     params.shape[0], 0)

    def timed(fn, *args, flops=0):
        fn(1, *args)                                  # compile
        R = repeats_inner
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            fn(R, *args)
            best = min(best, (time.perf_counter() - start) / R)
        return best, flops

    parts = []
    n_rows = 50_000
    X = rng.standard_normal((n_rows, n_features), dtype=f32)
    Y = rng.standard_normal((n_rows, n_outputs), dtype=f32)
    rows = rng.permutation(n_rows)[:batch].astype(np.int64)
    parts.append(("gather",) + timed(rep_gather, X, Y, rows, np.empty((batch, n_features), f32),
                                     np.empty((batch, n_outputs), f32)))
    n_params = 0
    for l, (fi, fo) in enumerate(zip(units[:-1], units[1:])):
        A = rng.standard_normal((batch, fi), dtype=f32)
        W = (rng.standard_normal((fi, fo), dtype=f32) * 0.05)
        Z = np.empty((batch, fo), f32)
        D = rng.standard_normal((batch, fo), dtype=f32)
        n_params += fi * fo + fo
        last = l == len(units) - 2
        parts.append((f"fwd GEMM {l}",) + timed(rep_gemm, A, W, Z, flops=2 * batch * fi * fo))
        if last:
            parts.append(("loss",) + timed(rep_loss, out_code, Z.copy(), np.empty_like(Z),
                                           np.abs(D), np.ones(batch, f32), np.empty_like(Z)))
        else:
            parts.append((f"bias+act {l}",) + timed(
                rep_act, relu, Z, np.zeros(fo, f32), np.empty_like(Z), np.zeros((1, fo), f32)))
        gW = np.empty_like(W)
        parts.append((f"dW GEMM {l}",) + timed(rep_gemm, A.T, D, gW, flops=2 * batch * fi * fo))
        parts.append((f"db {l}",) + timed(rep_db, D, W, gW, np.empty(fo, f32)))
        if l > 0:
            parts.append((f"dA GEMM {l}",) + timed(rep_gemm, D, W.T, np.empty((batch, fi), f32),
                                                   flops=2 * batch * fi * fo))
            parts.append((f"act' {l - 1}",) + timed(
                rep_act_back, relu, A, np.abs(A), np.abs(A), np.zeros((1, fi), f32)))
    spec = optimizers.OPTIMIZERS["adam"]
    settings = np.zeros(len(SETTING_FIELDS))
    settings[[LR, BETA_1, BETA_2, EPSILON]] = [1e-3, 0.9, 0.999, 1e-8]
    parts.append(("optimizer",) + timed(
        rep_opt, spec.code, rng.standard_normal(n_params, dtype=f32) * 0.05,
        rng.standard_normal(n_params, dtype=f32), np.zeros((len(spec.state), n_params), f32),
        settings))
    return parts, n_params


def _step_seconds(w, data, repeats):
    """Seconds per batch of a real epoch: the fastest epoch of a ``repeats + 1``
    epoch fit (the time between the end-of-epoch callbacks, so no setup is in it)."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    from fastnn import DNNClassifier, DNNRegressor

    X, y = data[0], data[1]
    cls = DNNRegressor if w.task == "regression" else DNNClassifier
    kw = dict(hidden_layer_sizes=w.hidden, batch_size=w.batch_size, alpha=0.0, tol=0.0,
              n_iter_no_change=10**9, random_state=0, learning_rate_init=1e-3)
    warnings.simplefilter("ignore", ConvergenceWarning)
    cls(max_iter=1, **kw).fit(X[:256], y[:256])   # load the kernels
    ends = []
    cls(max_iter=repeats + 1, callbacks=[lambda est, info: ends.append(time.perf_counter())],
        **kw).fit(X, y)
    n_batches = int(np.ceil(X.shape[0] / w.batch_size))
    return float(np.min(np.diff(ends))) / n_batches, n_batches


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="tabular,housing,mnist,mnist-b32,wide")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (default: what the environment gives)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    import numpy as np  # noqa: F401

    print(f"# fastnn per-batch breakdown, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"{os.cpu_count()} CPUs")
    print(dropped_note())
    limiter = threadpool_limits(args.threads, user_api="blas") if args.threads else None
    print("BLAS: " + blas_kernel())
    for name in args.workloads.split(","):
        w = WORKLOADS[name]
        try:
            data = w.load()
        except MissingData as exc:
            print(f"\n{name}: skipped ({exc})")
            continue
        regression = w.task == "regression"
        n_out = 1 if regression else int(data[1].max()) + 1
        inner = max(5, int(2e7 / (w.batch_size * max(
            a * b for a, b in zip([data[0].shape[1], *w.hidden], [*w.hidden, n_out])))))
        from fastnn.training.threads import SMALL_PRODUCT, largest_batch_product

        units = [data[0].shape[1], *w.hidden, n_out]
        # the parts run on the BLAS threads the fit uses (one for small products)
        small = args.threads is None and largest_batch_product(units, w.batch_size) < SMALL_PRODUCT
        with threadpool_limits(1 if small else None, user_api="blas"):
            parts, n_params = _parts(w.hidden, data[0].shape[1], n_out, w.batch_size,
                                     regression, min(inner, 20000))
        step, n_batches = _step_seconds(w, data, args.repeats)
        total_parts = sum(p[1] for p in parts)
        print(f"\n## {name}: {w.hidden}, batch {w.batch_size}, {n_params} parameters, "
              f"{n_batches} batches/epoch; measured step {step * 1e6:.1f} us")
        print("| part | us | share of step | GFLOP/s |")
        print("|---|---|---|---|")
        for part, seconds, flops in parts:
            rate = f"{flops / seconds / 1e9:.1f}" if flops else ""
            print(f"| {part} | {seconds * 1e6:.2f} | {seconds / step:.0%} | {rate} |")
        gemm = sum(s for p, s, f in parts if f)
        print(f"| all GEMMs | {gemm * 1e6:.2f} | {gemm / step:.0%} | |")
        print(f"| everything else timed | {(total_parts - gemm) * 1e6:.2f} | "
              f"{(total_parts - gemm) / step:.0%} | |")
        print(f"| other (step - parts) | {(step - total_parts) * 1e6:.2f} | "
              f"{(step - total_parts) / step:.0%} | |")
    if limiter is not None:
        limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
