"""The Gaussian prior against scipy.stats and its closed-form marginals."""

import numpy as np
from scipy import stats

from invlin.priors import Gaussian


def test_logpdf_matches_scipy():
    rng = np.random.default_rng(0)
    mean = np.array([0.5, -1.0, 2.0])
    b = rng.standard_normal((3, 3))
    cov = b @ b.T + 0.5 * np.eye(3)
    prior = Gaussian(mean, cov)
    x = rng.standard_normal((20, 3)) * 3
    # Both are Cholesky-based evaluations of the same formula: agreement to rounding (1e-12).
    np.testing.assert_allclose(prior.logpdf(x), stats.multivariate_normal(mean, cov).logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(prior.score(x), -np.linalg.solve(cov, (x - mean).T).T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(prior.hessian(x)[3], -np.linalg.inv(cov), rtol=1e-10, atol=1e-12)
    assert prior.is_log_concave is True


def test_marginal_is_the_projected_gaussian():
    mean = np.array([1.0, 2.0])
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    v = np.array([3.0, 4.0]) / 5.0
    marginal = Gaussian(mean, cov).marginal(v)
    assert marginal.dim == 1
    t = np.linspace(-3, 5, 9)[:, None]
    expected = stats.norm(mean @ v, np.sqrt(v @ cov @ v)).logpdf(t[:, 0])
    np.testing.assert_allclose(marginal.logpdf(t), expected, rtol=1e-12)
