"""Training data in the form the kernels read."""
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..nn.compile import DataArrays
from ..nn.inference import as_csr_arrays


def _read_only(a):
    """A read-only view of ``a`` (no copy)."""
    view = a.view()
    view.flags.writeable = False
    return view


@dataclass
class TrainData:
    """Validated training data in the kernels' form.

    Attributes
    ----------
    arrays : DataArrays
        ``X`` (dense, or an empty ``(0, n_features)`` array when sparse), CSR
        ``data`` / ``indices`` / ``indptr`` (int64, empty when dense), targets
        ``Y`` (encoded, 2-D, compute dtype) and sample weights ``sw``; every
        array is a read-only view.
    sparse : bool
    n_features : int
    """

    arrays: DataArrays
    sparse: bool
    n_features: int

    @classmethod
    def build(cls, X, Y, sw):
        """Wrap validated ``X`` (dense or CSR, compute dtype), ``Y`` and ``sw``.

        Every array is passed as a read-only view: Numba compiles a separate
        specialisation for read-only input (``np.load(mmap_mode="r")``), so one
        type for all input means one compiled training kernel, and the kernels
        never write their input.
        """
        dtype = Y.dtype
        if sp.issparse(X):
            data, indices, indptr = as_csr_arrays(X.tocsr())
            dense = np.empty((0, X.shape[1]), dtype=dtype)
            arrays = (dense, data, indices, indptr)
        else:
            empty_i = np.empty(0, dtype=np.int64)
            arrays = (X, np.empty(0, dtype=dtype), empty_i, empty_i)
        return cls(DataArrays(*map(_read_only, (*arrays, Y, sw))), sp.issparse(X),
                   int(X.shape[1]))

    @property
    def n_samples(self):
        return self.arrays.Y.shape[0]

    @property
    def Y(self):
        return self.arrays.Y

    @property
    def sw(self):
        return self.arrays.sw

    def taken(self, order, buffers=None):
        """The rows ``order`` of the input, targets and weights, copied in that
        order: ``X[order]``, ``Y[order]``, ``sw[order]``.

        Parameters
        ----------
        order : ndarray of int64
            Valid row indices (not checked).
        buffers : tuple of ndarray, optional
            The ``(X, Y, sw)`` buffers an earlier call returned. When they have
            ``len(order)`` rows they are filled in place, so a new epoch's
            permutation allocates nothing.

        Returns
        -------
        data : TrainData
            Dense, its arrays read-only views of the buffers (as :meth:`build`).
        buffers : tuple of ndarray
        """
        if self.sparse:
            raise ValueError("taken() copies dense rows; sparse input is gathered per batch")
        a = self.arrays
        n = order.shape[0]
        if buffers is None or buffers[0].shape != (n, self.n_features) \
                or buffers[1].shape != (n, a.Y.shape[1]):
            buffers = (np.empty((n, self.n_features), dtype=a.X.dtype),
                       np.empty((n, a.Y.shape[1]), dtype=a.Y.dtype),
                       np.empty(n, dtype=a.sw.dtype))
        X, Y, sw = buffers
        # mode "raise" (the default) would copy through a temporary
        np.take(a.X, order, axis=0, out=X, mode="clip")
        np.take(a.Y, order, axis=0, out=Y, mode="clip")
        np.take(a.sw, order, out=sw, mode="clip")
        arrays = a._replace(X=_read_only(X), Y=_read_only(Y), sw=_read_only(sw))
        return TrainData(arrays, False, self.n_features), buffers

    def rows(self, idx):
        """Rows ``idx`` of the input, as a dense array or a CSR matrix (for
        evaluating a validation split)."""
        a = self.arrays
        if self.sparse:
            X = sp.csr_matrix((a.data, a.indices, a.indptr),
                              shape=(a.indptr.shape[0] - 1, self.n_features))
            return X[idx]
        return a.X[idx]
