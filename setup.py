"""Build the Cython extensions in ``csrc/`` and the Numba kernels' cache.

Everything else about the package lives in ``pyproject.toml``. This file declares
the compiled modules (the inference pass, which needs NumPy's headers and SciPy's
``cython_blas`` declarations, and the floating-point control of training), and after building it compiles the training kernels once
(``python -m fastnn.training.precompile``) and puts their cache files in
``fastnn/nn/_kernel_cache``, so that the first ``fit`` after installing does not
wait for Numba (see ``fastnn/nn/jit.py``). ``FASTNN_SKIP_PRECOMPILE=1`` skips
that step (the first fit then compiles, once).
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

COMPILE_ARGS = ["-O3"]

extensions = [
    Extension(
        "fastnn.nn._inference_ext",
        ["csrc/_inference_ext.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=COMPILE_ARGS,
    ),
    Extension(
        "fastnn.training._fpenv",
        ["csrc/_fpenv.pyx"],
        include_dirs=["csrc"],
        extra_compile_args=COMPILE_ARGS,
    ),
]


class BuildExtAndKernels(build_ext):
    """``build_ext``, then the kernels' cache beside the built package."""

    def run(self):
        super().run()
        if os.environ.get("FASTNN_SKIP_PRECOMPILE"):
            return
        root = (Path.cwd() if self.inplace else Path(self.build_lib)).resolve()
        out = root / "fastnn" / "nn" / "_kernel_cache"
        with tempfile.TemporaryDirectory() as cache:
            # Keep PYTHONPATH: pip's isolated build environment puts its packages
            # (numpy, numba) on the path through it.
            paths = [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), NUMBA_CACHE_DIR=cache)
            subprocess.run([sys.executable, "-m", "fastnn.training.precompile", str(out)],
                           env=env, check=True, cwd=tempfile.gettempdir())


setup(
    ext_modules=cythonize(
        extensions,
        include_path=["csrc"],
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
    cmdclass={"build_ext": BuildExtAndKernels},
)
