"""The one place where Numba compilation flags are set.

Every training kernel is compiled with :func:`kernel`: ``cache=True`` so the
on-disk cache serves later processes, ``nogil=True`` so kernels can run in
threads, and the fastmath flags below. ``nnan`` and ``ninf`` are deliberately
absent: with them LLVM may assume values are finite and compile ``np.isfinite``
checks away, which would hide a diverging fit.
"""
import numba

#: LLVM fast-math flags used by every kernel (never ``nnan`` / ``ninf``).
FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})


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
