"""The runnable examples in ``examples/``.

Each example runs at reduced size (``--quick``) in a fresh process and must exit
with status 0 and print a sensible result. The MNIST and California housing
examples need data files; without them they exit with status 77 ("skipped"),
which these tests turn into a pytest skip.
"""
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: Exit status of an example whose data file is missing (automake's "skipped").
EXIT_SKIPPED = 77
#: Generous: with a cold Numba cache the first fit compiles the kernels (~40 s).
TIMEOUT = 600


def run_example(script, *args, env=None):
    """Run ``examples/<script>`` with ``args`` in a new interpreter."""
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args],
                          check=False, capture_output=True, text=True, timeout=TIMEOUT,
                          env=env)


def run_quick(script):
    """Stdout of ``script --quick``; skips the test when its data is missing."""
    res = run_example(script, "--quick")
    if res.returncode == EXIT_SKIPPED:
        pytest.skip(res.stderr.strip())
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    return res.stdout


def labelled(label, text):
    """The text after ``label: `` on the line that starts with it."""
    match = re.search(rf"^{re.escape(label)}: (.+)$", text, re.MULTILINE)
    assert match, f"no line starting with {label!r} in:\n{text}"
    return match.group(1)


def test_mnist_quick_trains_and_reports_accuracy():
    out = run_quick("mnist_batchnorm_dropout.py")
    assert "5000 training and 2000 test images" in out
    accuracy = float(labelled("test accuracy", out))
    assert 0.85 < accuracy <= 1.0  # about 0.91 after 3 epochs on 5000 images
    fit = re.fullmatch(r"([0-9.]+) s \((\d+) epochs, ([0-9.]+) s/epoch\)",
                       labelled("fit time", out))
    assert fit and float(fit.group(1)) > 0 and int(fit.group(2)) == 3


def test_california_quick_imputes_and_reports_r2_and_rmse():
    out = run_quick("california_housing_pipeline.py")
    missing = ast.literal_eval(out.split("missing values (imputed in the pipeline): ")[1]
                               .splitlines()[0])
    assert missing.get("total_bedrooms", 0) > 0  # NaN really reached the pipeline
    assert "SimpleImputer -> StandardScaler -> DNNRegressor" in out
    rows = {}
    for line in out.splitlines():
        match = re.fullmatch(r"(.+?)\s+(-?[0-9.]+)\s+([0-9,]+)\s+([0-9.]+)", line)
        if match:
            rows[match.group(1)] = (float(match.group(2)),
                                    float(match.group(3).replace(",", "")))
    assert set(rows) == {"Pipeline + DNNRegressor", "HistGradientBoostingRegressor"}
    r2, rmse = rows["Pipeline + DNNRegressor"]
    assert 0.5 < r2 <= 1.0  # about 0.68 after 10 epochs on 2400 rows
    # The target's standard deviation is about $115,000; a useful model is well below it.
    assert 10_000 < rmse < 90_000


def test_grid_search_quick_reports_best_params_and_scores():
    out = run_quick("grid_search.py")
    best = ast.literal_eval(labelled("best params", out))
    assert set(best) == {"hidden_layer_sizes", "batch_norm", "solver", "learning_rate_init"}
    assert best["solver"] in ("adam", "sgd")
    assert 0.8 < float(labelled("best CV accuracy", out)) <= 1.0  # about 0.97
    assert 0.8 < float(labelled("test accuracy", out)) <= 1.0  # about 0.97
    assert float(labelled("search wall time", out).split()[0]) > 0
    assert "12 candidates x 3 folds" in out


@pytest.mark.parametrize("script, how", [
    ("mnist_batchnorm_dropout.py", "flag"),
    ("california_housing_pipeline.py", "env"),
])
def test_missing_data_exits_with_skip_status_and_one_line(tmp_path, script, how):
    if how == "flag":
        res = run_example(script, "--quick", "--data-dir", str(tmp_path))
    else:
        res = run_example(script, "--quick",
                          env={**os.environ, "FASTNN_DATA_DIR": str(tmp_path)})
    assert res.returncode == EXIT_SKIPPED, res.stderr
    assert res.stdout == ""
    message = res.stderr.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith("skipped:") and str(tmp_path) in message
    assert "FASTNN_DATA_DIR" in message


def test_transfer_learning_quick_runs_the_four_situations():
    out = run_quick("transfer_learning.py")
    rows = {}
    number = r"([0-9.]+|nan)"
    for line in out.splitlines():
        match = re.match(r"^(little|much) data, (similar|different)\s+(\d+)\s+(\S+)"
                         + r"\s+" + r"\s+".join([number] * 5) + "$", line)
        if match:
            rows[match.group(1, 2)] = (match.group(4), *map(float, match.group(5, 6, 7)))
    assert {k: v[0] for k, v in rows.items()} == {
        ("little", "similar"): "3", ("much", "similar"): "None",
        ("little", "different"): "1", ("much", "different"): "None"}
    for _, transfer, loss, scratch in rows.values():
        assert 0.3 < transfer <= 1.0 and 0.3 < scratch <= 1.0  # chance: 0.2
        # a zero output layer on copied layers starts at log 5 and goes down from there
        assert loss < np.log(5) + 0.05

def test_optimizers_and_schedules_quick_draws_two_figures(tmp_path):
    res = run_example("plot_optimizers_and_schedules.py", "--quick", "--plot-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr
    accuracies = dict(re.findall(r"^\s*(\w+): held-out accuracy ([0-9.]+)", res.stdout, re.M))
    assert set(accuracies) == {"sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam",
                               "constant", "step", "exponential", "cosine"}
    assert all(0.8 < float(a) <= 1.0 for a in accuracies.values()), accuracies  # about 0.96
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "optimizers_and_schedules_1.png", "optimizers_and_schedules_2.png"]


def test_deep_network_quick_shows_batch_norm_and_init_effects(tmp_path):
    res = run_example("plot_deep_network_batch_norm_init.py", "--quick", "--plot-dir",
                      str(tmp_path))
    assert res.returncode == 0, res.stderr
    acc = {name: float(a) for name, a in
           re.findall(r"^(.+): test accuracy ([0-9.]+)$", res.stdout, re.M)}
    # The course notes' two effects, by a wide margin (measured: 0.28 / 0.95, 0.10 / 0.95).
    assert acc["6 x 32 logistic, batch_norm=True"] > acc["6 x 32 logistic, without batch norm"] + 0.3
    assert acc["8 x 64 ReLU, he_normal"] > 0.9 > 0.2 > acc["8 x 64 ReLU, N(0, 0.01)"]
    assert len(list(tmp_path.glob("deep_network_*.png"))) == 2
