"""The posterior mean (minimum mean-square-error estimate) E[x | y]."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_points, positive_int, positive_scalar
from invlin.estimators._gaussian_posterior import (
    component_posteriors,
    gaussian_components,
    posterior_weights,
)
from invlin.estimators._posterior_1d import posterior_mean_1d
from invlin.estimators._quadrature import grid_posterior_mean
from invlin.estimators.map_estimate import map_estimate
from invlin.problem import LinearInverseProblem

# Dimension up to which a non-separable product posterior is integrated on a tensor grid
# (~100 points per axis: 10^6 points per measurement in 3-D).
MAX_GRID_DIM = 3


def posterior_mean(problem, y, *, tail_widths=25.0, max_grid_points=2_000_000):
    """Posterior mean E[x | y] for each measurement.

    Parameters
    ----------
    problem : LinearInverseProblem
    y : array_like, shape (N, m) or (m,)
        Measurements.
    tail_widths : float, optional
        Trapezoidal quadrature only (log-concave priors with an analytic strip): grid
        half-width in Laplace standard deviations.
    max_grid_points : int, optional
        Trapezoidal quadrature only: number of grid points evaluated at once (a memory bound).

    Returns
    -------
    ndarray, shape (N, n) or (n,)

    Raises
    ------
    NotImplementedError
        For a prior in dimension > 1 that declares neither Gaussian components nor a product
        structure, or a product prior in dimension > 3 when the problem is not diagonal in the
        prior's basis.

    Notes
    -----
    The method follows the prior's capabilities (docs/architecture.md, "Prior protocol"), in
    this order.

    Gaussian components sum_k w_k N(mu_k, Sigma_k) (a Gaussian is K = 1): the posterior is
    the mixture sum_k pi_k(y) N(m_k(y), P_k) with

    .. math::

        C_k = A\\Sigma_k A^T + \\delta^2 I,\\quad
        \\pi_k(y) \\propto w_k\\,\\mathcal N(y; A\\mu_k, C_k),\\quad
        m_k(y) = \\mu_k + \\Sigma_k A^T C_k^{-1}(y - A\\mu_k),

    so E[x | y] = sum_k pi_k(y) m_k(y) (log-sum-exp weights, Cholesky solves; valid for any A).

    One unknown (n = 1): a prior that declares a closed form (``closed_form_posterior_mean``,
    e.g. the Laplace prior) gives it. Otherwise, if the prior is log-concave and log p is analytic in a strip
    |Im t| < w (``analytic_strip``), trapezoidal quadrature around the MAP on a grid aligned
    with the strip (``invlin.estimators._quadrature``, scales w / pi; for the Gumbel the strip
    pi beta/2 where |exp(-e^{-u})| <= 1): exponentially accurate. Otherwise composite
    Gauss-Legendre on a window around y/a that provably holds the posterior
    (``invlin.estimators._posterior_1d``, panel breaks at the prior's kinks): any 1-D prior,
    also multimodal posteriors.

    Product structure p(x) = prod_j p_j(<x, b_j>): if A = B diag(d) B^T in the basis B, the
    posterior factorises and each coefficient has the 1-D posterior of d_j t + noise under
    p_j (the 1-D rules above). Otherwise (n <= 3, log-concave factors with strips) the full
    posterior is integrated on a tensor grid around the MAP.
    """
    y, single = as_points(y, "y", problem.m)
    tail_widths = positive_scalar(tail_widths, "tail_widths")
    max_grid_points = positive_int(max_grid_points, "max_grid_points")
    prior = problem.prior
    components = gaussian_components(prior)
    structure = prior.product_structure() if prior.dim > 1 else None
    if structure is not None and not isinstance(structure.basis, np.ndarray):
        structure = None  # a fast transform: componentwise_posterior_mean, never a dense basis
    if components is not None:
        log_evidence, post_means, _ = component_posteriors(problem, y, *components)
        x = np.einsum("nk,nki->ni", posterior_weights(log_evidence), post_means)
    elif prior.dim == 1:
        x = _posterior_mean_1d(problem, y, tail_widths, max_grid_points)
    elif structure is not None:
        x = _product_posterior_mean(problem, y, structure, tail_widths, max_grid_points)
    else:
        raise NotImplementedError(
            f"posterior_mean has no method for {type(prior).__name__} in dimension "
            f"{prior.dim}: it declares neither Gaussian components nor a product structure in "
            "a dense basis (for a fast transform use componentwise_posterior_mean)"
        )
    return x[0] if single else x


def _posterior_mean_1d(problem, y, tail_widths, max_grid_points):
    """One unknown: trapezoid around the MAP (log-concave with a strip), else the window rule."""
    prior = problem.prior
    column = problem.A[:, 0]
    alpha = float(np.linalg.norm(column))
    if alpha != 0.0:
        exact = prior.closed_form_posterior_mean(alpha, problem.delta, y @ column / alpha)
        if exact is not None:
            return np.asarray(exact, dtype=np.float64)[:, None]
    strip = prior.analytic_strip()
    if prior.is_log_concave and strip is not None and np.isfinite(strip):
        mode = map_estimate(problem, y)
        return grid_posterior_mean(problem, y, mode, np.array([strip / np.pi]), np.eye(1),
                                   tail_widths, max_grid_points)
    if alpha == 0.0:  # the data say nothing: the posterior is the prior
        return np.broadcast_to(prior.mean, (y.shape[0], 1)).copy()
    return posterior_mean_1d(prior, alpha, problem.delta, y @ column / alpha)[:, None]


def _product_posterior_mean(problem, y, structure, tail_widths, max_grid_points):
    basis = structure.basis_matrix()
    if problem.is_diagonal_in(basis):
        diagonal = np.einsum("ij,ik,kj->j", basis, problem.A, basis)
        coefficients = y @ basis  # <y, b_j>, noise stays N(0, delta^2) per coefficient
        exact = problem.prior.closed_form_posterior_mean(diagonal, problem.delta, coefficients)
        if exact is not None and np.all(diagonal > 0):
            return np.asarray(exact, dtype=np.float64) @ basis.T
        x = np.zeros_like(coefficients)
        for j in range(problem.dim):
            sub = LinearInverseProblem([[diagonal[j]]], problem.delta, structure.factors[j])
            mean = posterior_mean(sub, coefficients[:, j : j + 1], tail_widths=tail_widths,
                                  max_grid_points=max_grid_points)
            x += mean * basis[:, j]
        return x
    strips = np.array([factor.analytic_strip() or np.nan for factor in structure.factors])
    log_concave = all(factor.is_log_concave for factor in structure.factors)
    if problem.dim > MAX_GRID_DIM or not (log_concave and np.all(np.isfinite(strips))):
        raise NotImplementedError(
            "posterior_mean for a product prior needs either a problem diagonal in the "
            f"prior's basis or dimension <= {MAX_GRID_DIM} with log-concave factors analytic "
            f"in a strip (tensor-grid quadrature), got dimension {problem.dim} with a "
            "non-diagonal operator"
        )
    mode = map_estimate(problem, y)
    return grid_posterior_mean(problem, y, mode, strips / np.pi, basis, tail_widths,
                               max_grid_points)
