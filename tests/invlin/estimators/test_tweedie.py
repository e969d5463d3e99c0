"""Tweedie's formula and the data score against an independent closed form of p_Y."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from invlin.estimators import data_score, posterior_mean, tweedie_residual
from invlin.priors import Gaussian, GaussianMixture
from invlin.problem import LinearInverseProblem

# Tweedie residual bound from the acceptance criteria, relative to |y| + 1: the identity is
# exact and both sides are computed from the same Cholesky factors, so rounding is ~1e-15.
TWEEDIE_TOL = 1e-8

PRIORS = {
    "gaussian": Gaussian([0.5, -0.3], [[1.0, 0.3], [0.3, 0.6]]),
    "bimodal": GaussianMixture.symmetric_bimodal([1.5, 0.5], 0.5),
    "three": GaussianMixture([0.2, 0.5, 0.3], [[1.5, 0.5], [-1.0, 1.0], [0.0, -1.5]],
                             np.array([[[0.4, 0.1], [0.1, 0.3]], [[0.25, -0.05], [-0.05, 0.5]], [[0.3, 0.0], [0.0, 0.3]]])),
}
OPERATORS = {
    "square": np.array([[1.0, 0.4], [-0.2, 0.7]]),
    "ill": np.array([[1.0, 0.0], [0.0, 1e-3]]),
    "tall": np.array([[1.0, 0.4], [-0.2, 0.7], [0.5, 0.5]]),
    "wide": np.array([[1.0, 0.4]]),
}


def log_p_y(A, delta, prior, y):
    """log p_Y(y), p_Y = sum_k w_k N(A mu_k, A Sigma_k A^T + delta^2 I), via scipy.stats."""
    if isinstance(prior, Gaussian):
        parts = [(1.0, prior.mean, prior.covariance)]
    else:
        parts = list(zip(prior.weights, prior.means, prior.covs))
    m = A.shape[0]
    terms = [np.log(w) + stats.multivariate_normal(A @ mu, A @ S @ A.T + delta**2 * np.eye(m)).logpdf(y)
             for w, mu, S in parts]
    return logsumexp(np.atleast_2d(np.stack(terms)), axis=0)


@pytest.mark.parametrize("prior_name", PRIORS)
@pytest.mark.parametrize("op_name", OPERATORS)
@pytest.mark.parametrize("delta", [1e-3, 0.1, 1.0])
def test_tweedie_residual_is_zero(prior_name, op_name, delta):
    problem = LinearInverseProblem(OPERATORS[op_name], delta, PRIORS[prior_name])
    y = problem.sample(100, np.random.default_rng(0)).y
    residual = tweedie_residual(problem, y)
    rel = np.linalg.norm(residual, axis=1) / (np.linalg.norm(y, axis=1) + 1)
    assert rel.max() < TWEEDIE_TOL
    # The residual is the identity A x_PM - y - delta^2 score, recomputed from the public parts.
    recomputed = posterior_mean(problem, y) @ problem.A.T - y - delta**2 * data_score(problem, y)
    np.testing.assert_allclose(residual, recomputed, rtol=0, atol=1e-12 * (np.abs(y).max() + 1))


@pytest.mark.parametrize("prior_name", PRIORS)
@pytest.mark.parametrize("op_name", ["square", "tall", "wide"])
def test_data_score_matches_central_differences_of_log_p_y(prior_name, op_name):
    A, delta, prior = OPERATORS[op_name], 0.3, PRIORS[prior_name]
    problem = LinearInverseProblem(A, delta, prior)
    y = problem.sample(10, np.random.default_rng(1)).y
    h = 1e-5
    fd = np.stack([(log_p_y(A, delta, prior, y + h * e) - log_p_y(A, delta, prior, y - h * e)) / (2 * h)
                   for e in np.eye(A.shape[0])], axis=1)
    score = data_score(problem, y)
    # Central differences with h = 1e-5 on a unit-scale log-density: error ~h^2 |f'''| ~ 1e-9.
    np.testing.assert_allclose(score, fd, rtol=0, atol=1e-6 * (1 + np.abs(score).max()))
