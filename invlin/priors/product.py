"""A product prior in an orthonormal basis from any 1-D marginals."""

from __future__ import annotations

import numpy as np

from invlin._validation import positive_int, require_generator
from invlin._linalg import ORTHONORMAL_TOL, as_orthonormal_basis, as_unit_vector
from invlin.priors.base import Prior, ProductStructure


class ProductPrior(Prior):
    """Independent coefficients c_j = <x, b_j> with any 1-D laws p_j.

    Parameters
    ----------
    factors : sequence of Prior
        The 1-D laws p_j of the coefficients (each with ``dim == 1``), one per direction.
    basis : array_like, shape (n, n), or invlin.operators.OrthonormalBasis, optional
        The directions b_j (the columns of an orthonormal matrix, or a fast transform with
        ``forward(x)`` = c); default: the identity.

    Notes
    -----
    .. math::

        p(x) = \\prod_j p_j(c_j),\\quad c = B^T x,\\qquad
        \\nabla\\log p = B\\,(l_j'(c_j))_j,\\qquad
        \\nabla^2 \\log p = B \\operatorname{diag}(l_j''(c_j)) B^T.

    It declares its ``product_structure``, so :func:`~invlin.estimators.posterior_mean` and
    :func:`~invlin.estimators.map_estimate` solve a problem diagonal in the basis exactly, one
    1-D problem per component (each with the 1-D route its factor's capabilities allow). The
    mean is B (E c_j)_j, the covariance B diag(Var c_j) B^T (dense: small n). The law of
    <x, v> is p_j (reflected if v = -b_j) for a basis vector v; along other directions it is a
    convolution without closed form (``NotImplementedError``). It is log-concave when every
    factor is, not when some factor is not, and unknown otherwise.
    """

    def __init__(self, factors, basis=None):
        factors = tuple(factors)
        if not factors:
            raise ValueError("factors must hold at least one 1-D prior")
        for j, factor in enumerate(factors):
            if not isinstance(factor, Prior) or factor.dim != 1:
                raise TypeError(f"factors[{j}] must be a 1-D invlin.priors.Prior, got "
                                f"{type(factor).__name__}")
        self.dim = len(factors)
        self._factors = factors
        if basis is None:
            self._basis = np.eye(self.dim)
        elif hasattr(basis, "forward") and hasattr(basis, "adjoint"):
            if basis.dim != self.dim:
                raise ValueError(f"basis.dim must be {self.dim}, got {basis.dim}")
            self._basis = basis
        else:
            self._basis = as_orthonormal_basis(basis, "basis", self.dim)

    def __repr__(self) -> str:
        return f"ProductPrior(factors={list(self._factors)!r})"

    @property
    def factors(self) -> tuple:
        """The 1-D laws of the coefficients."""
        return self._factors

    @property
    def basis(self):
        """The basis (a dense matrix with columns b_j, or an OrthonormalBasis)."""
        return self._basis

    def _dense(self) -> bool:
        return isinstance(self._basis, np.ndarray)

    def _forward(self, x):
        return x @ self._basis if self._dense() else self._basis.forward(x)

    def _adjoint(self, c):
        return c @ self._basis.T if self._dense() else self._basis.adjoint(c)

    def _matrix(self):
        return self._basis if self._dense() else self._basis.matrix()

    def _per_factor(self, c, method):
        """method(factor, column) for every factor, stacked as columns (N, n)."""
        return np.stack([method(f, c[:, j]) for j, f in enumerate(self._factors)], axis=1)

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        c = self._forward(x)
        values = self._per_factor(c, lambda f, t: f.logpdf(t[:, None])).sum(axis=1)
        return self._shape_result(values, single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        c = self._forward(x)
        return self._shape_result(
            self._adjoint(self._per_factor(c, lambda f, t: f.score(t[:, None])[:, 0])), single)

    def hessian(self, x) -> np.ndarray:
        x, single = self._points(x)
        c = self._forward(x)
        curvature = self._per_factor(c, lambda f, t: f.hessian(t[:, None])[:, 0, 0])
        B = self._matrix()
        return self._shape_result(np.einsum("ij,nj,kj->nik", B, curvature, B), single)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        # 1-D: c = b x with b = +-1, so d^k/dx^k l(b x) = b^k l^(k)(b x)
        factor, sign = self._one_factor()
        return factor.log_density_derivatives(sign * t) * (sign ** np.arange(4))[:, None]

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        c = np.concatenate([f.sample(n_samples, rng) for f in self._factors], axis=1)
        return self._adjoint(c)

    def marginal(self, v) -> Prior:
        v = as_unit_vector(v, "v", self.dim)
        overlaps = self._forward(v[None])[0]
        j = int(np.argmax(np.abs(overlaps)))
        others = np.delete(overlaps, j)
        if others.size and np.max(np.abs(others)) > ORTHONORMAL_TOL:
            raise NotImplementedError(
                "the marginal of a ProductPrior along v has a closed form only for v = +-b_j "
                f"(a basis vector); max |<v, b_i>| over the other directions is "
                f"{np.max(np.abs(others)):.3e}")
        return self._factors[j].marginal(np.array([np.sign(overlaps[j])]))

    @property
    def is_log_concave(self) -> bool | None:
        flags = [f.is_log_concave for f in self._factors]
        if all(flag is True for flag in flags):
            return True
        if any(flag is False for flag in flags):
            return False
        return None

    @property
    def mean(self) -> np.ndarray:
        return self._adjoint(np.array([[f.mean[0] for f in self._factors]]))[0]

    @property
    def covariance(self) -> np.ndarray:
        B = self._matrix()
        variances = np.array([f.covariance[0, 0] for f in self._factors])
        return (B * variances) @ B.T

    def mode_candidates(self) -> np.ndarray:
        """Each factor's best candidate, and each other candidate of one factor at a time."""
        best = np.array([f.mode_candidates()[0, 0] for f in self._factors])
        points = [best]
        for j, f in enumerate(self._factors):
            for candidate in f.mode_candidates()[1:, 0]:
                point = best.copy()
                point[j] = candidate
                points.append(point)
        return self._adjoint(np.stack(points))

    # -- capabilities --------------------------------------------------------------------------
    def product_structure(self) -> ProductStructure:
        return ProductStructure(self._basis, self._factors)

    def _one_factor(self):
        """(factor, sign) of a 1-D product: x = sign * c."""
        self._require_1d("this capability")
        return self._factors[0], float(np.sign(self._matrix()[0, 0]))

    def cdf(self, t):
        factor, sign = self._one_factor()
        return factor.cdf(t) if sign > 0 else None  # reflected: via tail_masses only

    def tail_masses(self, lo, hi):
        factor, sign = self._one_factor()
        if sign > 0:
            return factor.tail_masses(lo, hi)
        masses = factor.tail_masses(-hi, -lo)
        return None if masses is None else (masses[1], masses[0])

    def kinks(self):
        factor, sign = self._one_factor()
        return sign * np.asarray(factor.kinks(), dtype=float)

    def analytic_strip(self):
        return self._one_factor()[0].analytic_strip()

    def resolution(self):
        return self._one_factor()[0].resolution()

    def max_log_density(self):
        return self._one_factor()[0].max_log_density()
