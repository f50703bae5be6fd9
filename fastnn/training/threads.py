"""How many threads one ``fit`` or ``predict`` call may use (``n_threads``)."""
import contextlib
import os
import threading
import time

#: Below this many multiply-adds in a network's largest per-batch matrix product,
#: minibatch training uses one BLAS thread when ``n_threads`` is None. A second
#: thread gains little there and its waits cost more: it spins between products
#: while this thread runs the elementwise passes and the optimizer update, and
#: costs 10-40x when another process holds a core (BLAS threads wait for each
#: other at every product). Measured on 2 idle cores (AMD EPYC, 2026-12-03),
#: MNIST (256, 128) at batch 32 (largest product 6.4M): one thread 1.16-1.29 s
#: per epoch in every one of 4 processes, two threads 0.95-4.1 s (median 1.1 s,
#: one epoch in five above 2.4 s, the first thread's compiled passes 5x slower
#: beside the spinning second); at batch 128 (25.7M) two threads are faster:
#: 0.51-1.07 s against 0.79-0.86 s.
SMALL_PRODUCT = 1 << 23

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


#: :func:`other_runnable_tasks` reads the load this many times, this many seconds
#: apart, and counts a task only when it is there in all but
#: :data:`LOAD_OUTLIERS` of the readings. On an idle 2-core machine (2026-12-04)
#: tasks outside this process's view came and went in bursts of 3-4 ms, several
#: in one fit's first 30 ms; three readings 0.2 ms apart saw one at the start of
#: 8 of 48 MNIST fits, which then trained on one thread, 1.55x slower (ten
#: readings: in none of 42).
LOAD_SAMPLES = 10
LOAD_SPACING = 1e-3
LOAD_OUTLIERS = 2
#: Seconds a load reading is reused (a ``partial_fit`` loop reads it at most
#: once in this time instead of at every call).
LOAD_MAX_AGE = 1.0
_last_load = (-float("inf"), None)  # (time.monotonic() of the reading, the count)


def other_runnable_tasks(samples=LOAD_SAMPLES, spacing=LOAD_SPACING, max_age=LOAD_MAX_AGE):
    """Threads of other processes that are running or waiting for a CPU now, or
    None where this cannot be told.

    Linux only: the fourth field of ``/proc/loadavg`` counts the runnable tasks of
    the whole machine, the reading thread included, less this process's running
    threads. Of ``samples`` readings ``spacing`` seconds apart, the count that
    all but :data:`LOAD_OUTLIERS` of them reach is taken, so that a task that
    wakes for a few milliseconds is not counted and one that computes all the
    time is. A reading younger than ``max_age`` seconds is reused. Inside a CPU
    set narrower than the machine (a container pinned to some cores) the count
    says nothing about our cores, and the answer is None.
    """
    global _last_load
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) != os.cpu_count():
        return None
    read_at, count = _last_load
    if time.monotonic() - read_at < max_age:
        return count
    counts = []
    try:
        for i in range(samples):
            if i:
                time.sleep(spacing)
            counts.append(_runnable_tasks() - _own_running_threads())
    except (OSError, ValueError, IndexError):
        return None
    count = max(0, sorted(counts)[min(LOAD_OUTLIERS, samples - 1)])
    _last_load = (time.monotonic(), count)
    return count


def _runnable_tasks():
    """Runnable tasks of the whole machine now: the fourth field of ``/proc/loadavg``."""
    with open("/proc/loadavg", "rb") as f:
        return int(f.read().split()[3].split(b"/")[0])


def _own_running_threads():
    """This process's threads in state R (running or runnable), this one included:
    BLAS workers still spinning after the last product count in ``/proc/loadavg``
    too, and are not another process's load."""
    n = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        n += stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] == b"R"
    return max(n, 1)


def blas_threads_now():
    """The largest thread count of the loaded BLAS libraries (1 if none)."""
    counts = [lib["num_threads"] for lib in _blas().info() if lib.get("user_api") == "blas"]
    return max(counts, default=1)


def free_cpu_threads(current):
    """BLAS threads a fit may use without waiting for cores that other processes
    hold: ``current`` (the BLAS thread count now, :func:`blas_threads_now`),
    lowered to the CPUs this process may use minus the other runnable tasks (at
    least 1). ``current`` where the load cannot be told (see
    :func:`other_runnable_tasks`)."""
    others = other_runnable_tasks()
    if others is None:
        return current
    return max(1, min(current, len(os.sched_getaffinity(0)) - others))


@contextlib.contextmanager
def minibatch_threads(n_threads, layer_units, batch_size):
    """Threads for minibatch training with ``n_threads=None``.

    Products below :data:`SMALL_PRODUCT` multiply-adds train on one BLAS thread.
    Larger ones take the threads :func:`free_cpu_threads` finds free when the
    call starts: BLAS threads wait for each other at every product, so one whose
    core is held by another process stalls them all (measured, 2 cores, one
    pure-Python busy loop beside: digits (256, 128), 30 epochs, 5.6 s on two
    threads against 0.40 s on one). With an explicit ``n_threads``, what
    :func:`limit_threads` set (the caller's context).
    """
    if n_threads is not None:
        yield
        return
    current = blas_threads_now()
    if largest_batch_product(layer_units, batch_size) < SMALL_PRODUCT:
        n = 1
    else:
        n = free_cpu_threads(current)
    if n < current:
        with blas_limit(n):
            yield
    else:
        yield
