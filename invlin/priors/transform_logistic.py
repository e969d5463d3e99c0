"""A high-dimensional product of logistic densities in a fast orthonormal basis."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array, positive_int, positive_scalar, require_generator
from invlin.priors._logistic import logistic_curvature, logistic_logpdf, logistic_score
from invlin.priors.base import Prior, ProductStructure
from invlin.priors.logistic_product import LogisticProduct


class TransformLogisticProduct(Prior):
    r"""Independent logistic coefficients c = V^T x with scales s_j, V a fast transform.

    Parameters
    ----------
    scales : array_like, shape (n,)
        Logistic scales s_j > 0 of the coefficients, in the basis order.
    basis : invlin.operators.OrthonormalBasis
        The basis V (e.g. ``DCTBasis(n)``); never formed as a matrix except by the dense
        methods below.

    Notes
    -----
    .. math::

        p(x) = \prod_j \ell(c_j; s_j),\quad c = V^T x,\quad
        \ell(c; s) = \frac{e^{-c/s}}{s(1 + e^{-c/s})^2},

    with (log l)'(c) = -tanh(c / (2s)) / s and (log l)''(c) = -sech^2(c / (2s)) / (2 s^2) < 0:
    smooth, strictly log-concave, symmetric, mean and mode 0, Var c_j = pi^2 s_j^2 / 3. The
    coefficient functions (``coefficient_logpdf``, ``coefficient_score``,
    ``coefficient_curvature``) act on coefficient arrays of shape (N, n) and are what the
    componentwise estimators (:mod:`invlin.estimators.componentwise`) use. ``logpdf``, ``score``
    and ``sample`` cost one transform per point. ``hessian`` and ``covariance`` return dense
    n x n arrays (O(n^2) memory): for small n and checks only. The poles of
    tanh(c / (2s)) lie at c = i pi s (2k + 1), so each coefficient's log-density is analytic in the
    strip |Im c| < pi s_j (used by the quadrature of the posterior mean).
    """

    def __init__(self, scales, basis):
        from invlin.operators import OrthonormalBasis  # deferred: operators import the priors

        if not isinstance(basis, OrthonormalBasis):
            raise TypeError(
                f"basis must be an invlin.operators.OrthonormalBasis, got {type(basis).__name__}"
            )
        scales = as_float_array(scales, "scales", ndim=1)
        if scales.shape[0] != basis.dim:
            raise ValueError(f"scales must have length basis.dim = {basis.dim}, got "
                             f"{scales.shape[0]}")
        if np.any(scales <= 0):
            raise ValueError("scales must be > 0")
        self.dim = basis.dim
        self._scales = scales
        self._basis = basis

    @classmethod
    def power_law(cls, basis, exponent: float, scale: float = 1.0) -> "TransformLogisticProduct":
        """Scales s_j = scale * (1 + j)^(-exponent), j = 0, ..., n - 1 (natural-signal decay).

        Parameters
        ----------
        basis : invlin.operators.OrthonormalBasis
        exponent : float
            Decay exponent alpha >= 0.
        scale : float, optional
            s_0 > 0.
        """
        exponent = float(exponent)
        if not np.isfinite(exponent) or exponent < 0:
            raise ValueError(f"exponent must be finite and >= 0, got {exponent}")
        scale = positive_scalar(scale, "scale")
        return cls(scale * (1.0 + np.arange(basis.dim)) ** (-exponent), basis)

    def __repr__(self) -> str:
        return f"TransformLogisticProduct(basis={self._basis!r}, s_0={self._scales[0]:.4g})"

    @property
    def scales(self) -> np.ndarray:
        """Logistic scales s_j, shape ``(n,)`` (a copy)."""
        return self._scales.copy()

    @property
    def basis(self):
        """The basis V (an :class:`~invlin.operators.OrthonormalBasis`)."""
        return self._basis

    # -- coefficient functions (arrays (N, n) of coefficients c = V^T x) -----------------------
    def coefficient_logpdf(self, c) -> np.ndarray:
        """log l(c_ij; s_j) (see :func:`invlin.priors._logistic.logistic_logpdf`)."""
        return logistic_logpdf(c, self._scales)

    def coefficient_score(self, c) -> np.ndarray:
        """(log l)'(c_ij) = -tanh(c / (2 s_j)) / s_j."""
        return logistic_score(c, self._scales)

    def coefficient_curvature(self, c) -> np.ndarray:
        """(log l)''(c_ij) = -sech^2(c / (2 s_j)) / (2 s_j^2)."""
        return logistic_curvature(c, self._scales)

    # -- the Prior interface ------------------------------------------------------------------
    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        values = self.coefficient_logpdf(self._basis.forward(x)).sum(axis=1)
        return self._shape_result(values, single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        score = self._basis.adjoint(self.coefficient_score(self._basis.forward(x)))
        return self._shape_result(score, single)

    def hessian(self, x) -> np.ndarray:
        """Dense Hessians V diag((log l)''(c)) V^T, shape (N, n, n): small n only."""
        x, single = self._points(x)
        curvature = self.coefficient_curvature(self._basis.forward(x))
        V = self._basis.matrix()
        return self._shape_result(np.einsum("ij,nj,kj->nik", V, curvature, V), single)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        return self._basis.adjoint(rng.logistic(0.0, self._scales, size=(n_samples, self.dim)))

    def marginal(self, v) -> LogisticProduct:
        """The law of <x, v> for v = +-v_j (logistic with scale s_j); otherwise NotImplementedError.

        v is recognised as a basis vector when its coefficients other than the largest vanish
        to 1e-12 (the tolerance of :meth:`LogisticProduct.marginal`).
        """
        v = as_float_array(v, "v", ndim=1)
        if v.shape[0] != self.dim:
            raise ValueError(f"v must have length {self.dim}, got {v.shape[0]}")
        overlaps = self._basis.forward(v)
        j = int(np.argmax(np.abs(overlaps)))
        others = np.delete(overlaps, j)
        if abs(abs(overlaps[j]) - 1.0) > 1e-12 or (others.size and np.max(np.abs(others)) > 1e-12):
            raise NotImplementedError(
                "the marginal of a TransformLogisticProduct along v has a closed form only for "
                "v = +-v_j (a unit basis vector)"
            )
        return LogisticProduct([self._scales[j]])

    @property
    def is_log_concave(self) -> bool:
        return True

    @property
    def mean(self) -> np.ndarray:
        return np.zeros(self.dim)

    @property
    def covariance(self) -> np.ndarray:
        """Dense V diag(pi^2 s_j^2 / 3) V^T, shape (n, n): small n only."""
        V = self._basis.matrix()
        return (V * (np.pi**2 * self._scales**2 / 3.0)) @ V.T

    def mode_candidates(self) -> np.ndarray:
        return np.zeros((1, self.dim))

    # -- capabilities -------------------------------------------------------------------------
    def product_structure(self) -> ProductStructure:
        """The basis V (a fast transform) and the logistic laws of the coefficients c_j."""
        factors = tuple(LogisticProduct([s]) for s in self._scales)
        return ProductStructure(self._basis, factors)
