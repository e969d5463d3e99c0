"""The Gaussian prior N(mean, cov)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import ndtr

from invlin._validation import as_float_array, positive_int, require_generator
from invlin._linalg import as_spd_matrix, as_unit_vector
from invlin.priors.base import GaussianComponents, Prior


class Gaussian(Prior):
    """Multivariate normal prior N(mu, Sigma).

    Parameters
    ----------
    mean : array_like, shape (n,)
        The mean mu.
    cov : array_like, shape (n, n)
        The covariance Sigma, symmetric positive definite.

    Notes
    -----
    .. math::

        \\log p(x) = -\\tfrac12 (x-\\mu)^T \\Sigma^{-1} (x-\\mu)
                     - \\tfrac12 \\log\\det(2\\pi\\Sigma),\\qquad
        \\nabla \\log p(x) = -\\Sigma^{-1}(x-\\mu),\\qquad
        \\nabla^2 \\log p = -\\Sigma^{-1}.

    Solves use the Cholesky factor L (Sigma = L L^T). The marginal of <x, v> is
    N(<mu, v>, v^T Sigma v).
    """

    def __init__(self, mean, cov):
        mean = as_float_array(mean, "mean", ndim=1)
        if mean.shape[0] < 1:
            raise ValueError("mean must have length >= 1")
        self.dim = mean.shape[0]
        self._mean = mean
        self._cov, self._chol = as_spd_matrix(cov, "cov", self.dim)
        identity = np.eye(self.dim)
        self._chol_inv = solve_triangular(self._chol, identity, lower=True)
        self._precision = self._chol_inv.T @ self._chol_inv
        self._log_norm = -np.sum(np.log(np.diag(self._chol))) - 0.5 * self.dim * np.log(2 * np.pi)

    def __repr__(self) -> str:
        return f"Gaussian(mean={self._mean.tolist()}, cov={self._cov.tolist()})"

    @property
    def precision(self) -> np.ndarray:
        """The precision matrix Sigma^{-1}, shape ``(n, n)``."""
        return self._precision.copy()

    @property
    def cholesky(self) -> np.ndarray:
        """Lower Cholesky factor L of the covariance (Sigma = L L^T)."""
        return self._chol.copy()

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        white = (x - self._mean) @ self._chol_inv.T
        return self._shape_result(self._log_norm - 0.5 * np.sum(white**2, axis=1), single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        return self._shape_result(-(x - self._mean) @ self._precision, single)

    def hessian(self, x) -> np.ndarray:
        x, single = self._points(x)
        hess = np.broadcast_to(-self._precision, (x.shape[0], self.dim, self.dim)).copy()
        return self._shape_result(hess, single)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        # 1-D: l = log N(t; mu, v), l' = -(t - mu)/v, l'' = -1/v, l''' = 0.
        mean, variance = self._mean[0], self._cov[0, 0]
        ones = np.ones_like(t)
        return np.stack([
            self.logpdf(t[:, None]),
            -(t - mean) / variance,
            -ones / variance,
            0.0 * ones,
        ])

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        noise = rng.standard_normal((n_samples, self.dim))
        return self._mean + noise @ self._chol.T

    def marginal(self, v) -> "Gaussian":
        v = as_unit_vector(v, "v", self.dim)
        return Gaussian([self._mean @ v], [[v @ self._cov @ v]])

    @property
    def is_log_concave(self) -> bool:
        return True

    @property
    def mean(self) -> np.ndarray:
        return self._mean.copy()

    @property
    def covariance(self) -> np.ndarray:
        return self._cov.copy()

    def mode_candidates(self) -> np.ndarray:
        return self._mean.reshape(1, self.dim).copy()

    # -- capabilities -------------------------------------------------------------------------
    def gaussian_components(self) -> GaussianComponents:
        return GaussianComponents(np.ones(1), self._mean[None].copy(), self._cov[None].copy())

    def cdf(self, t) -> np.ndarray:
        self._require_1d("cdf")
        return ndtr((np.asarray(t, dtype=np.float64) - self._mean[0]) / self._chol[0, 0])

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float]:
        # Phi(-u) for the upper tail: no cancellation in 1 - Phi(u).
        self._require_1d("tail_masses")
        std = self._chol[0, 0]
        return (float(ndtr((lo - self._mean[0]) / std)),
                float(ndtr(-(hi - self._mean[0]) / std)))

    def analytic_strip(self) -> float:
        return np.inf  # log p is a polynomial: entire

    def max_log_density(self) -> float:
        return float(self._log_norm)
