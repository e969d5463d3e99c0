"""A high-dimensional product of Laplace densities in a fast orthonormal basis (sparsity prior)."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array, positive_int, positive_scalar, require_generator
from invlin.priors._laplace import laplace_map, laplace_posterior_mean
from invlin.priors._transform import TransformProduct
from invlin.priors.base import ProductStructure
from invlin.priors.laplace import Laplace


class TransformLaplaceProduct(TransformProduct):
    r"""Independent Laplace coefficients c = V^T x with locations mu_j and scales b_j.

    Parameters
    ----------
    scales : array_like, shape (n,)
        Laplace scales b_j > 0 of the coefficients, in the basis order.
    basis : invlin.operators.OrthonormalBasis
        The basis V (e.g. ``DCTBasis(n)``).
    locs : array_like, shape (n,), optional
        Locations mu_j (default 0).

    Notes
    -----
    :math:`p(x) = \prod_j \exp(-|c_j - \mu_j|/b_j)/(2 b_j)`, ``c = V^T x``: l1-sparsity in
    the basis V. For a :class:`~invlin.problem.TransformDiagonalProblem` in the same basis the
    posterior factorises, and each coefficient's PM and MAP (soft threshold) are the closed
    forms of :class:`~invlin.priors.Laplace`, vectorised over all components
    (``closed_form_posterior_mean``, ``closed_form_map``; components with singular value 0
    return the prior's centre mu_j, which is both their PM and their MAP). ``hessian`` and
    ``covariance`` are dense (small n only); ``logpdf``, ``score`` and ``sample`` cost one
    transform per point.
    """

    def __init__(self, scales, basis, locs=None):
        self._set_scales(scales, basis)
        locs = np.zeros(basis.dim) if locs is None else as_float_array(locs, "locs", ndim=1)
        if locs.shape != self._scales.shape:
            raise ValueError(f"locs must have length {basis.dim}, got {locs.shape[0]}")
        self._locs = locs

    def __repr__(self) -> str:
        return f"TransformLaplaceProduct(basis={self._basis!r}, b_0={self._scales[0]:.4g})"

    @property
    def locs(self) -> np.ndarray:
        """Locations mu_j, shape ``(n,)`` (a copy)."""
        return self._locs.copy()

    # -- coefficient functions (arrays (N, n) of coefficients c = V^T x) -----------------------
    def coefficient_logpdf(self, c) -> np.ndarray:
        """-|c_ij - mu_j|/b_j - log(2 b_j)."""
        return -np.abs(c - self._locs) / self._scales - np.log(2.0 * self._scales)

    def coefficient_score(self, c) -> np.ndarray:
        """-sign(c_ij - mu_j)/b_j (0 at the kink: the minimum-norm subgradient)."""
        return -np.sign(c - self._locs) / self._scales

    def coefficient_curvature(self, c) -> np.ndarray:
        """0 away from the kinks."""
        return np.zeros_like(np.asarray(c, dtype=np.float64))

    # -- the Prior interface ------------------------------------------------------------------
    def hessian(self, x) -> np.ndarray:
        """Zero away from the kinks, shape (N, n, n) (dense: small n only)."""
        x, single = self._points(x)
        return self._shape_result(np.zeros((x.shape[0], self.dim, self.dim)), single)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        return self._basis.adjoint(rng.laplace(self._locs, self._scales, size=(n_samples, self.dim)))

    def marginal(self, v) -> Laplace:
        """The law of <x, v> for v = +-v_j (Laplace(+-mu_j, b_j)); otherwise NotImplementedError.

        v counts as a basis vector when its other coefficients vanish to 1e-12 (rounding of an
        orthonormal transform).
        """
        j, sign = self._basis_vector(v)
        return Laplace(sign * self._locs[j], self._scales[j])

    @property
    def is_log_concave(self) -> bool:
        return True

    @property
    def mean(self) -> np.ndarray:
        return self._basis.adjoint(self._locs[None, :])[0]

    @property
    def covariance(self) -> np.ndarray:
        """Dense V diag(2 b_j^2) V^T, shape (n, n): small n only."""
        V = self._basis.matrix()
        return (V * (2.0 * self._scales**2)) @ V.T

    def mode_candidates(self) -> np.ndarray:
        return self.mean[None, :]

    # -- capabilities -------------------------------------------------------------------------
    def product_structure(self) -> ProductStructure:
        return ProductStructure(self._basis, tuple(Laplace(m, s) for m, s in zip(self._locs, self._scales)))

    def _per_component(self, estimate, a, delta, data):
        a = np.broadcast_to(as_float_array(a, "a", ndim=1), (self.dim,))
        if np.any(a < 0):
            raise ValueError("a (the singular values) must be >= 0")
        delta = positive_scalar(delta, "delta")
        data = np.asarray(data, dtype=np.float64)
        safe = np.where(a > 0, a, 1.0)
        values = estimate(data, self._locs, self._scales, safe, delta)
        return np.where(a > 0, values, self._locs)

    def closed_form_posterior_mean(self, a, delta, data) -> np.ndarray:
        """Per coefficient E[c_j | b_j], b_j = a_j c_j + delta e_j; data shape (N, n)."""
        return self._per_component(laplace_posterior_mean, a, delta, data)

    def closed_form_map(self, a, delta, data) -> np.ndarray:
        """Per coefficient the soft threshold mu_j + S_{tau_j}(b_j/a_j - mu_j)."""
        return self._per_component(laplace_map, a, delta, data)
