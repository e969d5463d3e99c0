"""The posterior mean (minimum mean-square-error estimate) E[x | y]."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_points, positive_int, positive_scalar
from invlin.estimators._gaussian_posterior import (
    component_posteriors,
    gaussian_components,
    posterior_weights,
)
from invlin.estimators._quadrature import grid_posterior_mean
from invlin.estimators.map_estimate import map_estimate
from invlin.priors import Gumbel, LogisticProduct
from invlin.problem import LinearInverseProblem

# Dimension up to which a non-separable LogisticProduct posterior is integrated on a tensor
# grid (~100 points per axis: 10^6 points per measurement in 3-D).
MAX_GRID_DIM = 3


def posterior_mean(problem, y, *, tail_widths=25.0, max_grid_points=2_000_000):
    """Posterior mean E[x | y] for each measurement.

    Parameters
    ----------
    problem : LinearInverseProblem
    y : array_like, shape (N, m) or (m,)
        Measurements.
    tail_widths : float, optional
        Quadrature only (LogisticProduct and Gumbel priors): grid half-width in Laplace
        standard deviations.
    max_grid_points : int, optional
        Quadrature only: number of grid points evaluated at once (a memory bound).

    Returns
    -------
    ndarray, shape (N, n) or (n,)

    Raises
    ------
    NotImplementedError
        For a LogisticProduct prior in dimension > 3 when the problem is not diagonal in the
        prior's basis, or for a prior without a posterior-mean method.

    Notes
    -----
    Gaussian mixture prior sum_k w_k N(mu_k, Sigma_k) (a Gaussian is K = 1): the posterior is
    the mixture sum_k pi_k(y) N(m_k(y), P_k) with

    .. math::

        C_k = A\\Sigma_k A^T + \\delta^2 I,\\quad
        \\pi_k(y) \\propto w_k\\,\\mathcal N(y; A\\mu_k, C_k),\\quad
        m_k(y) = \\mu_k + \\Sigma_k A^T C_k^{-1}(y - A\\mu_k),

    so E[x | y] = sum_k pi_k(y) m_k(y) (log-sum-exp weights, Cholesky solves; valid for any A).

    LogisticProduct prior: if A = B diag(d) B^T in the prior's basis B, the posterior factorises
    and each coefficient <x, b_j> has the 1-D posterior of the problem d_j t + noise with the
    1-D logistic marginal prior; its mean is computed by 1-D quadrature. Otherwise (n <= 3) the
    full posterior is integrated on a tensor grid around the MAP (see
    ``invlin.estimators._quadrature``). The posterior is log-concave, so the MAP found by
    :func:`map_estimate` is its unique mode.

    Gumbel prior (1-D, log-concave): the same trapezoidal quadrature around the MAP. Its
    log-density -(u + e^{-u}) is entire, and on the strip |Im t| < pi beta/2 the factor
    |exp(-e^{-u})| = exp(-e^{-Re u} cos(Im u)) stays <= 1, so the quadrature is given the
    strip half-width pi beta/2 (``scales = beta/2`` in the convention of
    ``invlin.estimators._quadrature``).
    """
    y, single = as_points(y, "y", problem.m)
    tail_widths = positive_scalar(tail_widths, "tail_widths")
    max_grid_points = positive_int(max_grid_points, "max_grid_points")
    prior = problem.prior
    components = gaussian_components(prior)
    if components is not None:
        log_evidence, post_means, _ = component_posteriors(problem, y, *components)
        x = np.einsum("nk,nki->ni", posterior_weights(log_evidence), post_means)
    elif isinstance(prior, LogisticProduct):
        x = _logistic_posterior_mean(problem, y, tail_widths, max_grid_points)
    elif isinstance(prior, Gumbel):
        mode = map_estimate(problem, y)
        x = grid_posterior_mean(
            problem, y, mode, np.array([prior.scale / 2.0]), np.eye(1), tail_widths,
            max_grid_points,
        )
    else:
        raise NotImplementedError(
            f"posterior_mean has no method for a prior of type {type(prior).__name__}"
        )
    return x[0] if single else x


def _logistic_posterior_mean(problem, y, tail_widths, max_grid_points):
    prior = problem.prior
    basis = prior.basis
    if problem.is_diagonal_in(basis):
        diagonal = np.einsum("ij,ik,kj->j", basis, problem.A, basis)
        coefficients = y @ basis  # <y, b_j>, noise stays N(0, delta^2) per coefficient
        x = np.zeros_like(coefficients)
        for j in range(problem.dim):
            marginal = prior.marginal(basis[:, j])
            sub = LinearInverseProblem([[diagonal[j]]], problem.delta, marginal)
            data = coefficients[:, j : j + 1]
            mode = map_estimate(sub, data)
            mean = grid_posterior_mean(
                sub, data, mode, marginal.scales, marginal.basis, tail_widths, max_grid_points
            )
            x += mean * basis[:, j]
        return x
    if problem.dim > MAX_GRID_DIM:
        raise NotImplementedError(
            "posterior_mean for a LogisticProduct prior needs either a problem diagonal in the "
            f"prior's basis or dimension <= {MAX_GRID_DIM} (tensor-grid quadrature), got "
            f"dimension {problem.dim} with a non-diagonal operator"
        )
    mode = map_estimate(problem, y)
    return grid_posterior_mean(
        problem, y, mode, prior.scales, basis, tail_widths, max_grid_points
    )
