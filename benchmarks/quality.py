"""Test-set quality at equal epochs: fastnn's defaults against PyTorch, JAX and
scikit-learn, on the speed workloads of ``compare.py`` and a panel of datasets.

Usage::

    pip install -e ".[bench]"
    python benchmarks/quality.py                       # everything, 3 seeds, 3/10/50 epochs
    python benchmarks/quality.py --workloads digits,moons --epochs 3,10
    python benchmarks/quality.py --fastnn-params '{"weight_init": "he_uniform"}' \\
        --label he --reuse results.json --json results.json   # another fastnn setting

Every framework trains the same network with Adam (learning rate 1e-3, no weight
penalty), the same batch size and shuffling, and its own default initialisation
(see ``peers.py``). Each (framework, workload, seed) runs in its own process on
one thread, ``--jobs`` at a time, each on its own CPU; the test metric (accuracy,
or RMSE for regression) is taken after each epoch count of ``--epochs`` within
one run. The table shows the mean over seeds, and for fastnn the difference to
the best peer's mean: in accuracy points, or in percent of RMSE, with ``ok``
where it is within the margins (0.5 points, 2%).

``--reuse FILE`` keeps the cells already in FILE (e.g. the peers, which do not
change while fastnn's defaults are tuned) and runs only the missing ones.
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import blas_kernel, child_env, dropped_note, pin_cpus  # noqa: E402
from workloads import PANEL, WORKLOADS, MissingData  # noqa: E402

PEERS = ("sklearn", "torch", "jax")
#: fastnn may trail the best peer's mean by at most this much.
ACCURACY_MARGIN = 0.005   # 0.5 points
RMSE_MARGIN = 0.02        # 2 %
ALL_WORKLOADS = {**WORKLOADS, **PANEL}


def run_cell(framework, workload, seed, checkpoints, params):
    from peers import train

    w = ALL_WORKLOADS[workload]
    result = train(framework, w, w.load(), checkpoints, seed=seed, threads=1, params=params)
    return {"scores": {str(k): v for k, v in result["scores"].items()},
            "seconds": result["seconds"]}


def _cell_key(label, workload, seed):
    return f"{label}|{workload}|{seed}"


def _available(framework):
    """Whether a framework is installed, without importing it here (an import in
    this parent process would count in every child's peak memory)."""
    from importlib.util import find_spec

    module = {"fastnn": "fastnn", "sklearn": "sklearn", "torch": "torch", "skorch": "skorch",
              "jax": "optax"}[framework]
    return find_spec(module) is not None and (framework != "jax" or find_spec("jax") is not None)


def _run_child(args, framework, label, workload, seed, params, cpu):
    cmd = [sys.executable, __file__, "--cell", framework, workload, str(seed),
           "--epochs", args.epochs, "--fastnn-params", json.dumps(params or {})]
    res = subprocess.run(cmd, env=child_env(1, cpus=[cpu]), capture_output=True, text=True)
    line = next((x for x in res.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        err = (res.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": err}
    return json.loads(line[len("RESULT "):])


def summarize(cells, labels, workloads, checkpoints, seeds):
    """Per workload and epoch count: mean metric per label and fastnn's verdicts."""
    rows = []
    for workload in workloads:
        task = ALL_WORKLOADS[workload].task
        for epochs in checkpoints:
            means = {}
            for label in labels:
                values = [cells.get(_cell_key(label, workload, s), {}).get("scores", {})
                          .get(str(epochs)) for s in seeds]
                values = [v for v in values if v is not None]
                if len(values) == len(seeds):
                    means[label] = (float(np.mean(values)), float(np.min(values)),
                                    float(np.max(values)))
            peers = [means[p][0] for p in PEERS if p in means]
            row = {"workload": workload, "epochs": epochs, "task": task, "means": means}
            if peers:
                best = min(peers) if task == "regression" else max(peers)
                row["best_peer"] = best
                row["verdicts"] = {}
                for label in labels:
                    if label not in PEERS and label in means:  # a fastnn setting
                        mine = means[label][0]
                        if task == "regression":
                            gap = (mine - best) / best  # > 0: worse
                            row["verdicts"][label] = (gap, gap <= RMSE_MARGIN)
                        else:
                            gap = best - mine  # > 0: worse
                            row["verdicts"][label] = (gap, gap <= ACCURACY_MARGIN)
            rows.append(row)
    return rows


def format_rows(rows, labels):
    head = "| workload | epochs | " + " | ".join(labels) + " | fastnn vs best peer |"
    lines = [head, "|" + "---|" * (len(labels) + 3)]
    for row in rows:
        cols = []
        for label in labels:
            m = row["means"].get(label)
            cols.append("" if m is None else f"{m[0]:.4f}")
        verdicts = []
        for label, (gap, ok) in row.get("verdicts", {}).items():
            unit = f"{100 * gap:+.1f}%" if row["task"] == "regression" else f"{0.0 - 100 * gap:+.2f} pt"
            verdicts.append(f"{label} {unit} {'ok' if ok else 'MISS'}")
        metric = "rmse" if row["task"] == "regression" else "acc"
        lines.append(f"| {row['workload']} ({metric}) | {row['epochs']} | " + " | ".join(cols)
                     + " | " + "; ".join(verdicts) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(ALL_WORKLOADS))
    parser.add_argument("--frameworks", default="fastnn," + ",".join(PEERS))
    parser.add_argument("--epochs", default="3,10,50")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--fastnn-params", default="{}",
                        help="JSON dict of extra DNNClassifier/DNNRegressor parameters")
    parser.add_argument("--label", default="fastnn", help="name of this fastnn setting")
    parser.add_argument("--reuse", help="JSON file of earlier cells to keep")
    parser.add_argument("--json", help="write all cells to this file")
    parser.add_argument("--cell", nargs=3, metavar=("FRAMEWORK", "WORKLOAD", "SEED"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    checkpoints = [int(e) for e in args.epochs.split(",")]
    params = json.loads(args.fastnn_params)
    if args.cell:
        pin_cpus()
        framework, workload, seed = args.cell
        try:
            result = run_cell(framework, workload, int(seed), checkpoints, params)
        except MissingData as exc:
            result = {"error": str(exc)}
        print("RESULT " + json.dumps(result))
        return 0

    workloads = args.workloads.split(",")
    frameworks = [f for f in args.frameworks.split(",") if _available(f)]
    cells = {}
    if args.reuse and Path(args.reuse).exists():
        cells = json.loads(Path(args.reuse).read_text())["cells"]
    print(f"# fastnn quality panel, {time.strftime('%Y-%m-%d %H:%M')}")
    print(dropped_note())
    print("BLAS in the benchmark processes: " + subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_env.py"))], env=child_env(1),
        capture_output=True, text=True).stdout.strip().splitlines()[-1])
    print(f"frameworks: {', '.join(frameworks)}; fastnn setting {args.label!r}: {params}")
    todo = []
    seeds = list(range(args.seeds))
    for workload in workloads:
        for framework in frameworks:
            label = args.label if framework == "fastnn" else framework
            for seed in seeds:
                key = _cell_key(label, workload, seed)
                old = cells.get(key, {}).get("scores", {})
                if all(str(e) in old for e in checkpoints):
                    continue
                todo.append((framework, label, workload, seed, key))
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    free_cpus = queue.Queue()
    for slot in range(args.jobs):
        free_cpus.put(cpus[slot % len(cpus)])

    def work(item):
        framework, label, workload, seed, key = item
        cpu = free_cpus.get()
        try:
            result = _run_child(args, framework, label, workload, seed,
                                params if framework == "fastnn" else None, cpu)
        finally:
            free_cpus.put(cpu)
        print(f"  {workload:16s} {label:14s} seed {seed}: "
              + (result.get("error") or " ".join(f"{k}:{v:.4f}" for k, v in
                                                 result["scores"].items())), flush=True)
        return key, result

    with ThreadPoolExecutor(args.jobs) as pool:
        for key, result in pool.map(work, todo):
            if "error" not in result:
                cells[key] = result
    if args.json:
        Path(args.json).write_text(json.dumps({"cells": cells}, indent=1))
    labels = sorted({k.split("|")[0] for k in cells if k.split("|")[0] not in PEERS})
    labels = labels + [p for p in PEERS if any(k.startswith(p + "|") for k in cells)]
    rows = summarize(cells, labels, workloads, checkpoints, seeds)
    print()
    print(format_rows(rows, labels))
    misses = sum(not ok for r in rows for lbl, (_, ok) in r.get("verdicts", {}).items()
                 if lbl == args.label)
    print(f"\n{args.label}: {misses} of {len(rows)} (workload, epochs) rows outside the margins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
