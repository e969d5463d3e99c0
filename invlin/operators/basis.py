"""The orthonormal-basis interface (forward = V^T, adjoint = V) and a dense basis."""

from __future__ import annotations

import abc
import numbers

import numpy as np

from invlin._validation import as_float_array, positive_int
from invlin._linalg import as_orthonormal_basis


class OrthonormalBasis(abc.ABC):
    """An orthonormal basis V of R^n (columns v_j), applied without necessarily forming V.

    Attributes
    ----------
    dim : int
        The dimension n.

    Notes
    -----
    ``forward(x)`` returns the coefficients t = V^T x and ``adjoint(t)`` returns V t, both on
    the last axis of arrays of shape ``(N, n)`` (or ``(n,)``). Orthonormality means
    ``adjoint(forward(x)) = x`` and ``|forward(x)| = |x|``; :func:`invlin.operators.dottest`
    checks both and the adjoint identity <V^T x, t> = <x, V t>.
    """

    dim: int

    def _check(self, value, name: str) -> np.ndarray:
        array = np.asarray(value, dtype=np.float64)
        if array.ndim not in (1, 2) or array.shape[-1] != self.dim:
            raise ValueError(
                f"{name} must have shape (N, {self.dim}) or ({self.dim},), got {array.shape}"
            )
        return array

    @abc.abstractmethod
    def forward(self, x) -> np.ndarray:
        """Coefficients V^T x along the last axis (C-contiguous float64)."""

    @abc.abstractmethod
    def adjoint(self, t) -> np.ndarray:
        """Synthesis V t along the last axis (C-contiguous float64)."""

    def matrix(self) -> np.ndarray:
        """The dense matrix V, shape ``(n, n)``: O(n^2) memory, for small n and checks only."""
        return np.ascontiguousarray(self.adjoint(np.eye(self.dim)).T)

    @abc.abstractmethod
    def __eq__(self, other) -> bool:
        """Whether ``other`` is the same basis (same class and parameters)."""

    __hash__ = None


class DenseBasis(OrthonormalBasis):
    """A basis given as a dense orthonormal matrix (O(n^2) per point).

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        Orthonormal V (columns v_j), checked to 1e-10.
    """

    def __init__(self, matrix):
        matrix = as_float_array(matrix, "basis", ndim=2)
        self._matrix = as_orthonormal_basis(matrix, "basis", matrix.shape[1])
        self.dim = matrix.shape[1]

    def __repr__(self) -> str:
        return f"DenseBasis(dim={self.dim})"

    def forward(self, x) -> np.ndarray:
        return np.ascontiguousarray(self._check(x, "x") @ self._matrix)

    def adjoint(self, t) -> np.ndarray:
        return np.ascontiguousarray(self._check(t, "t") @ self._matrix.T)

    def matrix(self) -> np.ndarray:
        return self._matrix.copy()

    def __eq__(self, other) -> bool:
        return isinstance(other, DenseBasis) and np.array_equal(self._matrix, other._matrix)


def as_basis(value) -> OrthonormalBasis:
    """An :class:`OrthonormalBasis` from a basis object, an orthonormal matrix or an integer n.

    An integer n means the standard basis of R^n (a :class:`DenseBasis` of the identity).
    """
    if isinstance(value, OrthonormalBasis):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return DenseBasis(np.eye(positive_int(value, "basis")))
    return DenseBasis(value)
