"""A reproducible CPU load: what else runs on a user's cores while they fit.

Run it on its own, or let ``busy_machine.py`` start and stop it::

    python benchmarks/load.py --kind numpy-matmul --threads 2 --seconds 60

Kinds:

``spin``
    ``--threads`` processes, each a pure-Python busy loop (a browser tab, a
    notebook cell): one core each, no synchronisation.
``numpy-matmul``
    One process multiplying 1024 x 1024 float32 matrices in a loop with
    ``--threads`` OpenBLAS threads (a second notebook doing linear algebra).
``torch-matmul``
    The same with PyTorch's own BLAS and OpenMP threads (``torch.set_num_threads``).
``torch-train``
    A PyTorch training loop: a (512, 512) ReLU MLP on random data, batch 256,
    Adam, ``--threads`` threads (another fit).

The load runs until ``--seconds`` have passed or it is killed.
"""
import argparse
import multiprocessing
import os
import sys
import time

KINDS = ("spin", "numpy-matmul", "torch-matmul", "torch-train")


def _spin(deadline):
    x = 0
    while time.monotonic() < deadline:
        for _ in range(10000):
            x += 1


def _numpy_matmul(deadline):
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024), dtype=np.float32)
    b = rng.standard_normal((1024, 1024), dtype=np.float32)
    out = np.empty_like(a)
    while time.monotonic() < deadline:
        np.matmul(a, b, out=out)


def _torch_matmul(deadline, threads):
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    while time.monotonic() < deadline:
        torch.mm(a, b)


def _torch_train(deadline, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    X, y = torch.randn(8192, 256), torch.randint(0, 10, (8192,))
    while time.monotonic() < deadline:
        for i in range(0, 8192, 256):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(X[i:i + 256]), y[i:i + 256]).backward()
            opt.step()
            if time.monotonic() >= deadline:
                break


def run(kind, threads, seconds):
    """Generate the load in this process (and its children) for ``seconds``.

    Parameters
    ----------
    kind : {"spin", "numpy-matmul", "torch-matmul", "torch-train"}
    threads : int
        Processes (``spin``) or library threads (the others).
    seconds : float
    """
    deadline = time.monotonic() + seconds
    if kind == "spin":
        procs = [multiprocessing.Process(target=_spin, args=(deadline,), daemon=True)
                 for _ in range(threads)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    elif kind == "numpy-matmul":
        _numpy_matmul(deadline)
    elif kind == "torch-matmul":
        _torch_matmul(deadline, threads)
    elif kind == "torch-train":
        _torch_train(deadline, threads)
    else:
        raise ValueError(f"unknown load kind {kind!r}; choose from {', '.join(KINDS)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=KINDS, default="numpy-matmul")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    run(args.kind, args.threads, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
