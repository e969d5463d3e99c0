"""The Gaussian-mixture prior sum_k w_k N(mu_k, Sigma_k)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import logsumexp, ndtr

from invlin._validation import as_float_array, positive_int, positive_scalar, require_generator
from invlin._linalg import as_spd_matrix, as_unit_vector
from invlin.priors._mixture_numba import mixture_draws
from invlin.priors.base import GaussianComponents, Prior

# Mixture weights given in decimal (e.g. 0.3, 0.7) sum to 1 within a few eps; 1e-12 accepts
# rounding and rejects weights that are not normalised.
WEIGHT_SUM_TOL = 1e-12


class GaussianMixture(Prior):
    """Gaussian-mixture prior with full covariances.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixture weights w_k >= 0 with sum 1 (within 1e-12).
    means : array_like, shape (K, n)
        Component means mu_k.
    covs : array_like, shape (K, n, n)
        Component covariances Sigma_k, each symmetric positive definite.

    Notes
    -----
    With component log-densities l_k(x) = log w_k + log N(x; mu_k, Sigma_k), responsibilities
    r_k = exp(l_k - logsumexp_j l_j) and component scores g_k = -Sigma_k^{-1}(x - mu_k):

    .. math::

        \\log p = \\operatorname{logsumexp}_k l_k,\\qquad
        \\nabla \\log p = \\sum_k r_k g_k,\\qquad
        \\nabla^2 \\log p = \\sum_k r_k (g_k g_k^T - \\Sigma_k^{-1})
                              - (\\nabla\\log p)(\\nabla\\log p)^T.

    The marginal of <x, v> is the 1-D mixture with weights w_k, means <mu_k, v> and variances
    v^T Sigma_k v. A mixture is not log-concave in general, so ``is_log_concave`` is ``None``
    unless it has a single component (then ``True``).
    """

    def __init__(self, weights, means, covs):
        weights = as_float_array(weights, "weights", ndim=1)
        if weights.shape[0] < 1:
            raise ValueError("weights must have length >= 1")
        if np.any(weights < 0):
            raise ValueError(f"weights must be >= 0, got {weights.tolist()}")
        if abs(weights.sum() - 1.0) > WEIGHT_SUM_TOL:
            raise ValueError(f"weights must sum to 1 (within 1e-12), got sum {weights.sum():.17g}")
        n_components = weights.shape[0]
        means = as_float_array(means, "means", ndim=2)
        if means.shape[0] != n_components or means.shape[1] < 1:
            raise ValueError(
                f"means must have shape ({n_components}, n) to match weights, got {means.shape}"
            )
        self.dim = means.shape[1]
        covs = as_float_array(covs, "covs", ndim=3)
        if covs.shape != (n_components, self.dim, self.dim):
            raise ValueError(
                f"covs must have shape ({n_components}, {self.dim}, {self.dim}), got {covs.shape}"
            )
        factors = [as_spd_matrix(c, f"covs[{k}]", self.dim) for k, c in enumerate(covs)]
        self._weights = weights
        # the labels' cumulative distribution, as rng.choice(n_components, p=weights) forms it
        cdf = np.cumsum(weights)
        self._label_cdf = cdf / cdf[-1]
        self._means = means
        self._covs = np.stack([f[0] for f in factors])
        self._chols = np.stack([f[1] for f in factors])
        identity = np.eye(self.dim)
        # Inverse Cholesky factors L_k^{-1}: |L_k^{-1}(x - mu_k)|^2 is the Mahalanobis distance.
        self._chol_invs = np.stack([solve_triangular(L, identity, lower=True) for L in self._chols])
        self._precisions = np.einsum("kji,kjl->kil", self._chol_invs, self._chol_invs)
        with np.errstate(divide="ignore"):
            log_weights = np.log(weights)
        self._log_norms = (
            log_weights
            - np.sum(np.log(np.diagonal(self._chols, axis1=1, axis2=2)), axis=1)
            - 0.5 * self.dim * np.log(2 * np.pi)
        )

    @classmethod
    def symmetric_bimodal(cls, center, std) -> "GaussianMixture":
        """The symmetric bimodal mixture 1/2 N(c, s^2 I) + 1/2 N(-c, s^2 I).

        This is the shape of the paper's 2-D toy prior (two well-separated modes).

        Parameters
        ----------
        center : array_like, shape (n,)
            The mode offset c (the two means are +c and -c).
        std : float
            The common isotropic standard deviation s > 0.
        """
        center = as_float_array(center, "center", ndim=1)
        std = positive_scalar(std, "std")
        dim = center.shape[0]
        cov = std**2 * np.eye(dim)
        return cls([0.5, 0.5], np.stack([center, -center]), np.stack([cov, cov]))

    def __repr__(self) -> str:
        return (
            f"GaussianMixture(weights={self._weights.tolist()}, means={self._means.tolist()}, "
            f"covs={self._covs.tolist()})"
        )

    @property
    def n_components(self) -> int:
        """Number of mixture components K."""
        return self._weights.shape[0]

    @property
    def weights(self) -> np.ndarray:
        """Mixture weights, shape ``(K,)``."""
        return self._weights.copy()

    @property
    def means(self) -> np.ndarray:
        """Component means, shape ``(K, n)``."""
        return self._means.copy()

    @property
    def covs(self) -> np.ndarray:
        """Component covariances, shape ``(K, n, n)``."""
        return self._covs.copy()

    def _component_log_densities(self, x: np.ndarray) -> np.ndarray:
        """Component log-densities l_k(x), shape (N, K)."""
        log_dens = np.empty((x.shape[0], self.n_components))
        for k in range(self.n_components):
            white = (x - self._means[k]) @ self._chol_invs[k].T
            log_dens[:, k] = self._log_norms[k] - 0.5 * np.sum(white**2, axis=1)
        return log_dens

    def _component_terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Component log-densities l_k(x) (N, K) and scores g_k(x) (N, K, n)."""
        scores = np.empty((x.shape[0], self.n_components, self.dim))
        for k in range(self.n_components):
            scores[:, k] = -(x - self._means[k]) @ self._precisions[k]
        return self._component_log_densities(x), scores

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        return self._shape_result(logsumexp(self._component_log_densities(x), axis=1), single)

    def responsibilities(self, x) -> np.ndarray:
        """Posterior component probabilities r_k(x), shape ``(N, K)``."""
        x, single = self._points(x)
        return self._shape_result(_softmax(self._component_log_densities(x)), single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        log_dens, scores = self._component_terms(x)
        resp = _softmax(log_dens)
        return self._shape_result(np.einsum("nk,nki->ni", resp, scores), single)

    def hessian(self, x) -> np.ndarray:
        x, single = self._points(x)
        log_dens, scores = self._component_terms(x)
        resp = _softmax(log_dens)
        score = np.einsum("nk,nki->ni", resp, scores)
        hess = np.einsum("nk,nki,nkj->nij", resp, scores, scores)
        hess -= np.einsum("nk,kij->nij", resp, self._precisions)
        hess -= score[:, :, None] * score[:, None, :]
        return self._shape_result(hess, single)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        # 1-D. With f = sum_k w_k N_k and the Hermite ratios N_k^(j)/N_k (g_k = -(t - mu_k)/v_k):
        # h1 = g_k, h2 = g_k^2 - 1/v_k, h3 = g_k^3 - 3 g_k/v_k, the moments m_j = f^(j)/f =
        # sum_k r_k h_j give l' = m1, l'' = m2 - m1^2, l''' = m3 - 3 m1 m2 + 2 m1^3.
        x = t[:, None]
        log_dens = self._component_log_densities(x)
        resp = _softmax(log_dens)
        variances = self._covs[:, 0, 0]
        g = -(t[:, None] - self._means[:, 0]) / variances
        m1 = np.sum(resp * g, axis=1)
        m2 = np.sum(resp * (g**2 - 1.0 / variances), axis=1)
        m3 = np.sum(resp * (g**3 - 3.0 * g / variances), axis=1)
        return np.stack([
            logsumexp(log_dens, axis=1),
            m1,
            m2 - m1**2,
            m3 - 3.0 * m1 * m2 + 2.0 * m1**3,
        ])

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        # the component labels as rng.choice(n_components, size=n_samples, p=weights) draws
        # them (one uniform per sample against the normalised cumulative weights), without
        # choice's argument checks, which cost as much as the search
        uniforms = rng.random(n_samples)
        normals = rng.standard_normal((n_samples, self.dim))
        return mixture_draws(self._label_cdf, uniforms, self._means, self._chols, normals)

    def marginal(self, v) -> "GaussianMixture":
        v = as_unit_vector(v, "v", self.dim)
        variances = np.einsum("i,kij,j->k", v, self._covs, v)
        return GaussianMixture(self._weights, (self._means @ v)[:, None], variances[:, None, None])

    @property
    def is_log_concave(self) -> bool | None:
        return True if self.n_components == 1 else None

    @property
    def mean(self) -> np.ndarray:
        return self._weights @ self._means

    @property
    def covariance(self) -> np.ndarray:
        mean = self.mean
        second = np.einsum("k,kij->ij", self._weights, self._covs)
        second += np.einsum("k,ki,kj->ij", self._weights, self._means, self._means)
        return second - np.outer(mean, mean)

    def mode_candidates(self) -> np.ndarray:
        return self._means[self._weights > 0].copy()

    # -- capabilities -------------------------------------------------------------------------
    def gaussian_components(self) -> GaussianComponents:
        return GaussianComponents(self._weights.copy(), self._means.copy(), self._covs.copy())

    def _standard_deviations(self) -> np.ndarray:
        self._require_1d("this capability")
        return self._chols[:, 0, 0]

    def cdf(self, t) -> np.ndarray:
        stds = self._standard_deviations()
        t = np.asarray(t, dtype=np.float64)
        u = (t[..., None] - self._means[:, 0]) / stds
        return ndtr(u) @ self._weights

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float]:
        # componentwise: P(X > hi) = sum_k w_k Phi(-(hi - mu_k)/s_k), no cancellation
        stds = self._standard_deviations()
        means = self._means[:, 0]
        return (float(self._weights @ ndtr((lo - means) / stds)),
                float(self._weights @ ndtr(-(hi - means) / stds)))

    def analytic_strip(self) -> float | None:
        # l = log sum_k w_k N_k has complex zeros of the mixture density as singularities
        return np.inf if self.n_components == 1 else None

    def resolution(self) -> float:
        return float(np.min(self._standard_deviations()[self._weights > 0]))

    def max_log_density(self) -> float:
        # p <= sum_k w_k max N_k = sum_k w_k / sqrt(2 pi v_k)
        stds = self._standard_deviations()
        return float(np.log(np.sum(self._weights / (np.sqrt(2.0 * np.pi) * stds))))


def _softmax(log_values: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` log-values (stable: shift by the row maximum)."""
    shifted = log_values - np.max(log_values, axis=1, keepdims=True)
    values = np.exp(shifted)
    return values / values.sum(axis=1, keepdims=True)
