"""Linear inverse problems y = A x + eta with a prior on x and Gaussian noise."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from invlin._validation import as_float_array, positive_int, positive_scalar, require_generator
from invlin.errors import NotInjectiveError
from invlin.operators import OrthonormalBasis
from invlin._linalg import as_orthonormal_basis
from invlin.priors.base import Prior


class Samples(NamedTuple):
    """Joint samples of a linear inverse problem.

    Attributes
    ----------
    x : ndarray, shape (N, n)
        Draws from the prior.
    y : ndarray, shape (N, m)
        Measurements y = A x + eta, eta ~ N(0, delta^2 I_m).
    z : ndarray, shape (N, n)
        Normal-equation data z = A^T y.
    """

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray


class _GaussianNoiseProblem:
    """What the two problem classes share: y = A x + eta with eta ~ N(0, delta^2 I), x ~ prior,
    and A's singular values; subclasses supply A's action (:meth:`_forward`, :meth:`_adjoint`)
    and set ``_sigma`` (length n)."""

    def _set_noise_and_prior(self, delta, prior, n: int, columns: str) -> None:
        """Validate and store delta and the prior (``prior.dim`` must be n, ``columns`` names
        n in the message)."""
        self._delta = positive_scalar(delta, "delta")
        if not isinstance(prior, Prior):
            raise TypeError(f"prior must be an invlin.priors.Prior, got {type(prior).__name__}")
        if prior.dim != n:
            raise ValueError(f"prior.dim must equal {columns} ({n}), got {prior.dim}")
        self._prior = prior

    @property
    def delta(self) -> float:
        """The noise standard deviation."""
        return self._delta

    @property
    def prior(self) -> Prior:
        """The prior of x."""
        return self._prior

    @property
    def is_injective(self) -> bool:
        """Whether A has full column rank (all n singular values nonzero)."""
        return bool(np.all(self._sigma > 0))

    def require_injective(self) -> None:
        """Raise :class:`invlin.errors.NotInjectiveError` unless A is injective."""
        if not self.is_injective:
            rank = int(np.count_nonzero(self._sigma))
            raise NotInjectiveError(
                f"A must be injective (full column rank {self.dim}) here, but its numerical "
                f"rank is {rank}"
            )

    def sample(self, n_samples: int, rng: np.random.Generator) -> Samples:
        """Draw x ~ prior, y = A x + eta and z = A^T y with the Generator ``rng``.

        The prior draws come first, then the noise, both from ``rng``.
        """
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        x = self._prior.sample(n_samples, rng)
        y = self._forward(x) + self._delta * rng.standard_normal((n_samples, self.m))
        return Samples(x=x, y=y, z=self._adjoint(y))


class LinearInverseProblem(_GaussianNoiseProblem):
    """The linear inverse problem y = A x + eta, x ~ prior, eta ~ N(0, delta^2 I_m).

    Parameters
    ----------
    A : array_like, shape (m, n)
        Forward operator (finite entries). Tall (m > n), square and wide (m < n, then not
        injective) operators are accepted; methods that need injectivity say so.
    delta : float
        Noise standard deviation, finite and > 0.
    prior : invlin.priors.Prior
        Prior of x, with ``prior.dim == n``.

    Notes
    -----
    The thin SVD A = sum_j sigma_j u_j v_j^T is computed once. ``singular_values`` has length n
    (descending); singular values below the numerical-rank threshold
    ``sigma_max * max(m, n) * eps`` (NumPy's ``matrix_rank`` rule) are stored as exact zeros, and
    for m < n the missing ones are zeros with zero left vectors u_j. A is injective iff all n
    singular values are nonzero; then the normal operator A^T A = V diag(sigma^2) V^T is
    invertible and (A^T A)^{-1} is the metric of the "z-weighted" losses.
    """

    def __init__(self, A, delta, prior):
        A = as_float_array(A, "A", ndim=2)
        if A.shape[0] < 1 or A.shape[1] < 1:
            raise ValueError(f"A must have at least one row and one column, got shape {A.shape}")
        m, n = A.shape
        self._set_noise_and_prior(delta, prior, n, "the number of columns of A")
        self._A = A
        U, s, Vt = np.linalg.svd(A, full_matrices=True)
        rank_tol = (s[0] if s.size else 0.0) * max(m, n) * np.finfo(np.float64).eps
        k = min(m, n)
        sigma = np.zeros(n)
        sigma[:k] = np.where(s > rank_tol, s, 0.0)
        left = np.zeros((m, n))
        left[:, :k] = U[:, :k]
        self._sigma = sigma
        self._right = np.ascontiguousarray(Vt.T)
        self._left = left

    @classmethod
    def diagonal(cls, singular_values, delta, prior, basis=None) -> "LinearInverseProblem":
        """A problem diagonal in an orthonormal basis: A = V diag(sigma) V^T.

        Parameters
        ----------
        singular_values : array_like, shape (n,)
            The diagonal sigma_j >= 0 (finite).
        delta : float
            Noise standard deviation > 0.
        prior : invlin.priors.Prior
            Prior with ``prior.dim == n``.
        basis : array_like, shape (n, n), optional
            Orthonormal V (columns v_j); default the identity, giving A = diag(sigma).
        """
        sigma = as_float_array(singular_values, "singular_values", ndim=1)
        if sigma.shape[0] < 1:
            raise ValueError("singular_values must have length >= 1")
        if np.any(sigma < 0):
            raise ValueError(f"singular_values must be >= 0, got {sigma.tolist()}")
        n = sigma.shape[0]
        V = np.eye(n) if basis is None else as_orthonormal_basis(basis, "basis", n)
        return cls((V * sigma) @ V.T, delta, prior)

    def __repr__(self) -> str:
        return (
            f"LinearInverseProblem(m={self.m}, n={self.dim}, delta={self._delta}, "
            f"prior={self._prior!r})"
        )

    # -- data ---------------------------------------------------------------------------------
    @property
    def A(self) -> np.ndarray:
        """The forward operator, shape ``(m, n)`` (a copy)."""
        return self._A.copy()

    @property
    def dim(self) -> int:
        """The dimension n of x."""
        return self._A.shape[1]

    @property
    def m(self) -> int:
        """The dimension m of y."""
        return self._A.shape[0]

    # -- spectral quantities ------------------------------------------------------------------
    @property
    def singular_values(self) -> np.ndarray:
        """Singular values, shape ``(n,)``, descending, zeros for rank deficiency."""
        return self._sigma.copy()

    @property
    def right_singular_vectors(self) -> np.ndarray:
        """Right singular vectors v_j as columns, shape ``(n, n)``."""
        return self._right.copy()

    @property
    def left_singular_vectors(self) -> np.ndarray:
        """Left singular vectors u_j as columns, shape ``(m, n)`` (zero columns where j >= m)."""
        return self._left.copy()

    @property
    def normal_operator(self) -> np.ndarray:
        """A^T A, shape ``(n, n)``."""
        return self._A.T @ self._A

    def normal_operator_inverse(self) -> np.ndarray:
        """(A^T A)^{-1} = V diag(sigma^-2) V^T (requires an injective A)."""
        self.require_injective()
        return (self._right / self._sigma**2) @ self._right.T

    @property
    def condition_number(self) -> float:
        """sigma_max / sigma_min (``inf`` if A is not injective)."""
        if not self.is_injective:
            return float("inf")
        return float(self._sigma[0] / self._sigma[-1])

    def is_diagonal_in(self, basis) -> bool:
        """Whether A = B diag(d) B^T for the orthonormal ``basis`` B (square A only).

        The off-diagonal part of B^T A B must vanish up to rounding, 1e3 * n * eps * |A|_2
        (forming B^T A B costs O(n eps |A|_2) in floating point).
        """
        if self.m != self.dim:
            return False
        basis = as_orthonormal_basis(basis, "basis", self.dim)
        coupled = basis.T @ self._A @ basis
        off_diagonal = coupled - np.diag(np.diag(coupled))
        tol = 1e3 * self.dim * np.finfo(np.float64).eps * max(self._sigma[0], np.finfo(float).tiny)
        return bool(np.max(np.abs(off_diagonal)) <= tol)

    # -- the operator's action (sampling) -----------------------------------------------------
    def _forward(self, x: np.ndarray) -> np.ndarray:
        return x @ self._A.T

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return y @ self._A


class TransformDiagonalProblem(_GaussianNoiseProblem):
    r"""The problem y = A x + eta with A = V diag(sigma) V^T diagonal in a fast orthonormal basis.

    A sibling of :class:`LinearInverseProblem` that never forms A or V: every product with A
    goes through the basis transform (O(n log n) per point for a :class:`~invlin.operators.DCTBasis`).

    Parameters
    ----------
    basis : invlin.operators.OrthonormalBasis
        The basis V (e.g. ``DCTBasis(n)``).
    singular_values : array_like, shape (n,)
        sigma_j >= 0 in the basis order (not sorted), finite.
    delta : float
        Noise standard deviation, finite and > 0.
    prior : invlin.priors.Prior
        Prior of x with ``prior.dim == n``.

    Notes
    -----
    A is symmetric positive semi-definite, so its left and right singular vectors coincide
    (both v_j) and y-form losses apply. With coefficients c = V^T x the measurement has
    coefficients V^T y = sigma * c + delta V^T eta, where V^T eta ~ N(0, I) since V is
    orthonormal: the problem is n independent scalar problems. The normal-equation data is
    z = A^T y = V (sigma * V^T y). Operations that need A as a matrix (the z-weighted metric
    (A^T A)^{-1} as an n x n array, Jacobian-based checks) are available only through
    :meth:`dense_operator`, meant for small n.
    """

    def __init__(self, basis, singular_values, delta, prior):
        if not isinstance(basis, OrthonormalBasis):
            raise TypeError(
                f"basis must be an invlin.operators.OrthonormalBasis, got {type(basis).__name__}"
            )
        sigma = as_float_array(singular_values, "singular_values", ndim=1)
        if sigma.shape[0] != basis.dim:
            raise ValueError(
                f"singular_values must have length basis.dim = {basis.dim}, got {sigma.shape[0]}"
            )
        if np.any(sigma < 0):
            raise ValueError("singular_values must be >= 0")
        self._set_noise_and_prior(delta, prior, basis.dim, "basis.dim")
        self._basis = basis
        self._sigma = sigma

    def __repr__(self) -> str:
        return (f"TransformDiagonalProblem(basis={self._basis!r}, delta={self._delta}, "
                f"prior={self._prior!r})")

    # -- data ---------------------------------------------------------------------------------
    @property
    def basis(self):
        """The orthonormal basis V (an :class:`~invlin.operators.OrthonormalBasis`)."""
        return self._basis

    @property
    def dim(self) -> int:
        """The dimension n of x."""
        return self._basis.dim

    @property
    def m(self) -> int:
        """The dimension of y (= n: A is square)."""
        return self._basis.dim

    @property
    def singular_values(self) -> np.ndarray:
        """sigma_j in the basis order, shape ``(n,)`` (a copy)."""
        return self._sigma.copy()

    # -- the operator -------------------------------------------------------------------------
    @property
    def A(self):
        """Not formed (n x n); raises with the alternatives, so dense-only code fails clearly."""
        raise NotImplementedError(
            "a TransformDiagonalProblem never forms A as an n x n matrix: use apply(x), the "
            "estimators componentwise_map / componentwise_posterior_mean, or dense_operator() "
            "for small n"
        )

    def apply(self, x) -> np.ndarray:
        """A x = V (sigma * V^T x) for points of shape ``(N, n)`` (A is symmetric: also A^T x)."""
        return self._basis.adjoint(self._sigma * self._basis.forward(x))

    def dense_operator(self) -> np.ndarray:
        """A as an ``(n, n)`` array: O(n^2) memory, for small n and checks only."""
        V = self._basis.matrix()
        return (V * self._sigma) @ V.T

    def normal_operator_inverse(self):
        """Not available as a dense metric here (n x n); raises with the alternative."""
        raise NotImplementedError(
            "the z-weighted metric (A^T A)^{-1} is an n x n matrix that a TransformDiagonalProblem "
            "never forms; use form 'y' or 'z' (or LinearInverseProblem(problem.dense_operator(), "
            "...) for small n)"
        )

    # -- the operator's action (sampling: O(N n log n) for a fast transform) ---------------
    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.apply(x)

    _adjoint = _forward  # A is symmetric
