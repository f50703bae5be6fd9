"""``fastnn.warmup()``: compile (or load from the cache) every kernel ahead of time."""
import time
import warnings

import numpy as np

#: Each configuration one warm-up fit trains: together they reach every kernel.
_CONFIGS = (
    ("classifier", dict(solver="adam", batch_norm=True, dropout=0.1, activation="prelu",
                        early_stopping=True, n_iter_no_change=1)),
    ("classifier", dict(solver="lbfgs", max_iter=2)),
    ("regressor", dict(solver="sgd", activation="rrelu", input_noise=0.1, max_norm=3.0,
                       clip_norm=1.0)),
)


def warmup(dtypes=("float32", "float64"), verbose=False):
    """Compile every training kernel for each dtype, or load it from the on-disk cache.

    The first ``fit`` in a fresh environment otherwise pays Numba's compile
    time (about 40 s per dtype). Call it when building a container image (so the
    cache ships in the image), or on every Dask worker with
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
        Seconds spent per dtype.

    Examples
    --------
    >>> import fastnn
    >>> seconds = fastnn.warmup(dtypes=("float32",))
    >>> sorted(seconds)
    ['float32']
    """
    from sklearn.exceptions import ConvergenceWarning

    from ._classifier import DNNClassifier
    from ._regressor import DNNRegressor

    estimators = {"classifier": DNNClassifier, "regressor": DNNRegressor}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.arange(40) % 2
    timings = {}
    for dtype in dtypes:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for kind, params in _CONFIGS:
                params = {"hidden_layer_sizes": (4,), "max_iter": 2, "random_state": 0,
                          "dtype": dtype, **params}
                est = estimators[kind](**params).fit(X, y)
                est.predict(X)
        timings[dtype] = time.perf_counter() - start
        if verbose:
            print(f"fastnn.warmup: {dtype} kernels ready in {timings[dtype]:.1f} s")
    return timings
