# Row-major GEMM over scipy.linalg.cython_blas, shared by the extension modules
# that include this file (an include, so no module has to import another at run time).
#
#     C := alpha * op(A) @ op(B) + beta * C
#
# A, B and C are C-contiguous 2-D memoryviews; op(X) is X or X.T.  BLAS is
# column-major, and a row-major (r, c) array is its transpose seen column-major,
# so C.T = op(B).T @ op(A).T is computed by swapping the operands.
from cython cimport floating
from scipy.linalg.cython_blas cimport sgemm, dgemm


cdef inline void gemm_rowmajor(bint trans_a, bint trans_b, floating alpha,
                               const floating* a, int a_cols,
                               const floating* b, int b_cols,
                               floating beta, floating* c, int m, int n, int k) noexcept nogil:
    """IN a, b; OUT c. m, n: rows and columns of C; k: inner dimension."""
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    cdef int lda = a_cols if a_cols > 0 else 1
    cdef int ldb = b_cols if b_cols > 0 else 1
    cdef int ldc = n if n > 0 else 1
    if m == 0 or n == 0:
        return
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, <float*> b, &ldb, <float*> a, &lda,
              &beta, c, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, <double*> b, &ldb, <double*> a, &lda,
              &beta, c, &ldc)
