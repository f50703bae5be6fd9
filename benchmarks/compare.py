"""Side-by-side speed comparison of fastnn with scikit-learn, PyTorch and skorch.

Usage::

    pip install -e ".[bench]"            # PyTorch and skorch; either may be absent
    python benchmarks/compare.py          # every workload and framework, 2 threads
    python benchmarks/compare.py --workloads tabular,mnist --frameworks fastnn,torch

Every (framework, workload) cell runs in its own subprocess with the same thread
count (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``,
``NUMBA_NUM_THREADS``, ``torch.set_num_threads``), float32 data, the same
architecture, Adam with learning rate 1e-3 (no L2 penalty), batch size and
epochs. The table gives seconds per epoch, GFLOP/s (and its share of this
machine's float32 GEMM peak, measured with NumPy), the ratio of each peer's
seconds per epoch to fastnn's, the test accuracy or RMSE (so speed never comes
from doing less work), the time of ``predict_proba`` / ``predict`` on the test
rows and the peak memory of the process. fastnn's kernel compilation (or cache
load) happens in a warm-up fit on 64 rows and is reported separately.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workloads import WORKLOADS, MissingData  # noqa: E402

FRAMEWORKS = ("fastnn", "sklearn", "torch", "skorch")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


# ----------------------------------------------------------------- one cell
def _fit_estimator(make, X_tr, y_tr, epochs):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make(epochs).fit(X_tr, y_tr)
    return model, time.perf_counter() - start


def run_sklearn_like(lib, w, X_tr, y_tr, X_te):
    if lib == "fastnn":
        from fastnn import DNNClassifier as Clf, DNNRegressor as Reg
    else:
        from sklearn.neural_network import MLPClassifier as Clf, MLPRegressor as Reg
    cls = Reg if w.task == "regression" else Clf

    def make(epochs):
        return cls(hidden_layer_sizes=w.hidden, solver="adam", learning_rate_init=1e-3,
                   alpha=0.0, batch_size=w.batch_size, max_iter=epochs, tol=0.0,
                   n_iter_no_change=10**9, shuffle=True, random_state=0)

    extra = {}
    if lib == "fastnn":
        start = time.perf_counter()
        _fit_estimator(make, X_tr[:64], y_tr[:64], 1)
        extra["compile_seconds"] = time.perf_counter() - start
    model, seconds = _fit_estimator(make, X_tr, y_tr, w.epochs)
    predict = model.predict if w.task == "regression" else model.predict_proba
    predict(X_te[:10])
    start = time.perf_counter()
    out = predict(X_te)
    extra["predict_seconds"] = time.perf_counter() - start
    return seconds, out, extra


def _torch_module(torch, w, n_in, n_out):
    layers, prev = [], n_in
    for h in w.hidden:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
        prev = h
    layers.append(torch.nn.Linear(prev, n_out))
    return torch.nn.Sequential(*layers)


def run_torch(w, X_tr, y_tr, X_te, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    regression = w.task == "regression"
    n_out = 1 if regression else int(y_tr.max()) + 1
    model = _torch_module(torch, w, X_tr.shape[1], n_out)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss() if regression else torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(X_tr)
    y = torch.from_numpy(y_tr.reshape(-1, 1) if regression else y_tr)
    n = X.shape[0]
    start = time.perf_counter()
    for _ in range(w.epochs):
        perm = torch.randperm(n)
        for i in range(0, n, w.batch_size):
            idx = perm[i : i + w.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    with torch.inference_mode():
        Xt = torch.from_numpy(X_te)
        model(Xt[:10])
        start = time.perf_counter()
        out = model(Xt)
        out = out.numpy().ravel() if regression else torch.softmax(out, 1).numpy()
        predict_seconds = time.perf_counter() - start
    return seconds, out, {"predict_seconds": predict_seconds}


def run_skorch(w, X_tr, y_tr, X_te, threads):
    import torch
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    regression = w.task == "regression"
    n_out = 1 if regression else int(y_tr.max()) + 1
    cls = NeuralNetRegressor if regression else NeuralNetClassifier
    net = cls(_torch_module(torch, w, X_tr.shape[1], n_out),
              criterion=torch.nn.MSELoss if regression else torch.nn.CrossEntropyLoss,
              optimizer=torch.optim.Adam, lr=1e-3, batch_size=w.batch_size,
              max_epochs=w.epochs, train_split=None, iterator_train__shuffle=True, verbose=0)
    y = y_tr.reshape(-1, 1) if regression else y_tr
    start = time.perf_counter()
    net.fit(X_tr, y)
    seconds = time.perf_counter() - start
    predict = net.predict if regression else net.predict_proba
    predict(X_te[:10])
    start = time.perf_counter()
    out = predict(X_te)
    return seconds, np.asarray(out).ravel() if regression else out, {
        "predict_seconds": time.perf_counter() - start}


def run_cell(framework, workload, threads):
    w = WORKLOADS[workload]
    X_tr, y_tr, X_te, y_te = w.load()
    if framework in ("fastnn", "sklearn"):
        seconds, out, extra = run_sklearn_like(framework, w, X_tr, y_tr, X_te)
    elif framework == "torch":
        seconds, out, extra = run_torch(w, X_tr, y_tr, X_te, threads)
    else:
        seconds, out, extra = run_skorch(w, X_tr, y_tr, X_te, threads)
    if w.task == "regression":
        metric = float(np.sqrt(np.mean((np.asarray(out).ravel() - y_te) ** 2)))
    else:
        metric = float(np.mean(np.asarray(out).argmax(axis=1) == y_te))
    n_out = 1 if w.task == "regression" else int(y_tr.max()) + 1
    flops = w.flops_per_epoch(X_tr.shape[0], X_tr.shape[1], n_out)
    return {
        "framework": framework, "workload": workload, "seconds_per_epoch": seconds / w.epochs,
        "gflops": flops / (seconds / w.epochs) / 1e9, "metric": metric,
        "metric_name": "rmse" if w.task == "regression" else "accuracy",
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra,
    }


# --------------------------------------------------------------- the parent
def thread_env(threads):
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    return env


def gemm_peak(threads, size=2048, repeats=5):
    """Best float32 GEMM GFLOP/s of NumPy's BLAS at this thread count."""
    code = (
        "import numpy as np, time\n"
        f"a = np.random.rand({size}, {size}).astype(np.float32); b = a.copy(); c = a @ b\n"
        "best = 1e9\n"
        f"for _ in range({repeats}):\n"
        "    t = time.perf_counter(); np.matmul(a, b, out=c); best = min(best, time.perf_counter() - t)\n"
        f"print(2 * {size}**3 / best / 1e9)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], env=thread_env(threads),
                         capture_output=True, text=True, check=True)
    return float(res.stdout.strip())


def available(framework):
    module = {"fastnn": "fastnn", "sklearn": "sklearn", "torch": "torch", "skorch": "skorch"}
    try:
        __import__(module[framework])
        return True
    except ImportError:
        return False


def versions():
    out = {"python": platform.python_version()}
    for name in ("fastnn", "numpy", "scipy", "sklearn", "numba", "torch", "skorch"):
        try:
            out[name] = __import__(name).__version__
        except ImportError:
            pass
    return out


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def format_table(rows, peak):
    header = ("| workload | framework | s/epoch | GFLOP/s | % GEMM peak | peer/fastnn | "
              "test metric | predict s | peak MB |")
    lines = [header, "|" + "---|" * 9]
    base = {r["workload"]: r["seconds_per_epoch"] for r in rows
            if r["framework"] == "fastnn" and "error" not in r}
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['workload']} | {r['framework']} | skipped: {r['error']} "
                         "| | | | | | |")
            continue
        ratio = ("" if r["framework"] == "fastnn" or r["workload"] not in base
                 else f"{r['seconds_per_epoch'] / base[r['workload']]:.1f}x")
        metric = f"{r['metric_name']} {r['metric']:.4f}"
        lines.append(
            f"| {r['workload']} | {r['framework']} | {r['seconds_per_epoch']:.3f} | "
            f"{r['gflops']:.1f} | {100 * r['gflops'] / peak:.0f}% | {ratio} | {metric} | "
            f"{r.get('predict_seconds', float('nan')):.4f} | {r['peak_mb']:.0f} |"
        )
    compile_s = [f"{r['workload']} {r['compile_seconds']:.2f} s" for r in rows
                 if r.get("compile_seconds") is not None]
    if compile_s:
        lines.append("")
        lines.append("fastnn warm-up fit (kernel compile or cache load), not in s/epoch: "
                     + ", ".join(compile_s))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--cell", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cell:
        try:
            result = run_cell(args.cell[0], args.cell[1], args.threads)
        except MissingData as exc:
            result = {"framework": args.cell[0], "workload": args.cell[1], "error": str(exc)}
        print("RESULT " + json.dumps(result))
        return 0

    peak = gemm_peak(args.threads)
    print(f"# fastnn benchmark, {time.strftime('%Y-%m-%d')}")
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; threads per run: {args.threads}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"float32 GEMM peak (NumPy, 2048^3): {peak:.1f} GFLOP/s\n")
    rows = []
    for workload in args.workloads.split(","):
        for framework in args.frameworks.split(","):
            if not available(framework):
                print(f"skipping {framework}: not installed (pip install -e '.[bench]')")
                continue
            res = subprocess.run(
                [sys.executable, __file__, "--cell", framework, workload,
                 "--threads", str(args.threads)],
                env=thread_env(args.threads), capture_output=True, text=True,
            )
            line = next((l for l in res.stdout.splitlines() if l.startswith("RESULT ")), None)
            if line is None:
                err = (res.stderr.strip().splitlines() or ["no output"])[-1]
                rows.append({"framework": framework, "workload": workload, "error": err})
            else:
                rows.append(json.loads(line[len("RESULT "):]))
            r = rows[-1]
            print(f"  {workload:10s} {framework:8s} "
                  + (r["error"] if "error" in r else f"{r['seconds_per_epoch']:.3f} s/epoch"),
                  flush=True)
    print()
    print(format_table(rows, peak))
    if args.json:
        Path(args.json).write_text(json.dumps({"peak": peak, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
