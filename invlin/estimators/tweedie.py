"""The data score grad log p_Y and the Tweedie residual of the posterior mean."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_points
from invlin.estimators._gaussian_posterior import (
    component_posteriors,
    gaussian_components,
    posterior_weights,
)


def _closed_form(problem, y):
    components = gaussian_components(problem.prior)
    if components is None:
        raise NotImplementedError(
            "the law p_Y of y has a closed form only for Gaussian and GaussianMixture priors, "
            f"got {type(problem.prior).__name__}"
        )
    log_evidence, post_means, data_scores = component_posteriors(problem, y, *components)
    return posterior_weights(log_evidence), post_means, data_scores


def data_score(problem, y) -> np.ndarray:
    """Score grad log p_Y(y) of the measurement density, shape ``(N, m)`` or ``(m,)``.

    Notes
    -----
    p_Y = (A_# p_X) * N(0, delta^2 I). For p_X = sum_k w_k N(mu_k, Sigma_k),
    p_Y = sum_k w_k N(A mu_k, C_k) with C_k = A Sigma_k A^T + delta^2 I, so
    grad log p_Y(y) = -sum_k pi_k(y) C_k^{-1}(y - A mu_k), pi_k the posterior component weights.
    """
    y, single = as_points(y, "y", problem.m)
    weights, _, data_scores = _closed_form(problem, y)
    score = np.einsum("nk,nki->ni", weights, data_scores)
    return score[0] if single else score


def tweedie_residual(problem, y) -> np.ndarray:
    """Residual A x_PM(y) - y - delta^2 grad log p_Y(y) of Tweedie's formula, shape like y.

    Notes
    -----
    Tweedie's formula for linear problems, A E[x | y] = y + delta^2 grad log p_Y(y), holds
    exactly; the residual measures the floating-point consistency of the posterior mean and the
    data score (Gaussian and Gaussian-mixture priors, where both are in closed form).
    """
    y, single = as_points(y, "y", problem.m)
    weights, post_means, data_scores = _closed_form(problem, y)
    pm = np.einsum("nk,nki->ni", weights, post_means)
    score = np.einsum("nk,nki->ni", weights, data_scores)
    residual = pm @ problem.A.T - y - problem.delta**2 * score
    return residual[0] if single else residual
