"""Orthonormal bases applied as fast transforms, and the operators diagonal in them.

A basis V (columns v_j) is used through :class:`OrthonormalBasis`: ``forward(x) = V^T x`` (the
coefficients) and ``adjoint(t) = V t``, on the last axis of ``(N, n)`` arrays. A dense matrix
(:class:`DenseBasis`) costs O(n^2) per point; the DCT-II (:class:`DCTBasis`) costs
O(n log n) and never forms V.
"""

from invlin.operators.basis import DenseBasis, OrthonormalBasis, as_basis
from invlin.operators.blur import binomial_blur_spectrum
from invlin.operators.dct import DCTBasis
from invlin.operators.dottest import dottest

__all__ = ["DCTBasis", "DenseBasis", "OrthonormalBasis", "as_basis", "binomial_blur_spectrum",
           "dottest"]
