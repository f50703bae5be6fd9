"""Compile every kernel once and collect the cache files: run by ``setup.py``.

Usage (the build does this; see :mod:`fastnn.nn.jit`)::

    NUMBA_CACHE_DIR=<empty folder> python -m fastnn.training.precompile OUT

Every configuration runs the same training kernel (:mod:`fastnn.nn.compile`), so
one small fit per compute dtype compiles it, with every kernel it calls; the
validation loss kernel is the only other one Python calls. The cache files are
copied flat into ``OUT`` with a ``BUILD`` file naming this build, for
:func:`fastnn.nn.jit.seed_cache` to copy into the user's cache on first use.
"""
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import numba

from ..nn.jit import cache_folder, cache_root, sources_stamp
from ..nn.plan import Network
from .data import TrainData
from .evaluation import output_loss
from .lbfgs import FullBatch
from .minibatch import MinibatchTrainer, TrainingSettings

DTYPES = ("float32", "float64")


def compile_kernels(dtypes=DTYPES):
    """Run the kernels once per dtype (dense and sparse input, an update and a
    full-batch pass), compiling them into the configured cache."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    for dtype in dtypes:
        net = Network([3, 4, 2], "relu", "softmax", dtype, batch_norm=True, layer_norm=True,
                      dropout=(0.1,))
        X = rng.normal(size=(12, 3)).astype(dtype)
        Y = np.eye(2, dtype=dtype)[rng.integers(0, 2, 12)]
        sw = np.ones(12, dtype=dtype)
        settings = TrainingSettings(dropout=(0.1,))
        for inputs in (X, sp.csr_matrix(X)):
            data = TrainData.build(inputs, Y, sw)
            trainer = MinibatchTrainer(net, "adam", {"learning_rate": 1e-3}, settings)
            trainer.run_epoch(data, np.arange(12, dtype=np.int64), True, 5, 0)
            FullBatch(net, data, settings)()
        output_loss(net, net.forward(X), Y, sw)


def collect(out):
    """Copy this process's cache files into ``out`` (emptied first) and name the build."""
    folder = cache_folder(cache_root())
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = sorted(p for p in folder.iterdir() if p.suffix in (".nbi", ".nbc"))
    for path in files:
        shutil.copyfile(path, out / path.name)
    (out / "BUILD").write_text(f"numba-{numba.__version__}-{sources_stamp()[:16]}\n")
    return len(files)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: NUMBA_CACHE_DIR=<empty folder> python -m fastnn.training.precompile OUT",
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    compile_kernels()
    n = collect(argv[0])
    print(f"fastnn: compiled the kernels in {time.perf_counter() - start:.0f} s "
          f"({n} cache files in {argv[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
