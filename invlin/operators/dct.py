"""The orthonormal DCT-II basis, applied in O(n log n) with scipy.fft."""

from __future__ import annotations

import numpy as np
import scipy.fft

from invlin._validation import positive_int
from invlin.operators.basis import OrthonormalBasis


class DCTBasis(OrthonormalBasis):
    r"""The DCT-II basis of R^n: ``forward`` is ``scipy.fft.dct(x, norm="ortho")``.

    Parameters
    ----------
    dim : int
        The dimension n.

    Notes
    -----
    The basis vectors are

    .. math:: v_j(i) = c_j \cos\Big(\frac{\pi j (2i + 1)}{2n}\Big),\qquad
              c_0 = \sqrt{1/n},\ c_j = \sqrt{2/n}\ (j \ge 1),

    ordered by frequency j = 0, ..., n - 1. They diagonalise every convolution with a symmetric
    kernel under reflective (half-sample symmetric) boundary conditions, e.g.
    :func:`invlin.operators.binomial_blur_spectrum`. ``forward`` is the orthonormal DCT-II and
    ``adjoint`` its inverse (the orthonormal DCT-III), each O(n log n) per point; V is never
    formed.
    """

    def __init__(self, dim: int):
        self.dim = positive_int(dim, "dim")

    def __repr__(self) -> str:
        return f"DCTBasis(dim={self.dim})"

    def forward(self, x):
        return np.ascontiguousarray(
            scipy.fft.dct(self._check(x, "x"), type=2, norm="ortho", axis=-1))

    def adjoint(self, t):
        return np.ascontiguousarray(
            scipy.fft.idct(self._check(t, "t"), type=2, norm="ortho", axis=-1))

    def __eq__(self, other) -> bool:
        return isinstance(other, DCTBasis) and other.dim == self.dim
