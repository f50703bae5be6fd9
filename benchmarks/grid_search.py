"""Wall time of a 12-candidate ``GridSearchCV(cv=3)`` on the ``tabular`` workload,
with ``n_jobs=1`` and ``n_jobs=-1``, and with and without ``n_threads=1``.

Run from the repository root::

    python benchmarks/grid_search.py [--repeats 3] [--rows 50000]

Each configuration runs ``--repeats`` times (after one untimed warm-up search,
so every worker loads the compiled kernels from the on-disk cache before the
clock starts); the table shows the median and the range, the speed-up of each
row over the first, and the best candidate (which must be the same in every
row: parallelism changes the time, not the result).
"""
import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from workloads import load_tabular  # noqa: E402

from fastnn import DNNClassifier  # noqa: E402

GRID = {
    "hidden_layer_sizes": [(64,), (64, 64), (128, 64)],
    "alpha": [1e-4, 1e-2],
    "learning_rate_init": [1e-3, 3e-3],
}
CONFIGS = [
    ("n_jobs=1", dict(n_jobs=1), dict()),
    ("n_jobs=-1", dict(n_jobs=-1), dict()),
    ("n_jobs=-1, n_threads=1", dict(n_jobs=-1), dict(n_threads=1)),
]


def search(X, y, search_params, estimator_params):
    estimator = DNNClassifier(max_iter=3, batch_size=32, random_state=0, **estimator_params)
    return GridSearchCV(estimator, GRID, cv=3, **search_params).fit(X, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=50000)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y, _, _ = load_tabular()
    X, y = X[: args.rows], y[: args.rows]
    n_candidates = len(GRID["hidden_layer_sizes"]) * len(GRID["alpha"]) * len(
        GRID["learning_rate_init"])
    print(f"tabular: {X.shape[0]} rows x {X.shape[1]} features; {n_candidates} candidates x "
          f"3 folds = {3 * n_candidates} fits of 3 epochs; {os.cpu_count()} CPUs")
    rows = []
    for name, search_params, estimator_params in CONFIGS:
        search(X[:3000], y[:3000], search_params, estimator_params)  # warm workers/cache
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = search(X, y, search_params, estimator_params)
            times.append(time.perf_counter() - start)
        rows.append((name, times, result.best_params_))
    base = statistics.median(rows[0][1])
    print(f"{'configuration':<26} {'median s':>9} {'range s':>13} {'speed-up':>9}  best params")
    for name, times, best in rows:
        median = statistics.median(times)
        print(f"{name:<26} {median:>9.2f} {min(times):>6.2f}-{max(times):<6.2f} "
              f"{base / median:>8.2f}x  {best}")
    same = all(best == rows[0][2] for _, _, best in rows)
    print("same best_params_ in every configuration:", same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
