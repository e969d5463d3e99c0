"""Closed-form posterior and evidence of each Gaussian component (priors declaring them)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve


def gaussian_components(prior) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(weights (K,), means (K, n), covs (K, n, n)) of a prior declaring Gaussian components.

    None when ``prior.gaussian_components()`` is None (the prior is not a Gaussian mixture).
    """
    components = prior.gaussian_components()
    if components is None:
        return None
    return components.weights, components.means, components.covs


def is_gaussian(prior) -> bool:
    """Whether the prior declares a single Gaussian component (a Gaussian prior)."""
    components = prior.gaussian_components()
    return components is not None and components.weights.shape[0] == 1


def component_posteriors(problem, y: np.ndarray, weights, means, covs):
    """Per-component evidence, posterior mean and data score for measurements y (N, m).

    Returns
    -------
    log_evidence : ndarray, shape (N, K)
        log w_k + log N(y; A mu_k, C_k), C_k = A Sigma_k A^T + delta^2 I_m.
    post_means : ndarray, shape (N, K, n)
        mu_k + Sigma_k A^T C_k^{-1} (y - A mu_k), the posterior mean of component k.
    data_scores : ndarray, shape (N, K, m)
        grad_y log N(y; A mu_k, C_k) = -C_k^{-1} (y - A mu_k).

    Notes
    -----
    C_k is symmetric positive definite for any A because delta > 0, so the formulas hold for
    rank-deficient and wide operators; every solve uses the Cholesky factor of C_k.
    """
    A, delta = problem.A, problem.delta
    n_points, m = y.shape
    n_components = weights.shape[0]
    log_evidence = np.empty((n_points, n_components))
    post_means = np.empty((n_points, n_components, problem.dim))
    data_scores = np.empty((n_points, n_components, m))
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
    for k in range(n_components):
        cov_At = covs[k] @ A.T  # Sigma_k A^T, (n, m)
        C = A @ cov_At + delta**2 * np.eye(m)
        factor = cho_factor(C, lower=True)
        residual = y - A @ means[k]
        solved = cho_solve(factor, residual.T).T  # C^{-1} r, (N, m)
        log_det = 2.0 * np.sum(np.log(np.diag(factor[0])))
        log_evidence[:, k] = (
            log_weights[k]
            - 0.5 * np.sum(residual * solved, axis=1)
            - 0.5 * log_det
            - 0.5 * m * np.log(2 * np.pi)
        )
        post_means[:, k] = means[k] + solved @ cov_At.T
        data_scores[:, k] = -solved
    return log_evidence, post_means, data_scores


def posterior_weights(log_evidence: np.ndarray) -> np.ndarray:
    """Posterior component probabilities softmax_k(log_evidence), shape (N, K)."""
    shifted = log_evidence - np.max(log_evidence, axis=1, keepdims=True)
    values = np.exp(shifted)
    return values / values.sum(axis=1, keepdims=True)
