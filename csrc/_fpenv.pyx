"""The calling thread's floating-point control: flushing subnormal numbers to zero.

Compiled (Cython over ``csrc/fpenv.h``) because the control register can only be
read and written by machine instructions.
"""

cdef extern from "fpenv.h":
    unsigned int FPENV_FLUSH_BITS
    unsigned int fpenv_get() nogil
    void fpenv_set(unsigned int v) nogil
    int fpenv_supported() nogil

#: Whether this CPU architecture's flush-to-zero control is known here (x86, AArch64).
SUPPORTED = bool(fpenv_supported())


def flush_subnormals_on():
    """Make the calling thread flush subnormal results and inputs to zero.

    Returns
    -------
    int
        The previous control word, for :func:`restore`.
    """
    cdef unsigned int old = fpenv_get()
    fpenv_set(old | FPENV_FLUSH_BITS)
    return old


def restore(unsigned int word):
    """Put back the control word :func:`flush_subnormals_on` returned."""
    fpenv_set(word)


def flushing():
    """Whether the calling thread flushes subnormals to zero now."""
    return SUPPORTED and (fpenv_get() & FPENV_FLUSH_BITS) == FPENV_FLUSH_BITS
