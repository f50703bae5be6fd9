"""BLAS bindings over ``scipy.linalg.cython_blas`` for row-major arrays.

The one primitive the network needs is GEMM with transpose flags that
accumulates into a preallocated output::

    C := alpha * op(A) @ op(B) + beta * C

so gradients and activations are written into buffers that already exist.
"""
include "_gemm.pxi"


def gemm(bint trans_a, bint trans_b, double alpha,
         const floating[:, ::1] A, const floating[:, ::1] B,
         double beta, floating[:, ::1] C):
    """Compute ``C := alpha * op(A) @ op(B) + beta * C`` in place.

    Parameters
    ----------
    trans_a, trans_b : bool
        Use the transpose of ``A`` (``B``) as the operand.
    alpha, beta : float
        Scale of the product and of the existing ``C``; ``beta=0`` overwrites
        ``C`` (its old contents, even NaN, are ignored), ``beta=1`` accumulates.
    A, B : C-contiguous ndarray of float32 or float64
        Operands, same dtype as ``C``.
    C : C-contiguous ndarray
        Output, modified in place.

    Raises
    ------
    ValueError
        If the shapes of ``op(A)``, ``op(B)`` and ``C`` do not agree.
    """
    cdef int m = C.shape[0]
    cdef int n = C.shape[1]
    cdef int a_rows = A.shape[1] if trans_a else A.shape[0]
    cdef int k = A.shape[0] if trans_a else A.shape[1]
    cdef int b_rows = B.shape[1] if trans_b else B.shape[0]
    cdef int b_cols = B.shape[0] if trans_b else B.shape[1]
    if a_rows != m or b_cols != n or b_rows != k:
        raise ValueError(
            f"gemm shapes do not agree: op(A) is ({a_rows}, {k}), op(B) is "
            f"({b_rows}, {b_cols}), C is ({m}, {n})."
        )
    with nogil:
        gemm_rowmajor(trans_a, trans_b, <floating> alpha, &A[0, 0] if A.shape[0] * A.shape[1] else NULL,
                      A.shape[1], &B[0, 0] if B.shape[0] * B.shape[1] else NULL, B.shape[1],
                      <floating> beta, &C[0, 0] if m * n else NULL, m, n, k)
