"""Side-by-side speed comparison of fastnn with scikit-learn, PyTorch, skorch and JAX.

Usage::

    pip install -e ".[bench]"            # PyTorch, skorch, JAX; any may be absent
    python benchmarks/compare.py          # every workload and framework, 2 threads
    python benchmarks/compare.py --workloads tabular,mnist --frameworks fastnn,jax

Every (framework, workload) cell runs in its own subprocess with the same thread
count (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``,
``NUMBA_NUM_THREADS``, ``torch.set_num_threads``, and for XLA the CPUs the process
may use), float32 data, the same architecture, Adam with learning rate 1e-3 (no L2
penalty), batch size and epochs (see ``peers.py`` for how each framework trains).
The child processes run without ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE``
(see ``_env.py``), and the BLAS kernel they use is printed. The table gives
seconds per epoch, GFLOP/s (and its share of this machine's float32 GEMM peak,
measured with NumPy), the ratio of each peer's seconds per epoch to fastnn's,
the test accuracy or RMSE (so speed never comes from doing less work), the time
of ``predict_proba`` / ``predict`` on the test rows and the peak memory of the
process. fastnn's kernel compilation (or cache load) happens in a warm-up fit on
64 rows and JAX's jit compilation in a warm-up epoch; both are reported
separately, not in seconds per epoch.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import child_env, dropped_note, pin_cpus  # noqa: E402
from peers import FRAMEWORKS  # noqa: E402
from workloads import WORKLOADS, MissingData  # noqa: E402


# ----------------------------------------------------------------- one cell
def run_cell(framework, workload, threads):
    from peers import train

    w = WORKLOADS[workload]
    X_tr, y_tr, X_te, y_te = data = w.load()
    result = train(framework, w, data, [w.epochs], seed=0, threads=threads)
    seconds = result["seconds"]
    n_out = 1 if w.task == "regression" else int(y_tr.max()) + 1
    flops = w.flops_per_epoch(X_tr.shape[0], X_tr.shape[1], n_out)
    return {
        "framework": framework, "workload": workload, "seconds_per_epoch": seconds / w.epochs,
        "gflops": flops / (seconds / w.epochs) / 1e9, "metric": result["scores"][w.epochs],
        "metric_name": "rmse" if w.task == "regression" else "accuracy",
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "predict_seconds": result.get("predict_seconds"),
        "compile_seconds": result.get("compile_seconds"),
    }


# --------------------------------------------------------------- the parent
def bench_env(threads):
    """The environment of every child process: see ``_env.child_env``."""
    cpus = sorted(os.sched_getaffinity(0))[:threads] if hasattr(os, "sched_getaffinity") \
        else None
    return child_env(threads, cpus=cpus)


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
    res = subprocess.run([sys.executable, "-c", code], env=bench_env(threads),
                         capture_output=True, text=True, check=True)
    return float(res.stdout.strip())


def child_blas(threads):
    """The BLAS kernel a child process uses, as threadpoolctl reports it."""
    res = subprocess.run([sys.executable, str(Path(__file__).with_name("_env.py"))],
                         env=bench_env(threads), capture_output=True, text=True)
    return (res.stdout.strip().splitlines() or ["unknown"])[-1]


def available(framework):
    """Whether a framework is installed, without importing it here (an import in
    this parent process would count in every child's peak memory)."""
    from importlib.util import find_spec

    module = {"fastnn": "fastnn", "sklearn": "sklearn", "torch": "torch", "skorch": "skorch",
              "jax": "optax"}[framework]
    return find_spec(module) is not None and (framework != "jax" or find_spec("jax") is not None)


def versions():
    """Installed versions, read from package metadata (nothing is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("fastnn", "numpy", "scipy", "scikit-learn", "numba", "torch", "skorch",
                 "jax", "optax"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
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
        predict = r.get("predict_seconds")
        lines.append(
            f"| {r['workload']} | {r['framework']} | {r['seconds_per_epoch']:.3f} | "
            f"{r['gflops']:.1f} | {100 * r['gflops'] / peak:.0f}% | {ratio} | {metric} | "
            f"{'' if predict is None else f'{predict:.4f}'} | {r['peak_mb']:.0f} |"
        )
    for framework, what in [("fastnn", "warm-up fit (kernel compile or cache load)"),
                            ("jax", "jit compile of the epoch and predict programs")]:
        compile_s = [f"{r['workload']} {r['compile_seconds']:.2f} s" for r in rows
                     if r["framework"] == framework and r.get("compile_seconds") is not None]
        if compile_s:
            lines.append("")
            lines.append(f"{framework} {what}, not in s/epoch: " + ", ".join(compile_s))
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
        pin_cpus()
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
    print(dropped_note())
    print(f"BLAS in the benchmark processes: {child_blas(args.threads)}")
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
                env=bench_env(args.threads), capture_output=True, text=True,
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
