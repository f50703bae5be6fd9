"""Where a training step's time goes, sampled in the real fit with ``perf``, with
fastnn's compiled kernels named.

Run from the repository root, with the workplace's OpenBLAS overrides unset::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/profile_step.py
    python benchmarks/profile_step.py --workloads tabular,mnist --epochs 20 --top 30

``breakdown.py`` times each part of a step alone; this samples whole epochs of a
``compare.py`` workload's fit (``perf record -e cpu-clock``: no hardware counters
needed), so it also shows what the parts cost together: a copy that waits on
memory, reference counting of array views, the calls between ops. Numba's
machine code has no symbols perf can read, so the fit's process writes a perf
map (``/tmp/perf-PID.map``) of every function linked into the epoch kernel
before it starts, and samples land on the kernels' own names
(``batch.copy_rows_``, ``optimizers.adam_step_``, ``NRT_incref``, ...). Sampling
starts after a warm-up fit has loaded the kernels, through perf's control fifo,
and stops when the timed fit returns.

Each row: the share of the samples (every thread of the process; an idle BLAS
thread that spins shows as ``blas_thread_server``) and the CPU time per
training step it stands for. Needs Linux ``perf`` (Debian: ``linux-perf``); the
script says so and exits 0 without it.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import DROPPED_VARS, child_env, dropped_note  # noqa: E402
from workloads import WORKLOADS, MissingData  # noqa: E402

_NAME_PART = re.compile(r"(\d+)")


def short_name(symbol):
    """``fastnn.nn.batch.copy_rows_`` for Numba's mangled
    ``_ZN6fastnn2nn5batch10copy_rows_B2v4B...``; wrappers keep a prefix
    (``cpython:``, ``cfunc:``); other symbols are returned unchanged."""
    prefix = ""
    if symbol.startswith("cfunc."):
        prefix, symbol = "cfunc:", symbol[len("cfunc."):]
    if not symbol.startswith("_ZN"):
        return prefix + symbol
    parts, i = [], 3
    while i < len(symbol) and symbol[i].isdigit():
        digits = _NAME_PART.match(symbol, i).group(1)
        i += len(digits)
        parts.append(symbol[i:i + int(digits)])
        i += int(digits)
    if parts and parts[0] == "cpython":
        prefix, parts = prefix + "cpython:", parts[1:]
    return prefix + ".".join(parts) if parts else prefix + symbol


def write_perf_map(dispatcher, path):
    """Write a perf map of every function defined in ``dispatcher``'s compiled
    libraries (start address, size up to the next function, name); returns how
    many."""
    symbols = set()
    for cres in dispatcher.overloads.values():
        library = cres.library
        engine = library._codegen._engine
        modules = [getattr(library, "_final_module", None),
                   getattr(library, "_shared_module", None)]
        for module in modules:
            if module is None:
                continue
            for fn in module.functions:
                if fn.is_declaration:
                    continue
                address = engine.get_function_address(fn.name)
                if address:
                    symbols.add((address, fn.name))
    ordered = sorted(symbols)
    with open(path, "w") as f:
        for (address, name), following in zip(ordered, ordered[1:] + [(None, None)]):
            size = (following[0] - address) if following[0] else 4096
            f.write(f"{address:x} {size:x} {short_name(name)}\n")
    return len(ordered)


def _child(name, epochs, threads, control, ack):
    """In the process perf records: warm up, write the perf map, then sample one
    fit of ``epochs`` epochs."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    from fastnn import DNNClassifier, DNNRegressor
    from fastnn.nn.compile import train_epoch_

    w = WORKLOADS[name]
    X, y = w.load()[:2]
    cls = DNNRegressor if w.task == "regression" else DNNClassifier
    kw = dict(hidden_layer_sizes=w.hidden, batch_size=w.batch_size, alpha=0.0, tol=0.0,
              n_iter_no_change=10**9, random_state=0, learning_rate_init=1e-3,
              n_threads=threads)
    warnings.simplefilter("ignore", ConvergenceWarning)
    cls(max_iter=1, **kw).fit(X[:256], y[:256])  # loads the kernels
    # BLAS threads woken when the warm-up fit restored their number spin for a
    # while before they sleep; that belongs to the warm-up, not to this fit
    time.sleep(1.0)
    n_symbols = write_perf_map(train_epoch_, f"/tmp/perf-{os.getpid()}.map")
    with open(control, "w") as ctl, open(ack) as acknowledged:
        ctl.write("enable\n")
        ctl.flush()
        acknowledged.readline()
        start = time.perf_counter()
        cls(max_iter=epochs, **kw).fit(X, y)
        seconds = time.perf_counter() - start
        ctl.write("disable\n")
        ctl.flush()
        acknowledged.readline()
    steps = epochs * int(np.ceil(X.shape[0] / w.batch_size))
    print("RESULT " + json.dumps({"seconds": seconds, "steps": steps, "symbols": n_symbols}))


def _report(data_file):
    """``[(samples, dso, symbol)]`` from ``perf report``, largest first."""
    out = subprocess.run(
        ["perf", "report", "-i", data_file, "--stdio", "--no-children", "-n", "-q",
         "--sort", "dso,sym", "-t", "\t"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 4 or not fields[1].isdigit():
            continue
        symbol = re.sub(r"^\[[.k]\]\s*", "", fields[3])
        rows.append((int(fields[1]), fields[2], short_name(symbol)))
    return sorted(rows, reverse=True)


def _group(dso, symbol):
    """The summary row a sample belongs to."""
    if "openblas" in dso.lower():
        if "thread_server" in symbol:
            return "BLAS: threads spinning between products"
        return "BLAS: GEMM (kernels and packing)"
    if symbol.startswith("NRT_"):
        return "array view refcounts (NRT_incref / NRT_decref)"
    if symbol.startswith(("fastnn.", "cpython:", "cfunc:")):
        return "fastnn kernels (all but the GEMMs)"
    if "perf-" in dso or dso.startswith("[JIT]"):
        return "unnamed JIT code"
    if dso.startswith(("libm", "_helperlib")) or "numba" in dso:  # Numba's C helpers
        return "libm and Numba helpers"
    if "python" in dso or "numpy" in dso or "mtrand" in dso or "mt19937" in dso:
        return "Python and NumPy (per epoch)"
    return "other"


def profile(name, epochs, threads, frequency, top):
    """Record one workload and print its tables."""
    with tempfile.TemporaryDirectory() as tmp:
        control, ack, data_file = (os.path.join(tmp, n) for n in ("ctl", "ack", "perf.data"))
        os.mkfifo(control)
        os.mkfifo(ack)
        env = (child_env(threads) if threads else
               {k: v for k, v in os.environ.items() if k not in DROPPED_VARS})
        cmd = ["perf", "record", "-e", "cpu-clock", "-F", str(frequency), "-D", "-1",
               "--control", f"fifo:{control},{ack}", "-o", data_file, "--",
               sys.executable, __file__, "--child", name, str(epochs), str(threads or 0),
               control, ack]
        res = subprocess.run(cmd, env=env, capture_output=True, text=True)
        line = next((x for x in res.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(f"\n{name}: failed: " + ((res.stderr.strip().splitlines() or ["?"])[-1]))
            return
        result = json.loads(line[len("RESULT "):])
        rows = _report(data_file)
    total = sum(r[0] for r in rows) or 1
    cpu_us_per_step = total / frequency / result["steps"] * 1e6
    wall_us = result["seconds"] / result["steps"] * 1e6
    w = WORKLOADS[name]
    print(f"\n## {name}: {w.hidden}, batch {w.batch_size}, {epochs} epochs; "
          f"{wall_us:.1f} us per step (wall), {cpu_us_per_step:.1f} us of sampled CPU "
          f"per step, {total} samples, {result['symbols']} kernel symbols mapped")
    groups = {}
    for samples, dso, symbol in rows:
        key = _group(dso, symbol)
        groups[key] = groups.get(key, 0) + samples
    print("| group | share | us per step |")
    print("|---|---|---|")
    for key, samples in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"| {key} | {samples / total:.1%} | {samples / total * cpu_us_per_step:.2f} |")
    print(f"\n| symbol (top {top}) | library | share | us per step |")
    print("|---|---|---|---|")
    for samples, dso, symbol in rows[:top]:
        library = "JIT (fastnn)" if ("perf-" in dso or dso.startswith("[JIT]")) else dso
        print(f"| {symbol} | {library} | {samples / total:.1%} | "
              f"{samples / total * cpu_us_per_step:.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="tabular,housing,mnist,mnist-b32,wide")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs sampled per workload (default: about 5 s of training)")
    parser.add_argument("--threads", type=int, default=None,
                        help="n_threads of the fit (default: fastnn's choice)")
    parser.add_argument("--frequency", type=int, default=4000, help="samples per second")
    parser.add_argument("--top", type=int, default=20, help="symbols listed per workload")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, epochs, threads, control, ack = args.child
        _child(name, int(epochs), int(threads) or None, control, ack)
        return 0
    if shutil.which("perf") is None:
        print("profile_step.py needs Linux perf (Debian: apt install linux-perf); skipped")
        return 0
    print(f"# fastnn step profile, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs")
    print(dropped_note())
    print("BLAS in the profiled processes, before fastnn limits it: " + subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_env.py"))],
        env=child_env(args.threads) if args.threads else {
            k: v for k, v in os.environ.items() if k not in DROPPED_VARS},
        capture_output=True, text=True).stdout.strip().splitlines()[-1])
    default_epochs = {"tabular": 100, "housing": 100, "mnist": 5, "mnist-b32": 4, "wide": 1}
    for name in args.workloads.split(","):
        try:
            WORKLOADS[name].load()
        except MissingData as exc:
            print(f"\n{name}: skipped ({exc})")
            continue
        profile(name, args.epochs or default_epochs.get(name, 5), args.threads,
                args.frequency, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
