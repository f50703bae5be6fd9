"""How many threads one ``fit`` or ``predict`` call may use (``n_threads``)."""
import contextlib
import threading

#: Below this many multiply-adds in a network's largest per-batch matrix product,
#: minibatch training uses one BLAS thread when ``n_threads`` is None: a second
#: thread gains nothing there (measured: (256, 128) layers, batch 64: 0.089 s vs
#: 0.093 s per epoch on an idle machine) and costs 10-40x when another process
#: holds a core (BLAS threads wait for each other at every product).
SMALL_PRODUCT = 1 << 22

_controller = None
_lock = threading.Lock()
_active = []          # the BLAS limits of the calls running now, in any thread
_first_limiter = None  # restores the limits from before the first of them


def _blas():
    """One ``threadpoolctl.ThreadpoolController`` per process: creating one scans
    the loaded libraries (about 6 ms); limiting through it takes about 40 us."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextlib.contextmanager
def blas_limit(n):
    """Cap BLAS at ``n`` threads for the body.

    BLAS thread limits are process-wide, so calls that overlap in several
    threads (joblib's threading backend, a threaded Dask worker) share one
    setting: the smallest limit any running call asked for, and the limits
    from before the first call come back when the last one ends.
    """
    global _first_limiter
    with _lock:
        if not _active:
            _first_limiter = _blas().limit(limits=n, user_api="blas")
        elif n < min(_active):
            _blas().limit(limits=n, user_api="blas")
        _active.append(n)
    try:
        yield
    finally:
        with _lock:
            _active.remove(n)
            if not _active:
                _first_limiter.restore_original_limits()
                _first_limiter = None
            elif n < min(_active):
                _blas().limit(limits=min(_active), user_api="blas")


@contextlib.contextmanager
def limit_threads(n_threads):
    """Run the body with at most ``n_threads`` threads in Numba and in BLAS.

    Numba's thread count is a per-thread setting: it is set in the calling
    thread and restored afterwards. BLAS (OpenBLAS / MKL, through
    ``threadpoolctl``) is capped to the same number (see :func:`blas_limit`),
    so compiled kernels and the BLAS calls inside them never both run full
    width.

    Parameters
    ----------
    n_threads : int or None
        ``None`` changes nothing: every available thread (within the limits the
        environment sets, e.g. ``OPENBLAS_NUM_THREADS`` or joblib's workers).
    """
    if n_threads is None:
        yield
        return
    import numba

    n = int(n_threads)
    previous = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        with blas_limit(n):
            yield
    finally:
        numba.set_num_threads(previous)


def largest_batch_product(layer_units, batch_size):
    """Multiply-adds of the largest ``(batch, fan_in) @ (fan_in, fan_out)`` product."""
    return batch_size * max(a * b for a, b in zip(layer_units[:-1], layer_units[1:]))


@contextlib.contextmanager
def minibatch_threads(n_threads, layer_units, batch_size):
    """Threads for minibatch training: with ``n_threads=None`` and products below
    :data:`SMALL_PRODUCT`, one BLAS thread; otherwise what :func:`limit_threads`
    set (the caller's context)."""
    if n_threads is None and largest_batch_product(layer_units, batch_size) < SMALL_PRODUCT:
        with blas_limit(1):
            yield
    else:
        yield
