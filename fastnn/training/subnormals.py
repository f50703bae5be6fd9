"""Training with subnormal floats flushed to zero.

Adam's and momentum's state decays geometrically wherever a gradient stays at or
near zero (on MNIST: the weights of border pixels that are rarely ink). After a
few hundred steps ``m = beta_1 m`` falls below float32's smallest normal number
(1.2e-38) and every operation on it becomes a microcode assist, about a hundred
times slower than the vectorised instruction. Measured on MNIST (256, 128), batch
128, one BLAS thread: epochs of 0.68 / 0.97 / 0.92 / 1.27 s without flushing,
0.70 / 0.67 / 0.67 / 0.69 s with it, the same losses to the printed digit. XLA
(JAX) flushes by default; so does fastnn's training kernel, through
:func:`flush_subnormals`: values below the smallest normal number become zero,
far below anything a weight update can resolve.
"""
import contextlib

from . import _fpenv

#: Whether this CPU architecture's flush-to-zero control is known (x86, AArch64);
#: elsewhere :func:`flush_subnormals` changes nothing.
SUPPORTED = _fpenv.SUPPORTED


@contextlib.contextmanager
def flush_subnormals():
    """Flush subnormal results and inputs to zero in the calling thread, and put
    its floating-point control word back on leaving (also on an exception).

    The training kernel runs in the thread that calls it, so this covers every
    elementwise pass and optimizer update; BLAS worker threads keep their own
    control words.
    """
    old = _fpenv.flush_subnormals_on()
    try:
        yield
    finally:
        _fpenv.restore(old)


#: ``flushing()``: whether the calling thread flushes subnormals to zero now.
flushing = _fpenv.flushing
