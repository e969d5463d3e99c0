"""A high-dimensional product of logistic densities in a fast orthonormal basis."""

from __future__ import annotations

import numpy as np

from invlin._validation import positive_int, require_generator
from invlin.priors._logistic import logistic_curvature, logistic_logpdf, logistic_score
from invlin.priors._transform import TransformProduct
from invlin.priors.base import ProductStructure
from invlin.priors.logistic_product import LogisticProduct


class TransformLogisticProduct(TransformProduct):
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
        self._set_scales(scales, basis)

    def __repr__(self) -> str:
        return f"TransformLogisticProduct(basis={self._basis!r}, s_0={self._scales[0]:.4g})"

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
        j, _ = self._basis_vector(v)  # symmetric: the sign does not matter
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
