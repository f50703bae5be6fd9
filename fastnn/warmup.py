"""``fastnn.warmup()``: compile (or load from the cache) every kernel ahead of time."""
import time


def warmup(dtypes=("float32", "float64"), verbose=False):
    """Compile the training kernels for each dtype, or load them from the cache.

    Building the package already compiles them and ships the cache, so after
    ``pip install`` the first ``fit`` waits for nothing. That cache serves only
    the CPU and the Numba version of the build: where they differ (a wheel
    copied to another machine, Numba upgraded later), the first ``fit`` compiles
    once, about 30 s per dtype. Call ``warmup`` to pay that up front, for example
    when building a container image or on every Dask worker with
    ``client.run(fastnn.warmup)``. Prediction never compiles (it is Cython).

    Parameters
    ----------
    dtypes : sequence of {"float32", "float64"}, default=("float32", "float64")
        Compute dtypes to prepare.
    verbose : bool, default=False
        Print the time each dtype took.

    Returns
    -------
    dict
        Seconds spent per dtype (a cache load takes well under a second).

    Examples
    --------
    >>> import fastnn
    >>> seconds = fastnn.warmup(dtypes=("float32",))
    >>> sorted(seconds)
    ['float32']
    """
    from .training.precompile import DTYPES, compile_kernels

    unknown = [d for d in dtypes if d not in DTYPES]
    if unknown:
        raise ValueError(f"warmup dtypes must be among {DTYPES}, got {unknown}.")
    timings = {}
    for dtype in dtypes:
        start = time.perf_counter()
        compile_kernels((dtype,))
        timings[dtype] = time.perf_counter() - start
        if verbose:
            print(f"fastnn.warmup: {dtype} kernels ready in {timings[dtype]:.1f} s")
    return timings
