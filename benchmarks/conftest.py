"""Shared fixtures of the pytest-benchmark suite (see README "Performance")."""
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def warm(benchmark):
    """Call a function once before the timed rounds (compiling or loading its kernels)
    and record how long that took as ``compile_seconds`` in the benchmark's extra info."""

    def run(fn, *args, **kwargs):
        start = time.perf_counter()
        fn(*args, **kwargs)
        benchmark.extra_info["compile_seconds"] = round(time.perf_counter() - start, 4)

    return run
