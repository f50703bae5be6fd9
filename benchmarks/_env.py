"""The environment every benchmark child process runs in.

These machines set ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``, which make
OpenBLAS (NumPy's, SciPy's and so fastnn's) use AVX2 kernels on an AVX-512 CPU;
users' machines have no such variables, and PyTorch brings its own BLAS. So the
benchmarks drop both for their child processes (and only there), pin every
threading library to the same thread count, and report which BLAS kernel
threadpoolctl sees.
"""
import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
#: Variables of this workplace that must not reach a benchmark.
DROPPED_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def child_env(threads, cpus=None):
    """``os.environ`` with every thread count set to ``threads`` and the
    OpenBLAS core-type overrides removed; ``cpus``: the CPUs the child may use
    (see :func:`pin_cpus`)."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_VARS}
    for var in THREAD_VARS:
        env[var] = str(threads)
    if cpus is not None:
        env["FASTNN_BENCH_CPUS"] = ",".join(str(c) for c in cpus)
    return env


def pin_cpus():
    """In a child process: keep to the CPUs in ``FASTNN_BENCH_CPUS``, so that
    libraries that size their thread pools from the CPUs they may use (XLA)
    run as many threads as the others, and parallel jobs do not share a core.
    Call before importing them."""
    cpus = os.environ.get("FASTNN_BENCH_CPUS")
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})


def blas_kernel():
    """NumPy's BLAS as threadpoolctl reports it: library, version, kernel, threads."""
    import numpy  # noqa: F401  (loads the BLAS)
    from threadpoolctl import threadpool_info

    rows = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    return "; ".join(
        f"{r.get('internal_api')} {r.get('version')} {r.get('architecture', '?')} kernels, "
        f"{r.get('num_threads')} threads" for r in rows) or "no BLAS found"


def dropped_note():
    """One line saying which overrides this process removed for its children."""
    present = [v for v in DROPPED_VARS if v in os.environ]
    if not present:
        return "OpenBLAS core-type overrides: none set"
    return "removed for the benchmark processes: " + ", ".join(
        f"{v}={os.environ[v]}" for v in present)


if __name__ == "__main__":  # pragma: no cover - a quick check by hand
    print(dropped_note())
    print(blas_kernel())
    sys.exit(0)
