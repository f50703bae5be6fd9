"""The one place where Numba compilation flags are set.

Every training kernel is compiled with :func:`kernel`: ``cache=True`` so the
on-disk cache serves later processes, ``nogil=True`` so kernels can run in
threads, and the fastmath flags below. ``nnan`` and ``ninf`` are deliberately
absent: with them LLVM may assume values are finite and compile ``np.isfinite``
checks away, which would hide a diverging fit.

Where the on-disk cache lives: ``NUMBA_CACHE_DIR`` when it is set (Numba honours
it); otherwise ``__pycache__`` beside the kernels when the install location is
writable; otherwise (a read-only install, e.g. a container image) the first
writable of ``$XDG_CACHE_HOME/fastnn/numba`` (``~/.cache/fastnn/numba``) and
``<tempdir>/fastnn-numba-cache-<uid>`` (see :func:`configure_cache`).
"""
import os
import tempfile
from pathlib import Path

import numba

#: LLVM fast-math flags used by every kernel (never ``nnan`` / ``ninf``).
FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})


KERNELS_DIR = Path(__file__).resolve().parent / "_kernels"


def _writable_dir(path, private=False):
    """Whether a file can be created in ``path`` (made if missing), as Numba's
    own in-tree cache check does. ``private``: also require that the folder is
    the current user's and nobody else may write to it (cache files are
    pickles: a folder another user controls could plant code in them)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if private and hasattr(os, "getuid"):
            info = path.stat()
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return False
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return False
    return True


def fallback_cache_dirs():
    """Candidate cache folders for a read-only install, in order of preference."""
    home_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return [Path(home_cache) / "fastnn" / "numba",
            Path(tempfile.gettempdir()) / f"fastnn-numba-cache-{uid}"]


def configure_cache(kernels_dir=KERNELS_DIR):
    """Point Numba's cache at a writable folder when ``kernels_dir`` is read-only.

    Must run before the kernels are decorated (it runs when this module is
    imported). Does nothing when ``NUMBA_CACHE_DIR`` is set or when
    ``kernels_dir/__pycache__`` is writable.

    Returns
    -------
    str or None
        The folder set as ``numba.config.CACHE_DIR``, or None if none was set.
    """
    if os.environ.get("NUMBA_CACHE_DIR") or _writable_dir(Path(kernels_dir) / "__pycache__"):
        return None
    for candidate in fallback_cache_dirs():
        if _writable_dir(candidate, private=True):
            numba.config.CACHE_DIR = str(candidate)
            return numba.config.CACHE_DIR
    return None  # nowhere to write: Numba compiles in memory and warns


configure_cache()


def inline_kernel(func):
    """Like :func:`kernel`, and inlined into its callers at Numba's IR level.

    Used for loop bodies that are called with a constant integer code in each
    branch of a dispatcher: after inlining the code is a constant, so the
    per-element dispatch folds away and each branch is a tight, vectorisable
    loop. (A loop that dispatches on a runtime code per element is about 20x
    slower.)
    """
    return numba.njit(
        cache=True, nogil=True, fastmath=set(FASTMATH), error_model="numpy", inline="always"
    )(func)


def kernel(func):
    """Compile ``func`` as a cached, GIL-free Numba kernel with fastnn's flags.

    Parameters
    ----------
    func : callable
        A function that takes only arrays and scalars (no function arguments, so
        that the on-disk cache works; dispatch is by integer code).

    Returns
    -------
    numba.core.registry.CPUDispatcher
        The lazily compiled kernel.
    """
    return numba.njit(
        cache=True, nogil=True, fastmath=set(FASTMATH), error_model="numpy"
    )(func)
