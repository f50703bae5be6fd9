"""Numba compilation flags and the kernel cache: the one place for both.

Every kernel is compiled with :func:`kernel`: ``cache=True`` so compiled code is
kept on disk, ``nogil=True`` so kernels can run in threads, and the fastmath
flags below. ``nnan`` and ``ninf`` are deliberately absent: with them LLVM may
assume values are finite and compile ``np.isfinite`` checks away, which would
hide a diverging fit.

The cache (:class:`KernelCacheLocator`, used for the kernels of this package
only; other Numba code keeps Numba's own rules):

- lives in ``NUMBA_CACHE_DIR`` when it is set, otherwise in the first private,
  writable folder of :func:`cache_dirs` (``$XDG_CACHE_HOME/fastnn/numba``, i.e.
  ``~/.cache/fastnn/numba``, then a per-user folder in the temp directory); never
  beside the installed sources, so installing, reinstalling or uninstalling
  leaves nothing there, and a read-only install works as any other;
- is keyed by a hash of every kernel module (:func:`sources_stamp`), so editing
  any of them (a callee in another file included) invalidates it;
- starts filled: the build compiles the kernels (``python -m fastnn.nn.precompile``,
  run by ``setup.py``) and ships the cache files in ``fastnn/nn/_kernel_cache``;
  the first import copies them into the cache folder (:func:`seed_cache`). They
  serve when the machine, the kernel sources and the Numba version are those of
  the build; otherwise Numba sees stale entries and compiles, once.
"""
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numba
from numba.core import caching

#: LLVM fast-math flags used by every kernel (never ``nnan`` / ``ninf``).
FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})
KERNELS_DIR = Path(__file__).resolve().parent
#: Cache files written by the build, shipped with the package.
SHIPPED_CACHE = KERNELS_DIR / "_kernel_cache"
_MARKER = ".fastnn-seeded-"


def _writable_dir(path, private=False):
    """Whether a file can be created in ``path`` (made if missing). ``private``:
    also require that the folder is the current user's and nobody else may write
    to it (cache files are pickles: a folder another user controls could plant
    code in them)."""
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


def cache_dirs():
    """Candidate cache folders when ``NUMBA_CACHE_DIR`` is not set, in order."""
    home_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return [Path(home_cache) / "fastnn" / "numba",
            Path(tempfile.gettempdir()) / f"fastnn-numba-cache-{uid}"]


def cache_root():
    """The folder the kernel cache lives under, or None when none is writable
    (then Numba compiles in memory every process)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        path = Path(os.environ["NUMBA_CACHE_DIR"])
        return path if _writable_dir(path) else None
    for candidate in cache_dirs():
        if _writable_dir(candidate, private=True):
            return candidate
    return None


def cache_folder(root):
    """Where the kernels' files go under ``root``: one folder per install
    location of the kernels (Numba's naming: the folder name and a hash of its
    path)."""
    return Path(root) / caching._CacheLocator.get_suitable_cache_subpath(
        str(KERNELS_DIR / "jit.py"))


_STAMPS = {}


def sources_stamp(folder=KERNELS_DIR):
    """SHA-256 of every kernel module's name and bytes in ``folder``: the cache's
    freshness stamp (computed once per process)."""
    folder = Path(folder)
    if folder not in _STAMPS:
        digest = hashlib.sha256()
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        _STAMPS[folder] = digest.hexdigest()
    return _STAMPS[folder]


def seed_cache(folder, shipped=SHIPPED_CACHE):
    """Copy the shipped cache files into ``folder`` once per build.

    A marker named after the build (``BUILD`` in the shipped folder) records the
    copy; files are written under a temporary name and renamed, so processes
    starting together never read half a file. Returns the number of files copied.
    """
    build = shipped / "BUILD"
    if not build.is_file():
        return 0
    marker = folder / (_MARKER + build.read_text().strip())
    if marker.exists():
        return 0
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    copied = 0
    for source in shipped.iterdir():
        if source.suffix not in (".nbi", ".nbc"):
            continue
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".seed-")
        os.close(fd)
        shutil.copyfile(source, tmp)
        os.replace(tmp, folder / source.name)
        copied += 1
    marker.touch()
    return copied


class KernelCacheLocator(caching._CacheLocator):
    """Numba cache locator for fastnn's kernels (see the module docstring)."""

    _seeded = set()

    def __init__(self, py_func, py_file, folder):
        self._lineno = py_func.__code__.co_firstlineno
        self._folder = folder

    def get_cache_path(self):
        return str(self._folder)

    def get_source_stamp(self):
        return sources_stamp()

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != KERNELS_DIR:
            return None  # not a fastnn kernel: Numba's own locators decide
        root = cache_root()
        if root is None:
            return None
        folder = cache_folder(root)
        if folder not in cls._seeded:
            cls._seeded.add(folder)
            try:
                seed_cache(folder)
            except OSError:
                pass  # a cache that cannot be seeded still works: it compiles
        return cls(py_func, py_file, folder)


_CACHE_IMPL = getattr(caching, "CacheImpl", None) or caching._CacheImpl
if KernelCacheLocator not in _CACHE_IMPL._locator_classes:
    _CACHE_IMPL._locator_classes.insert(0, KernelCacheLocator)


def inline_kernel(func):
    """Like :func:`kernel`, and inlined into its callers at Numba's IR level."""
    return numba.njit(
        cache=True, nogil=True, fastmath=set(FASTMATH), error_model="numpy", inline="always"
    )(func)


def kernel(func):
    """Compile ``func`` as a cached, GIL-free Numba kernel with fastnn's flags.

    Parameters
    ----------
    func : callable
        A function that takes only arrays, scalars and named tuples of them.

    Returns
    -------
    numba.core.registry.CPUDispatcher
        The lazily compiled kernel.
    """
    return numba.njit(
        cache=True, nogil=True, fastmath=set(FASTMATH), error_model="numpy"
    )(func)
