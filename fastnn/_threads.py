"""``n_threads``: how many threads one ``fit`` or ``predict`` call may use."""
import contextlib


@contextlib.contextmanager
def limit_threads(n_threads):
    """Run the body with at most ``n_threads`` threads in Numba and in BLAS.

    Numba's thread count is a per-thread setting: it is set in the calling
    thread and restored afterwards. BLAS (OpenBLAS / MKL, through
    ``threadpoolctl``) is capped to the same number, so compiled kernels and
    the BLAS calls inside them never both run full width, and a search with
    ``n_jobs`` workers that each use ``n_threads=1`` does not oversubscribe.

    Parameters
    ----------
    n_threads : int or None
        ``None`` changes nothing: every available thread (and whatever limits
        the environment, e.g. ``OPENBLAS_NUM_THREADS`` or joblib's workers, set).
    """
    if n_threads is None:
        yield
        return
    import numba
    from threadpoolctl import threadpool_limits

    n = int(n_threads)
    previous = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
    finally:
        numba.set_num_threads(previous)
