"""The benchmark suite still runs against the current code (each kernel benchmark
once, untimed: ``--benchmark-disable``), so a refactor cannot leave it broken."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_kernel_benchmarks_run_once_each():
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--benchmark-disable", str(ROOT / "benchmarks" / "bench_kernels.py")],
                         capture_output=True, text=True, cwd=str(ROOT / "benchmarks"))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and "failed" not in res.stdout


def _script(name, *args, timeout=600):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_breakdown_splits_a_step_into_its_parts():
    res = _script("breakdown.py", "--workloads", "tabular", "--repeats", "1")
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    assert "## tabular: (64, 64), batch 32" in out and "measured step" in out
    for part in ("gather", "fwd GEMM 0", "dW GEMM 2", "dA GEMM 1", "loss", "optimizer",
                 "all GEMMs", "other (step - parts)"):
        assert f"| {part} |" in out, part


def test_load_generator_stops_on_time_and_busy_machine_runs():
    import time

    start = time.perf_counter()
    res = _script("load.py", "--kind", "spin", "--threads", "2", "--seconds", "0.5")
    assert res.returncode == 0, res.stderr
    assert time.perf_counter() - start < 30
    res = _script("busy_machine.py", "--loads", "none,spin:1", "--repeats", "1")
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [line for line in res.stdout.splitlines() if line.startswith(("| none", "| spin:1"))]
    assert len(rows) == 4 and all(line.endswith("x |") for line in rows)
    import shutil

    if shutil.which("pgrep"):
        assert subprocess.run(["pgrep", "-f", "benchmarks/load.py"],
                              capture_output=True).returncode == 1  # no load left behind


def test_quality_summary_judges_every_fastnn_setting():
    """A setting run with ``--label he`` gets its verdict beside the default's."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from quality import format_rows, summarize
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    scores = {"fastnn": 0.90, "he": 0.93, "sklearn": 0.93, "torch": 0.92, "jax": 0.91}
    cells = {f"{label}|digits|{seed}": {"scores": {"3": value}}
             for label, value in scores.items() for seed in (0, 1)}
    labels = ["fastnn", "he", "sklearn", "torch", "jax"]
    (row,) = summarize(cells, labels, ["digits"], [3], [0, 1])
    assert set(row["verdicts"]) == {"fastnn", "he"}
    assert row["verdicts"]["he"][1] and not row["verdicts"]["fastnn"][1]
    line = format_rows([row], labels).splitlines()[-1]
    assert "fastnn -3.00 pt MISS" in line and "he +0.00 pt ok" in line


def test_profile_names_numba_kernels_and_samples_a_fit():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from profile_step import short_name
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert short_name("_ZN6fastnn2nn5batch10copy_rows_B2v4B38c8tJTIcFHzwl2ILiXkcBV0KBSgP0BNCBgFEA")\
        == "fastnn.nn.batch.copy_rows_"
    assert short_name("cfunc._ZN7cpython6fastnn2nn7compile12train_epoch_B2v1") \
        == "cfunc:cpython:fastnn.nn.compile.train_epoch_"
    assert short_name("sgemm_kernel_SKYLAKEX") == "sgemm_kernel_SKYLAKEX"
    res = _script("profile_step.py", "--workloads", "tabular", "--epochs", "2", "--top", "5")
    assert res.returncode == 0, res.stderr[-3000:]
    if "needs Linux perf" in res.stdout:
        pytest.skip("no perf on this machine")
    if "tabular: failed" in res.stdout and ("paranoid" in res.stdout
                                            or "ermission" in res.stdout):
        pytest.skip("perf may not sample here: " + res.stdout.strip().splitlines()[-1])
    assert "## tabular: (64, 64), batch 32, 2 epochs" in res.stdout
    assert "| BLAS: GEMM (kernels and packing) |" in res.stdout
    assert "| fastnn kernels (all but the GEMMs) |" in res.stdout


def test_binary_output_compares_the_three_parametrisations():
    res = _script("binary_output.py", "--workload", "digits")
    if "PyTorch is not installed" in res.stdout:
        pytest.skip("PyTorch is not installed")
    assert res.returncode == 2 and "pick a two-class workload" in res.stderr
    res = _script("binary_output.py", "--workload", "moons", "--seeds", "1", "--epochs", "1")
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [line for line in res.stdout.splitlines() if line.startswith("| ")][1:]
    assert [r.split(" | ")[0] for r in rows] == [
        "| two softmax outputs", "| one logistic output", "| one output, twice the rate"]
    assert all(0.5 < float(r.split(" | ")[1].rstrip(" |")) <= 1.0 for r in rows)
