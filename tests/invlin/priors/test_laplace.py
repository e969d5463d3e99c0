"""The Laplace prior: closed-form PM and MAP against brute-force posteriors that use no invlin."""

import mpmath
import numpy as np
import pytest

from invlin.estimators import map_estimate, posterior_mean
from invlin.estimators.componentwise import componentwise_map, componentwise_posterior_mean
from invlin.operators import DCTBasis
from invlin.priors import Laplace, TransformLaplaceProduct
from invlin.problem import LinearInverseProblem, TransformDiagonalProblem

# (loc, scale, a, delta): moderate noise, low noise (sigma << b: a thin layer), high noise
# (tau > sigma: strong shrinkage), a != 1, and a blurred-out component (sigma = 5000 b: t and
# tau ~ 1e7 while the PM is O(b))
SETTINGS = [(0.0, 1.0, 1.0, 0.5), (0.3, 2.0, 1.5, 0.05), (-1.0, 0.5, 0.8, 1.0),
            (0.2, 1.0, 1e-4, 0.5)]
# measurements t = y/a - loc in prior scales, out to 50 scales on both sides
OFFSETS = [-50.0, -7.0, -1.0, -0.3, -0.02, 0.0, 0.01, 0.2, 0.5, 1.0, 3.0, 20.0, 50.0]

# The brute-force reference: mpmath tanh-sinh quadrature of the unnormalised posterior at 30
# digits, split at the kink and at the likelihood's centre, in log space relative to the
# posterior's maximum (no overflow 50 scales out). Its error is ~1e-25, so the comparison
# measures invlin's float64 error alone; 1e-10 relative is the acceptance bound (the
# closed form's rounding error is ~1e-15 times the cancellation factor t/PM, < 1e3 here).
RELATIVE = 1e-10


def _brute_posterior_mean(y, loc, scale, a, delta):
    with mpmath.workdps(30):
        y, loc, scale, a, delta = (mpmath.mpf(v) for v in (y, loc, scale, a, delta))

        def log_post(x):
            return -(y - a * x) ** 2 / (2 * delta**2) - abs(x - loc) / scale

        centre = y / a
        peak = max(log_post(loc), log_post(centre))
        cuts = [-mpmath.inf] + sorted({loc, centre}) + [mpmath.inf]
        mass = mpmath.quad(lambda x: mpmath.exp(log_post(x) - peak), cuts)
        first = mpmath.quad(lambda x: x * mpmath.exp(log_post(x) - peak), cuts)
        return float(first / mass)


def _brute_map(y, loc, scale, a, delta):
    """Ternary search of the convex negative log posterior at 40 digits (no formula used)."""
    with mpmath.workdps(40):
        y, loc, scale, a, delta = (mpmath.mpf(v) for v in (y, loc, scale, a, delta))

        def objective(x):
            return (y - a * x) ** 2 / (2 * delta**2) + abs(x - loc) / scale

        lo, hi = min(loc, y / a) - 1, max(loc, y / a) + 1  # the minimiser lies between them
        for _ in range(300):  # (2/3)^300 ~ 1e-53 of the bracket
            m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
            if objective(m1) < objective(m2):
                hi = m2
            else:
                lo = m1
        return float((lo + hi) / 2)


def _measurements(loc, scale, a):
    return a * (loc + scale * np.array(OFFSETS))


@pytest.mark.parametrize("setting", SETTINGS)
def test_posterior_mean_matches_brute_force_quadrature(setting):
    loc, scale, a, delta = setting
    prior = Laplace(loc, scale)
    y = _measurements(loc, scale, a)
    got = prior.closed_form_posterior_mean(a, delta, y)
    expected = np.array([_brute_posterior_mean(v, loc, scale, a, delta) for v in y])
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=RELATIVE, atol=0)
    # the check discriminates: PM and MAP differ by far more than the tolerance in the layer
    gap = np.abs(expected - np.array([_brute_map(v, loc, scale, a, delta) for v in y]))
    assert np.max(gap / np.maximum(np.abs(expected), scale)) > 1e3 * RELATIVE


@pytest.mark.parametrize("setting", SETTINGS)
def test_map_matches_brute_force_minimisation(setting):
    loc, scale, a, delta = setting
    prior = Laplace(loc, scale)
    y = _measurements(loc, scale, a)
    got = prior.closed_form_map(a, delta, y)
    expected = np.array([_brute_map(v, loc, scale, a, delta) for v in y])
    # relative to max(|x|, scale): the MAP is exactly loc in the dead zone (loc may be 0)
    np.testing.assert_array_less(np.abs(got - expected), RELATIVE * np.maximum(np.abs(expected), scale))


def test_negative_control_wrong_threshold_fails():
    """A soft threshold at delta^2/(a b) (the y-form divergence optimum's) misses the MAP."""
    loc, scale, a, delta = SETTINGS[1]
    y = _measurements(loc, scale, a)
    t = y / a - loc
    wrong = loc + np.sign(t) * np.maximum(np.abs(t) - delta**2 / (a * scale), 0.0)
    expected = np.array([_brute_map(v, loc, scale, a, delta) for v in y])
    assert np.max(np.abs(wrong - expected) / np.maximum(np.abs(expected), scale)) > 1e3 * RELATIVE


def test_far_tails_have_no_overflow():
    prior = Laplace(0.0, 1.0)
    y = np.array([-1e6, -1e3, 1e3, 1e6, 1e150])
    pm = prior.closed_form_posterior_mean(1.0, 1e-3, y)
    assert np.all(np.isfinite(pm))
    np.testing.assert_allclose(pm, y - np.sign(y) * 1e-6, rtol=1e-15)  # t - tau far out


def test_estimators_use_the_closed_forms():
    prior = Laplace(0.3, 2.0)
    problem = LinearInverseProblem([[1.5]], 0.05, prior)
    y = _measurements(0.3, 2.0, 1.5)
    # the estimators reduce y to <A, y>/|A| = y * 1.5/1.5, which may differ from y in the last
    # bit; the closed forms are Lipschitz in y with constant <= 1/a, so 1e-14 relative covers it
    np.testing.assert_allclose(posterior_mean(problem, y[:, None])[:, 0],
                               prior.closed_form_posterior_mean(1.5, 0.05, y), rtol=1e-14, atol=1e-15)
    x, info = map_estimate(problem, y[:, None], return_info=True)
    np.testing.assert_allclose(x[:, 0], prior.closed_form_map(1.5, 0.05, y), rtol=1e-14, atol=1e-15)
    assert info.converged.all() and info.unique.all()


def test_product_matches_one_dimensional_priors_per_component():
    n = 64
    basis = DCTBasis(n)
    rng = np.random.default_rng(3)
    scales = 1.0 / (1.0 + np.arange(n))
    locs = rng.normal(size=n) * 0.1
    prior = TransformLaplaceProduct(scales, basis, locs)
    sigma = np.linspace(0.05, 1.0, n)
    problem = TransformDiagonalProblem(basis, sigma, 0.1, prior)
    y = problem.sample(5, rng).y
    b = basis.forward(y)
    pm = componentwise_posterior_mean(problem, y)
    mp = componentwise_map(problem, y)
    for j in (0, 7, 63):
        one = Laplace(locs[j], scales[j])
        # the DCT's forward/adjoint round trip is exact to ~1e-15 relative
        np.testing.assert_allclose(basis.forward(pm)[:, j],
                                   one.closed_form_posterior_mean(sigma[j], 0.1, b[:, j]), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(basis.forward(mp)[:, j],
                                   one.closed_form_map(sigma[j], 0.1, b[:, j]), rtol=1e-12, atol=1e-14)


def test_product_at_dimension_ten_thousand():
    n = 10_000
    basis = DCTBasis(n)
    prior = TransformLaplaceProduct.power_law(basis, 1.0)
    problem = TransformDiagonalProblem(basis, np.exp(-np.linspace(0, 4, n)), 0.01, prior)
    y = problem.sample(2, np.random.default_rng(0)).y
    pm, mp = componentwise_posterior_mean(problem, y), componentwise_map(problem, y)
    assert pm.shape == mp.shape == (2, n) and np.all(np.isfinite(pm))
    coefficients = basis.forward(mp)
    # the soft threshold zeroes most small-scale terms (exact zeros, up to the DCT round trip)
    assert np.mean(np.abs(coefficients) < 1e-12) > 0.5


def test_sampling_moments():
    prior = Laplace(1.0, 2.0)
    x = prior.sample(200_000, np.random.default_rng(1))[:, 0]
    # standard errors: sd/sqrt(n) = 2.83/447 = 0.0063 for the mean; Var of x^2 ~ 20 b^4 ->
    # se(var) ~ sqrt(20 * 16)/447 = 0.04; 5 standard errors
    assert abs(x.mean() - 1.0) < 5 * 0.0064
    assert abs(x.var() - 8.0) < 5 * 0.04


def test_cdf_and_tail_masses():
    prior = Laplace(1.0, 2.0)
    t = np.array([-100.0, -1.0, 1.0, 3.0, 100.0])
    expected = np.where(t < 1, 0.5 * np.exp((t - 1) / 2), 1 - 0.5 * np.exp(-(t - 1) / 2))
    np.testing.assert_allclose(prior.cdf(t), expected, rtol=1e-15)
    below, above = prior.tail_masses(-100.0, 100.0)
    assert below == pytest.approx(0.5 * np.exp(-50.5), rel=1e-14)
    assert above == pytest.approx(0.5 * np.exp(-49.5), rel=1e-14)
    np.testing.assert_array_equal(prior.kinks(), [1.0])


def test_bad_input():
    with pytest.raises(ValueError, match="scale"):
        Laplace(0.0, 0.0)
    with pytest.raises(ValueError, match="loc"):
        Laplace([0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="scale"):
        Laplace(0.0, np.nan)
    with pytest.raises(ValueError, match="scales"):
        TransformLaplaceProduct(np.array([1.0, -1.0]), DCTBasis(2))
