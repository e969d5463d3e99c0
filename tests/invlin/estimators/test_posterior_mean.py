"""Posterior means against closed forms and brute-force quadrature written independently here.

The references never call invlin's estimators: priors are evaluated with scipy.stats and the
posterior integrals by the trapezoidal rule on a fine tensor grid. For a smooth integrand that
decays within the grid, the trapezoidal rule with spacing h <= w/2 (w the narrowest posterior
width) has error ~exp(-2 pi^2 (w/h)^2) ~ 1e-34 (Gaussian components), far below the 1e-8
tolerance; ``test_reference_is_converged`` confirms it numerically by halving h.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp

from invlin.estimators import posterior_mean
from invlin.priors import Gaussian, GaussianMixture, LogisticProduct
from invlin.problem import LinearInverseProblem

EPS = np.finfo(np.float64).eps

# The acceptance tolerance: 1e-8 relative, relative to |x_ref| + 1 (the priors here have unit
# scale, so the "+1" only matters where the posterior mean is near 0).
PM_RTOL = 1e-8


def mixture_log_prior(weights, means, covs):
    def log_prior(x):
        terms = [np.log(w) + stats.multivariate_normal(m, c).logpdf(x) for w, m, c in zip(weights, means, covs)]
        return logsumexp(np.stack(terms), axis=0)

    return log_prior


def grid_for_mixture(A, delta, means, covs, refine=1.0):
    """Tensor grid covering 12 prior standard deviations around every component mean, with
    spacing half the narrowest possible posterior width 1/sqrt(sigma_max^2/delta^2 + 1/l_min)."""
    sigma_max = np.linalg.norm(A, 2)
    l_min = min(np.linalg.eigvalsh(c)[0] for c in covs)
    l_max = max(np.linalg.eigvalsh(c)[-1] for c in covs)
    width = 1.0 / np.sqrt(sigma_max**2 / delta**2 + 1.0 / l_min)
    h = width / 2.0 / refine
    lo = np.min(means, axis=0) - 12 * np.sqrt(l_max)
    hi = np.max(means, axis=0) + 12 * np.sqrt(l_max)
    axes = [np.arange(a, b + h, h) for a, b in zip(lo, hi)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(lo))


def brute_force_pm(A, delta, log_prior_values, grid, y):
    """E[x | y] = sum_g x_g p(x_g) exp(-|A x_g - y|^2 / (2 delta^2)) / sum_g (same without x_g)."""
    result = np.empty((y.shape[0], grid.shape[1]))
    Ag = grid @ A.T
    for i, yi in enumerate(y):
        log_w = log_prior_values - 0.5 * np.sum((Ag - yi) ** 2, axis=1) / delta**2
        w = np.exp(log_w - log_w.max())
        result[i] = w @ grid / w.sum()
    return result


def random_operator(rng, m, n, condition):
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    k = min(m, n)
    s = np.geomspace(1.0, 1.0 / condition, k)
    return (u[:, :k] * s) @ v[:, :k].T


def assert_pm_close(pm, ref):
    err = np.linalg.norm(pm - ref, axis=1) / (np.linalg.norm(ref, axis=1) + 1.0)
    assert np.all(err <= PM_RTOL), f"max relative error {err.max():.2e}"


def test_gaussian_pm_equals_closed_form():
    rng = np.random.default_rng(0)
    A = random_operator(rng, 3, 3, 100.0)
    mean = np.array([0.5, -1.0, 0.2])
    b = rng.standard_normal((3, 3))
    cov = b @ b.T + 0.3 * np.eye(3)
    delta = 0.05
    problem = LinearInverseProblem(A, delta, Gaussian(mean, cov))
    y = problem.sample(50, rng).y
    precision = np.linalg.inv(cov)
    # (A^T A + delta^2 Sigma^{-1})^{-1} (A^T y + delta^2 Sigma^{-1} mu), the textbook form.
    expected = np.linalg.solve(A.T @ A + delta**2 * precision, (y @ A + delta**2 * precision @ mean).T).T
    # Two algebraically equal formulas; rounding ~ eps * cond(A^T A + delta^2 P) ~ 1e-12.
    np.testing.assert_allclose(posterior_mean(problem, y), expected, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("delta", [1e-3, 0.1, 1.0])
@pytest.mark.parametrize("a", [1e-3, 0.3, 2.0])
def test_mixture_pm_1d_matches_quadrature(a, delta):
    rng = np.random.default_rng(1)
    weights, means, covs = [0.3, 0.5, 0.2], np.array([[-1.5], [0.5], [2.0]]), np.array([[[0.3]], [[0.6]], [[0.2]]])
    A = np.array([[a]])
    problem = LinearInverseProblem(A, delta, GaussianMixture(weights, means, covs))
    y = problem.sample(8, rng).y
    grid = grid_for_mixture(A, delta, means, covs)
    ref = brute_force_pm(A, delta, mixture_log_prior(weights, means, covs)(grid), grid, y)
    assert_pm_close(posterior_mean(problem, y), ref)


@pytest.mark.parametrize("condition", [1.0, 30.0, 1e3])
@pytest.mark.parametrize("delta", [0.05, 0.3, 1.0])
def test_mixture_pm_2d_matches_quadrature(condition, delta):
    rng = np.random.default_rng(int(condition * 10 + delta * 100))
    weights = [0.25, 0.45, 0.3]
    means = np.array([[1.5, 0.5], [-1.0, 1.0], [0.0, -1.5]])
    covs = np.array([[[0.4, 0.1], [0.1, 0.3]], [[0.25, -0.05], [-0.05, 0.5]], [[0.3, 0.0], [0.0, 0.3]]])
    A = random_operator(rng, 2, 2, condition)
    problem = LinearInverseProblem(A, delta, GaussianMixture(weights, means, covs))
    y = problem.sample(6, rng).y
    grid = grid_for_mixture(A, delta, means, covs)
    ref = brute_force_pm(A, delta, mixture_log_prior(weights, means, covs)(grid), grid, y)
    assert_pm_close(posterior_mean(problem, y), ref)


@pytest.mark.parametrize("shape", [(3, 2), (1, 2)])
def test_mixture_pm_tall_and_wide_operators(shape):
    rng = np.random.default_rng(5)
    prior = GaussianMixture.symmetric_bimodal([1.2, -0.4], 0.5)
    A = rng.standard_normal(shape)
    delta = 0.2
    problem = LinearInverseProblem(A, delta, prior)
    y = problem.sample(5, rng).y
    grid = grid_for_mixture(A, delta, prior.means, prior.covs)
    ref = brute_force_pm(A, delta, mixture_log_prior(prior.weights, prior.means, prior.covs)(grid), grid, y)
    assert_pm_close(posterior_mean(problem, y), ref)


def test_reference_is_converged():
    prior = GaussianMixture.symmetric_bimodal([1.0, 0.5], 0.4)
    A = np.array([[1.0, 0.3], [0.0, 0.5]])
    delta = 0.3
    y = np.array([[0.4, -0.2], [1.5, 0.7]])
    log_prior = mixture_log_prior(prior.weights, prior.means, prior.covs)
    coarse = grid_for_mixture(A, delta, prior.means, prior.covs)
    fine = grid_for_mixture(A, delta, prior.means, prior.covs, refine=2.0)
    a = brute_force_pm(A, delta, log_prior(coarse), coarse, y)
    b = brute_force_pm(A, delta, log_prior(fine), fine, y)
    # Halving h changes the reference only at rounding level (sums of ~1e5 terms: ~1e-13).
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def logistic_1d_pm(a, delta, scale, loc, w):
    """E[t | w], w = a t + noise, t ~ logistic(loc, scale), on a fine 1-D grid (same spacing and
    tail rules as the 2-D logistic reference below, with a finer spacing since 1-D is cheap)."""
    h = min(delta / abs(a), scale) / 8
    grid = np.arange(loc - 60 * scale, loc + 60 * scale + h, h)[:, None]
    log_prior = stats.logistic(loc, scale).logpdf(grid[:, 0])
    return brute_force_pm(np.array([[a]]), delta, log_prior, grid, np.array([[w]]))[0, 0]


def test_logistic_pm_diagonal_matches_1d_quadrature():
    rng = np.random.default_rng(7)
    theta = 0.7
    basis = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    scales, loc = np.array([0.5, 1.5]), np.array([0.3, -0.4])
    prior = LogisticProduct(scales, basis, loc)
    sigma = np.array([1.2, 0.05])
    delta = 0.4
    problem = LinearInverseProblem.diagonal(sigma, delta, prior, basis=basis)
    y = problem.sample(6, rng).y
    pm = posterior_mean(problem, y)
    ref = np.zeros_like(pm)
    for i, yi in enumerate(y):
        for j in range(2):
            ref[i] += logistic_1d_pm(sigma[j], delta, scales[j], loc @ basis[:, j], yi @ basis[:, j]) * basis[:, j]
    assert_pm_close(pm, ref)


def test_logistic_pm_non_diagonal_matches_grid_quadrature():
    rng = np.random.default_rng(8)
    scales, loc = np.array([0.6, 1.0]), np.array([0.2, -0.1])
    prior = LogisticProduct(scales, loc=loc)
    A = np.array([[1.0, 0.6], [0.3, 0.8]])
    delta = 0.3
    problem = LinearInverseProblem(A, delta, prior)
    y = problem.sample(4, rng).y
    # Axis-aligned grid: spacing half the smallest of delta / |A|_2 and the logistic scales
    # (the integrand is analytic in a strip of half-width ~pi * scale: error ~exp(-2 pi^2 * 4)),
    # and 40 logistic scales either side (tail mass e^-40 ~ 4e-18).
    h = min(delta / np.linalg.norm(A, 2), scales.min()) / 2
    axes = [np.arange(c - 40 * s, c + 40 * s + h, h) for c, s in zip(loc, scales)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    log_prior = stats.logistic(loc[0], scales[0]).logpdf(grid[:, 0]) + stats.logistic(loc[1], scales[1]).logpdf(grid[:, 1])
    ref = brute_force_pm(A, delta, log_prior, grid, y)
    assert_pm_close(posterior_mean(problem, y), ref)


def test_single_measurement_returns_a_vector():
    problem = LinearInverseProblem(np.eye(2), 0.5, GaussianMixture.symmetric_bimodal([1.0, 0.0], 0.5))
    y = np.array([[0.3, 0.1], [1.0, -1.0]])
    # One measurement runs the batched code as a batch of one; BLAS may pick another kernel for
    # that shape (see tests/invlin/priors/test_priors_derivatives.py), so the two agree to
    # rounding. The PM is sum_k w_k(y) m_k(y): component means m_k from solves with condition
    # number 1 here (A = I, isotropic components), |m_k| <= |y| + 1, each to ~10 eps relative;
    # the weights w_k = softmax(-|y - mu_k|^2 / (2 (delta^2 + tau^2))) to eps times exponents
    # <= (|y| + 1)^2 / 1 = 4. Two evaluations: 2 (10 + 2 x 4) eps (|y| + 1) < 64 eps (|y| + 1).
    single, batch = posterior_mean(problem, y[0]), posterior_mean(problem, y)[0]
    assert single.shape == (2,)
    np.testing.assert_allclose(single, batch, rtol=0, atol=64 * EPS * (np.abs(y[0]).max() + 1))


def test_logistic_pm_rank_deficient_diagonal():
    # sigma_2 = 0: the second coefficient is not observed, its posterior is its prior (mean loc_2).
    prior = LogisticProduct([0.5, 1.0], loc=[0.2, -0.7])
    problem = LinearInverseProblem.diagonal([0.8, 0.0], 0.3, prior)
    y = problem.sample(5, np.random.default_rng(9)).y
    pm = posterior_mean(problem, y)
    ref = np.array([logistic_1d_pm(0.8, 0.3, 0.5, 0.2, yi[0]) for yi in y])
    assert_pm_close(np.column_stack([pm[:, 0], pm[:, 1] + 0.7]), np.column_stack([ref, np.zeros(5)]))


def test_logistic_tensor_grid_in_3d_matches_1d_references():
    # The tensor-grid path (used for non-diagonal problems, n <= 3) run on a diagonal problem,
    # whose exact answer factorises into independent 1-D integrals.
    from invlin.estimators._quadrature import grid_posterior_mean
    from invlin.estimators import map_estimate

    scales, loc = np.array([0.4, 0.8, 1.5]), np.array([0.1, -0.3, 0.5])
    sigma, delta = np.array([1.0, 0.5, 0.2]), 0.4
    problem = LinearInverseProblem.diagonal(sigma, delta, LogisticProduct(scales, loc=loc))
    y = problem.sample(1, np.random.default_rng(10)).y
    pm = grid_posterior_mean(problem, y, map_estimate(problem, y), scales, np.eye(3), 25.0, 2_000_000)
    ref = np.array([[logistic_1d_pm(sigma[j], delta, scales[j], loc[j], yi[j]) for j in range(3)] for yi in y])
    assert_pm_close(pm, ref)


@given(
    n=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
    log_delta=st.floats(-2.0, 0.0),
)
def test_logistic_pm_diagonal_property(n, seed, log_delta):
    # Random diagonal problems in a random basis: scales in [0.2, 2], singular values in
    # [0.05, 2], delta in [1e-2, 1] (the 1-D reference grid is sized for delta >= 1e-2).
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    basis = q * np.sign(np.diag(r))
    scales, loc = rng.uniform(0.2, 2.0, n), rng.standard_normal(n)
    sigma, delta = rng.uniform(0.05, 2.0, n), 10.0**log_delta
    problem = LinearInverseProblem.diagonal(sigma, delta, LogisticProduct(scales, basis, loc), basis=basis)
    y = problem.sample(2, rng).y
    ref = np.array([sum(logistic_1d_pm(sigma[j], delta, scales[j], loc @ basis[:, j], yi @ basis[:, j]) * basis[:, j]
                        for j in range(n)) for yi in y])
    assert_pm_close(posterior_mean(problem, y), ref)
