"""Compiled inference forward pass: ``predict`` and ``predict_proba`` never JIT.

The network is a list of dense layers ``a_{l+1} = f(norm(a_l @ W_l + b_l))`` with
one hidden activation ``f`` and an output activation; batch normalization has
already been folded into ``W`` and ``b`` (``Network.inference_steps``), ``norm`` is
the optional per-row layer normalisation, and the leaky ReLU family gets one
negative-side slope per unit. Rows are processed in chunks so the two ping-pong
activation buffers stay small; each layer is one GEMM into a buffer followed by
one fused pass adding the bias and applying ``f`` (two more passes with layer
norm).

The integer codes below must equal the codes of ``ACTIVATIONS`` in
``fastnn/nn/activations.py`` and ``OUTPUT_CODES`` in ``fastnn/nn/output.py``;
``tests/test_activations.py`` checks every registry entry against this pass.
"""
include "_gemm.pxi"

import numpy as np
cimport numpy as cnp
from libc.math cimport erf, exp, expm1, log1p, sqrt, tanh
from libc.float cimport DBL_EPSILON, FLT_EPSILON
from libc.stdlib cimport malloc, free

cnp.import_array()

cdef enum:  # hidden activations (fastnn.nn.activations.ACTIVATIONS)
    ACT_IDENTITY = 0
    ACT_LOGISTIC = 1
    ACT_TANH = 2
    ACT_RELU = 3
    ACT_LEAKY_RELU = 4
    ACT_PRELU = 5
    ACT_RRELU = 6
    ACT_ELU = 7
    ACT_SELU = 8
    ACT_GELU = 9
    ACT_SILU = 10
    ACT_MISH = 11

#: The hidden activation codes :func:`activate` knows (checked against the registry).
HIDDEN_CODES = (ACT_IDENTITY, ACT_LOGISTIC, ACT_TANH, ACT_RELU, ACT_LEAKY_RELU, ACT_PRELU,
                ACT_RRELU, ACT_ELU, ACT_SELU, ACT_GELU, ACT_SILU, ACT_MISH)

cdef double SELU_ALPHA = 1.6732632423543772
cdef double SELU_SCALE = 1.0507009873554805
cdef double INV_SQRT2 = 0.7071067811865476
cdef double LAYER_NORM_EPS = 1e-5  # fastnn.nn.settings.LAYER_NORM_EPS

cdef enum:  # output activations (fastnn.nn.output.OUTPUT_CODES)
    OUT_IDENTITY = 0
    OUT_LOGISTIC = 1
    OUT_SOFTMAX = 2
    OUT_EXP = 3


cdef inline floating logistic(floating z) noexcept nogil:
    if z >= 0:
        return 1.0 / (1.0 + exp(-z))
    cdef double e = exp(z)
    return e / (1.0 + e)


cdef inline floating activate(int code, floating z, floating s) noexcept nogil:
    """Activation ``code`` at ``z``; ``s`` is the negative-side slope of the leaky family."""
    if code == ACT_RELU:
        return z if z > 0 else 0
    elif code == ACT_LEAKY_RELU or code == ACT_PRELU or code == ACT_RRELU:
        return z if z > 0 else s * z
    elif code == ACT_TANH:
        return tanh(z)
    elif code == ACT_LOGISTIC:
        return logistic(z)
    elif code == ACT_ELU:
        return z if z > 0 else expm1(z)
    elif code == ACT_SELU:
        return SELU_SCALE * z if z > 0 else SELU_SCALE * SELU_ALPHA * expm1(z)
    elif code == ACT_GELU:
        return 0.5 * z * (1.0 + erf(z * INV_SQRT2))
    elif code == ACT_SILU:
        return z * logistic(z)
    elif code == ACT_MISH:
        return z * tanh(z if z > 20 else log1p(exp(z)))
    return z


cdef void bias_activate(floating* z, const floating* b, const floating* slope,
                        Py_ssize_t rows, Py_ssize_t cols, int code) noexcept nogil:
    """INOUT z (rows, cols): z = f(z + b), unit j with negative-side slope slope[j].

    The activation is chosen once, outside the loops: a per-element dispatch
    keeps the compiler from vectorising the common piecewise-linear cases.
    """
    cdef Py_ssize_t i, j
    cdef floating* row
    cdef floating v
    if code == ACT_RELU:
        for i in range(rows):
            row = z + i * cols
            for j in range(cols):
                v = row[j] + b[j]
                row[j] = v if v > 0 else 0
    elif code == ACT_LEAKY_RELU or code == ACT_PRELU or code == ACT_RRELU:
        for i in range(rows):
            row = z + i * cols
            for j in range(cols):
                v = row[j] + b[j]
                row[j] = v if v > 0 else slope[j] * v
    elif code == ACT_IDENTITY:
        for i in range(rows):
            row = z + i * cols
            for j in range(cols):
                row[j] = row[j] + b[j]
    else:
        for i in range(rows):
            row = z + i * cols
            for j in range(cols):
                row[j] = activate(code, row[j] + b[j], slope[j])


cdef void bias_output(floating* z, const floating* b, Py_ssize_t rows,
                      Py_ssize_t cols, int code) noexcept nogil:
    """INOUT z (rows, cols): z = out(z + b), softmax taken per row."""
    cdef Py_ssize_t i, j
    cdef floating* row
    cdef floating m
    cdef double s
    cdef floating half_eps = (FLT_EPSILON if floating is float else DBL_EPSILON) / 2
    for i in range(rows):
        row = z + i * cols
        for j in range(cols):
            row[j] = row[j] + b[j]
        if code == OUT_SOFTMAX:
            m = row[0]
            for j in range(1, cols):
                if row[j] > m:
                    m = row[j]
            s = 0.0
            for j in range(cols):
                row[j] = exp(row[j] - m)
                s += row[j]
            for j in range(cols):
                row[j] = row[j] / s
        elif code == OUT_LOGISTIC:
            # keep probabilities strictly inside (0, 1): float32 saturates at 1.0
            for j in range(cols):
                row[j] = min(max(logistic(row[j]), half_eps), 1 - half_eps)
        elif code == OUT_EXP:
            for j in range(cols):
                row[j] = exp(row[j])


cdef void layer_norm_rows(floating* z, const floating* b, const floating* gamma,
                          const floating* beta, Py_ssize_t rows,
                          Py_ssize_t cols) noexcept nogil:
    """INOUT z (rows, cols): z = gamma * (v - mean) / sqrt(var + eps) + beta per row,
    v = z + b (the layer-norm op of ``fastnn/nn/layer_norm.py``)."""
    cdef Py_ssize_t i, j
    cdef floating* row
    cdef double mu, sq, d, k
    for i in range(rows):
        row = z + i * cols
        mu = 0.0
        for j in range(cols):
            row[j] = row[j] + b[j]
            mu += row[j]
        mu /= cols
        sq = 0.0
        for j in range(cols):
            d = row[j] - mu
            sq += d * d
        k = 1.0 / sqrt(sq / cols + LAYER_NORM_EPS)
        for j in range(cols):
            row[j] = gamma[j] * ((row[j] - mu) * k) + beta[j]


cdef enum:
    SMALL_ROWS = 8  # up to this many rows, a direct loop beats a BLAS call


cdef void small_matmul(const floating* x, Py_ssize_t rows, Py_ssize_t fan_in,
                       const floating* w, Py_ssize_t fan_out, floating* z) noexcept nogil:
    """OUT z (rows, fan_out) = x (rows, fan_in) @ w, as a sum of rows of ``w``.

    For a handful of rows this avoids BLAS's per-call overhead, which dominates
    single-row prediction; zero inputs (frequent after ReLU) are skipped.
    """
    cdef Py_ssize_t i, j, k
    cdef floating xk
    cdef floating* zrow
    cdef const floating* wrow
    for i in range(rows):
        zrow = z + i * fan_out
        for j in range(fan_out):
            zrow[j] = 0
        for k in range(fan_in):
            xk = x[i * fan_in + k]
            if xk == 0:
                continue
            wrow = w + k * fan_out
            for j in range(fan_out):
                zrow[j] += xk * wrow[j]


cdef void csr_matmul(const floating* data, const long long* indices,
                     const long long* indptr, Py_ssize_t row0, Py_ssize_t rows,
                     const floating* w, Py_ssize_t cols, floating* z) noexcept nogil:
    """OUT z (rows, cols) = X[row0:row0+rows] @ W for CSR X; W is (n_features, cols)."""
    cdef Py_ssize_t i, j, p
    cdef floating v
    cdef floating* zrow
    cdef const floating* wrow
    for i in range(rows):
        zrow = z + i * cols
        for j in range(cols):
            zrow[j] = 0
        for p in range(indptr[row0 + i], indptr[row0 + i + 1]):
            v = data[p]
            wrow = w + indices[p] * cols
            for j in range(cols):
                zrow[j] += v * wrow[j]


cdef _forward(const floating[:, ::1] X, const floating[::1] data,
              const long long[::1] indices, const long long[::1] indptr,
              Py_ssize_t n_rows, list coefs, list intercepts, list slopes, list norms,
              int hidden_code, int out_code, Py_ssize_t chunk, floating[:, ::1] out):
    cdef Py_ssize_t n_layers = len(coefs)
    cdef bint sparse = X.shape[1] == 0 and indptr.shape[0] > 0
    cdef Py_ssize_t l, width = 1
    cdef floating[:, ::1] bufs_view
    cdef const floating[:, ::1] w_view
    cdef const floating[::1] b_view
    cdef const floating[::1] s_view
    cdef const floating[::1] g_view
    cdef const floating[::1] e_view
    cdef floating[::1] zeros_view
    cdef floating** w = <floating**> malloc(n_layers * sizeof(floating*))
    cdef floating** ng = <floating**> malloc(n_layers * sizeof(floating*))
    cdef floating** nb = <floating**> malloc(n_layers * sizeof(floating*))
    cdef floating** b = <floating**> malloc(n_layers * sizeof(floating*))
    cdef floating** sl = <floating**> malloc(n_layers * sizeof(floating*))
    cdef int* fan_in = <int*> malloc(n_layers * sizeof(int))
    cdef int* fan_out = <int*> malloc(n_layers * sizeof(int))
    if (w == NULL or b == NULL or sl == NULL or ng == NULL or nb == NULL or fan_in == NULL
            or fan_out == NULL):
        free(w); free(b); free(sl); free(ng); free(nb); free(fan_in); free(fan_out)
        raise MemoryError()
    try:
        for l in range(n_layers):
            w_view = coefs[l]
            b_view = intercepts[l]
            w[l] = <floating*> &w_view[0, 0]
            b[l] = <floating*> &b_view[0]
            sl[l] = NULL
            if l < len(slopes):
                s_view = slopes[l]
                if s_view.shape[0] != w_view.shape[1]:
                    raise ValueError(f"slopes[{l}] must have one entry per unit.")
                sl[l] = <floating*> &s_view[0]
            ng[l] = NULL
            nb[l] = NULL
            if l < len(norms) and norms[l] is not None:
                g_view = norms[l][0]
                e_view = norms[l][1]
                if g_view.shape[0] != w_view.shape[1] or e_view.shape[0] != w_view.shape[1]:
                    raise ValueError(f"norms[{l}] must have one scale and shift per unit.")
                ng[l] = <floating*> &g_view[0]
                nb[l] = <floating*> &e_view[0]
            fan_in[l] = w_view.shape[0]
            fan_out[l] = w_view.shape[1]
            if l < n_layers - 1 and fan_out[l] > width:
                width = fan_out[l]
        dtype = np.float32 if floating is float else np.float64
        bufs = np.empty((2, min(chunk, max(n_rows, 1)) * width), dtype=dtype)
        bufs_view = bufs
        zeros = np.zeros(max(fan_out[n_layers - 1], width), dtype=dtype)
        zeros_view = zeros
        with nogil:
            _run_chunks(X, data, indices, indptr, sparse, n_rows, n_layers, w, b, sl, ng, nb,
                        &zeros_view[0], fan_in, fan_out, hidden_code, out_code, chunk,
                        bufs_view, out)
    finally:
        free(w); free(b); free(sl); free(ng); free(nb); free(fan_in); free(fan_out)


cdef void _run_chunks(const floating[:, ::1] X, const floating[::1] data,
                      const long long[::1] indices, const long long[::1] indptr,
                      bint sparse, Py_ssize_t n_rows, Py_ssize_t n_layers,
                      floating** w, floating** b, floating** sl, floating** ng,
                      floating** nb, const floating* zeros, int* fan_in, int* fan_out,
                      int hidden_code, int out_code, Py_ssize_t chunk,
                      floating[:, ::1] bufs, floating[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t start = 0, rows, l
    cdef const floating* src
    cdef floating* dst
    while start < n_rows:
        rows = min(chunk, n_rows - start)
        for l in range(n_layers):
            dst = &out[start, 0] if l == n_layers - 1 else &bufs[l % 2, 0]
            if l == 0 and sparse:
                csr_matmul(&data[0], &indices[0], &indptr[0], start, rows,
                           w[0], fan_out[0], dst)
            else:
                if l == 0:
                    src = &X[start, 0]
                else:
                    src = &bufs[(l - 1) % 2, 0]
                if rows <= SMALL_ROWS:
                    small_matmul(src, rows, fan_in[l], w[l], fan_out[l], dst)
                else:
                    gemm_rowmajor(False, False, <floating> 1.0, src, fan_in[l],
                                  w[l], fan_out[l], <floating> 0.0, dst,
                                  <int> rows, fan_out[l], fan_in[l])
            if l == n_layers - 1 and out_code >= 0:
                bias_output(dst, b[l], rows, fan_out[l], out_code)
            elif ng[l] != NULL:
                layer_norm_rows(dst, b[l], ng[l], nb[l], rows, fan_out[l])
                bias_activate(dst, zeros, sl[l], rows, fan_out[l], hidden_code)
            else:
                bias_activate(dst, b[l], sl[l], rows, fan_out[l], hidden_code)
        start += chunk


def forward(X, list coefs, list intercepts, list slopes, int hidden_code, int out_code,
            list norms=None, Py_ssize_t chunk=4096):
    """Run the inference forward pass of a dense network.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or tuple
        C-contiguous input of the same dtype as the weights, or a CSR matrix as
        ``(data, indices, indptr, n_samples)`` with int64 ``indices`` / ``indptr``.
    coefs : list of ndarray
        C-contiguous weight matrices of shape ``(fan_in, fan_out)``.
    intercepts : list of ndarray
        Bias vectors of shape ``(fan_out,)``.
    slopes : list of ndarray
        For each hidden layer, the negative-side slope of each unit (used by the
        leaky ReLU family, ignored otherwise).
    hidden_code, out_code : int
        Activation codes (``fastnn.nn.activations`` / ``fastnn.nn.output``). An
        ``out_code`` of -1 treats the last layer given as a hidden layer (its
        activations are returned: embeddings), which needs its entry in ``slopes``.
    norms : list of (ndarray, ndarray) or None, default=None
        Per layer, layer norm's ``(gamma, beta)`` applied after the bias and
        before the activation, or None.
    chunk : int, default=4096
        Rows processed at a time.

    Returns
    -------
    out : ndarray of shape (n_samples, n_outputs)
        The output activations (probabilities for classifiers).
    """
    cdef Py_ssize_t n_rows
    if hidden_code not in HIDDEN_CODES:
        raise ValueError(f"hidden activation code {hidden_code} has no inference formula "
                         "here: add it to activate() in csrc/_inference_ext.pyx")
    norms = [] if norms is None else norms
    dtype = coefs[0].dtype
    n_out = coefs[len(coefs) - 1].shape[1]
    empty2 = np.empty((0, 0), dtype=dtype)
    empty_i = np.zeros(0, dtype=np.int64)
    if isinstance(X, tuple):
        data, indices, indptr, n_rows = X
        if data.shape[0] == 0:  # all-zero sparse input: keep a valid pointer
            data = np.zeros(1, dtype=dtype)
            indices = np.zeros(1, dtype=np.int64)
        dense = empty2
    else:
        n_rows = X.shape[0]
        dense, data, indices, indptr = X, np.zeros(1, dtype=dtype), empty_i, empty_i
        if dense.shape[1] == 0:
            raise ValueError("X has no features.")
    out = np.empty((n_rows, n_out), dtype=dtype)
    if n_rows == 0:
        return out
    if dtype == np.float32:
        _forward[float](dense, data, indices, indptr, n_rows, coefs, intercepts, slopes,
                        norms, hidden_code, out_code, chunk, out)
    else:
        _forward[double](dense, data, indices, indptr, n_rows, coefs, intercepts, slopes,
                         norms, hidden_code, out_code, chunk, out)
    return out
