"""Build the Cython extensions in ``csrc/`` into the ``fastnn`` package.

Everything else about the package lives in ``pyproject.toml``; this file only
declares the compiled modules, which need NumPy's headers and SciPy's
``cython_blas`` declarations at build time.
"""
import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

COMPILE_ARGS = ["-O3"]

extensions = [
    Extension(
        f"fastnn._{name}",
        [f"csrc/_{name}.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=COMPILE_ARGS,
    )
    for name in ("blas", "inference_ext")
]

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
)
