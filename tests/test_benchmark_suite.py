"""The benchmark suite still runs against the current code (each kernel benchmark
once, untimed: ``--benchmark-disable``), so a refactor cannot leave it broken."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_kernel_benchmarks_run_once_each():
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--benchmark-disable", str(ROOT / "benchmarks" / "bench_kernels.py")],
                         capture_output=True, text=True, cwd=str(ROOT / "benchmarks"))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and "failed" not in res.stdout
