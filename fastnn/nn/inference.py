"""Python front of the compiled inference pass (``csrc/_inference_ext.pyx``).

``predict`` and ``predict_proba`` go through here and never trigger a Numba
compilation.
"""
import numpy as np
import scipy.sparse as sp

try:
    from . import _inference_ext
except ImportError as exc:  # an unbuilt source checkout shadowing the installed package
    raise ImportError(
        "fastnn's compiled extension (fastnn.nn._inference_ext) is missing from "
        f"{__file__.rsplit('/', 1)[0]}. This happens when Python imports an unbuilt source "
        "checkout (for example `python -m fastnn` run from the repository root) instead "
        "of the installed package. Build it in place with `pip install -e .`, or run "
        "the `fastnn` command / Python from another directory."
    ) from exc


def as_csr_arrays(X):
    """``(data, indices, indptr)`` of a CSR matrix, with int64 index arrays."""
    return X.data, X.indices.astype(np.int64, copy=False), X.indptr.astype(np.int64, copy=False)


def forward(X, coefs, intercepts, slopes, hidden_code, out_code, norms=None):
    """Output activations of the network for ``X`` (dense C-contiguous or CSR).

    ``slopes`` gives each hidden layer's per-unit negative-side slope (leaky
    ReLU family), ``norms`` each layer's layer-norm ``(gamma, beta)`` or None;
    batch norm must already be folded into ``coefs`` / ``intercepts``.
    """
    if sp.issparse(X):
        data, indices, indptr = as_csr_arrays(X.tocsr())
        X = (data, indices, indptr, X.shape[0])
    return _inference_ext.forward(X, coefs, intercepts, slopes, hidden_code, out_code,
                                  norms)
