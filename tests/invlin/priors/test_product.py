"""ProductPrior: any 1-D marginals in a basis, with exact per-component PM and MAP."""

import numpy as np
import pytest
from scipy import stats

from invlin import LinearInverseProblem, map_estimate, posterior_mean
from invlin.priors import GaussianMixture, LogisticProduct, ProductPrior, StudentT, from_logpdf

ROTATION = np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]])
FACTORS = (StudentT(3.0, 0.2, 0.8),
           GaussianMixture([0.3, 0.7], [[-1.0], [2.0]], [[[0.1]], [[1.5]]]))


def factor_logpdfs():
    """The factors' log-densities by SciPy (independent of invlin)."""
    return (lambda t: stats.t.logpdf(t, 3.0, loc=0.2, scale=0.8),
            lambda t: np.logaddexp(np.log(0.3) + stats.norm.logpdf(t, -1.0, np.sqrt(0.1)),
                                   np.log(0.7) + stats.norm.logpdf(t, 2.0, np.sqrt(1.5))))


def test_density_score_and_hessian():
    prior = ProductPrior(FACTORS, basis=ROTATION)
    x = np.random.default_rng(0).normal(size=(20, 2)) * 2
    c = x @ ROTATION
    want = sum(f(c[:, j]) for j, f in enumerate(factor_logpdfs()))
    np.testing.assert_allclose(prior.logpdf(x), want, rtol=1e-13, atol=1e-13)
    # central differences of logpdf (step 1e-5: truncation ~1e-10, rounding ~1e-11)
    h = 1e-5
    for i in range(2):
        e = np.eye(2)[i] * h
        fd = (prior.logpdf(x + e) - prior.logpdf(x - e)) / (2 * h)
        np.testing.assert_allclose(prior.score(x)[:, i], fd, rtol=0, atol=1e-8)
        fd2 = (prior.score(x + e) - prior.score(x - e)) / (2 * h)
        np.testing.assert_allclose(prior.hessian(x)[:, :, i], fd2, rtol=0, atol=1e-7)
    assert prior.is_log_concave is False
    np.testing.assert_allclose(prior.covariance,
                               ROTATION @ np.diag([0.64 * 3.0, FACTORS[1].covariance[0, 0]])
                               @ ROTATION.T, rtol=1e-14)
    with pytest.raises(NotImplementedError):
        prior.marginal(np.array([1.0, 0.0]))
    assert repr(prior.marginal(ROTATION[:, 1])) == repr(FACTORS[1])


def brute_component(logpdf, d, delta, b):
    """PM and global MAP of b = d c + delta e for one coefficient, on a fine grid (SciPy)."""
    grid = np.linspace(-60.0, 60.0, 1_200_001)
    f = 0.5 * (d * grid - b) ** 2 - delta**2 * logpdf(grid)
    w = np.exp(-(f - f.min()) / delta**2)
    return np.sum(w * grid) / np.sum(w), grid[np.argmin(f)]


def test_pm_and_map_are_exact_per_component():
    prior = ProductPrior(FACTORS, basis=ROTATION)
    sigma, delta = np.array([1.3, 0.9]), 0.5
    problem = LinearInverseProblem.diagonal(sigma, delta, prior, basis=ROTATION)
    y = np.random.default_rng(1).normal(size=(6, 2)) * 2
    pm = posterior_mean(problem, y)
    mapx, info = map_estimate(problem, y, return_info=True)
    b = y @ ROTATION
    for j, logpdf in enumerate(factor_logpdfs()):
        for i in range(y.shape[0]):
            want_pm, want_map = brute_component(logpdf, sigma[j], delta, b[i, j])
            # grid spacing 1e-4: the trapezoid is exact to rounding for the smooth posterior;
            # the grid's argmin is within one spacing of the MAP
            assert abs((pm @ ROTATION)[i, j] - want_pm) < 1e-9
            assert abs((mapx @ ROTATION)[i, j] - want_map) < 1.1e-4
    assert np.all(info.converged)
    # negative control: the factors swapped give other estimates
    swapped = LinearInverseProblem.diagonal(sigma, delta, ProductPrior(FACTORS[::-1], ROTATION),
                                            basis=ROTATION)
    assert np.max(np.abs(posterior_mean(swapped, y) - pm)) > 1e-2


def test_generalises_the_logistic_product():
    scales = np.array([0.5, 1.1])
    logistic = LogisticProduct(scales, basis=ROTATION)
    product = ProductPrior([LogisticProduct([s]) for s in scales], basis=ROTATION)
    numeric = ProductPrior([from_logpdf(lambda t, s=s: -np.abs(t) / s
                                        - 2 * np.log1p(np.exp(-np.abs(t) / s))) for s in scales],
                           basis=ROTATION)
    problem = LinearInverseProblem.diagonal([1.4, 0.6], 0.4, logistic, basis=ROTATION)
    y = np.random.default_rng(2).normal(size=(5, 2))
    want = posterior_mean(problem, y)
    for other in (product, numeric):
        p = LinearInverseProblem.diagonal([1.4, 0.6], 0.4, other, basis=ROTATION)
        # the same 1-D routes (product) or the window rule on a numeric prior: ~1e-13
        np.testing.assert_allclose(posterior_mean(p, y), want, rtol=0, atol=1e-10)
        np.testing.assert_allclose(map_estimate(p, y), map_estimate(problem, y), rtol=0,
                                   atol=1e-10)


def test_product_prior_in_a_fast_transform_takes_the_componentwise_route():
    from invlin.estimators import componentwise_map, componentwise_posterior_mean
    from invlin.operators import DCTBasis
    from invlin.problem import TransformDiagonalProblem

    n = 16
    basis = DCTBasis(n)
    factors = [StudentT(3.0, 0.0, 1.0 / (1 + j) ** 0.5) for j in range(n)]
    sigma = np.linspace(1.0, 0.1, n)
    fast = TransformDiagonalProblem(basis, sigma, 0.3, ProductPrior(factors, basis=basis))
    y = fast.sample(3, np.random.default_rng(0)).y
    V = basis.matrix()
    dense = LinearInverseProblem.diagonal(sigma, 0.3, ProductPrior(factors, basis=V), basis=V)
    # the same 1-D routes on the same coefficients; the transforms differ by rounding (~1e-15)
    np.testing.assert_allclose(componentwise_posterior_mean(fast, y), posterior_mean(dense, y),
                               rtol=0, atol=1e-12)
    x, info = componentwise_map(fast, y, return_info=True)
    np.testing.assert_allclose(x, map_estimate(dense, y), rtol=0, atol=1e-12)
    assert np.all(info.converged)
    other = LinearInverseProblem.diagonal(sigma[::-1], 0.3, ProductPrior(factors, basis=V),
                                          basis=V)
    assert np.max(np.abs(posterior_mean(other, y) - x)) > 1e-3  # negative control
