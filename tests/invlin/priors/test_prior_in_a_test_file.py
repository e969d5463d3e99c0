"""A prior defined here, not in invlin/, runs through PM, MAP, references and population training.

The hyperbolic-secant law p(t) = sech(pi t / 2) / 2 (mean 0, variance 1, log-concave, smooth):
only the abstract methods of :class:`invlin.priors.Prior` are written, no capability. A subclass
adds one capability (its tail masses) to show that the quadrature then uses it. Brute force
(SciPy, never invlin) gives the references the results are checked against.
"""

import numpy as np
import pytest
from scipy import integrate, optimize

from invlin import LinearInverseProblem, map_estimate, posterior_mean
from invlin.losses import prior_support
from invlin.priors import Prior
from invlin.references import exact_map, exact_posterior_mean, function_space_optimum
from invlin.training import fit_population_1d

HALF_PI = np.pi / 2


class HyperbolicSecant(Prior):
    """p(t) = sech(pi t / 2) / 2; l' = -(pi/2) tanh(pi t/2), l'' = -(pi^2/4) sech^2(pi t/2)."""

    dim = 1

    def logpdf(self, x):
        x, single = self._points(x)
        u = np.abs(HALF_PI * x[:, 0])
        # log sech(u) = -u - log((1 + e^{-2u}) / 2), without overflow
        return self._shape_result(-np.log(2.0) - u - np.log1p(np.exp(-2 * u)) + np.log(2.0),
                                  single)

    def score(self, x):
        x, single = self._points(x)
        return self._shape_result(-HALF_PI * np.tanh(HALF_PI * x), single)

    def hessian(self, x):
        x, single = self._points(x)
        return self._shape_result((-HALF_PI**2 / np.cosh(HALF_PI * x) ** 2)[:, :, None], single)

    def sample(self, n_samples, rng):
        u = rng.random((n_samples, 1))
        return np.log(np.tan(HALF_PI * u)) / HALF_PI

    def marginal(self, v):
        return self  # symmetric: the law of -t is the same

    @property
    def is_log_concave(self):
        return True

    @property
    def mean(self):
        return np.zeros(1)

    @property
    def covariance(self):
        return np.ones((1, 1))

    def mode_candidates(self):
        return np.zeros((1, 1))


class HyperbolicSecantWithTails(HyperbolicSecant):
    """The same law, declaring its tail masses: P(X > t) = (2/pi) arctan(e^{-pi t/2})."""

    def tail_masses(self, lo, hi):
        return (2 / np.pi * np.arctan(np.exp(HALF_PI * lo)),
                2 / np.pi * np.arctan(np.exp(-HALF_PI * hi)))


def density(t):
    return 0.5 / np.cosh(HALF_PI * t)


def brute_pm(a, delta, y):
    window = (y / a - 12 * delta / a, y / a + 12 * delta / a)  # the likelihood to e^-72
    num = integrate.quad(lambda t: t * density(t) * np.exp(-0.5 * ((a * t - y) / delta) ** 2),
                         *window, epsabs=1e-15, epsrel=1e-12, limit=200)[0]
    den = integrate.quad(lambda t: density(t) * np.exp(-0.5 * ((a * t - y) / delta) ** 2),
                         *window, epsabs=0, epsrel=1e-12, limit=200)[0]
    return num / den


def brute_map(a, delta, y):
    """The root of the objective's derivative (increasing: log-concave prior), Brent to 1e-15."""
    g = lambda t: a * (a * t - y) + delta**2 * HALF_PI * np.tanh(HALF_PI * t)  # noqa: E731
    return optimize.brentq(g, -30.0, 30.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)


A, DELTA = 1.3, 0.6
Y = np.linspace(-4.0, 4.0, 9)


@pytest.mark.parametrize("prior", [HyperbolicSecant(), HyperbolicSecantWithTails()])
def test_pm_and_map_match_brute_force(prior):
    problem = LinearInverseProblem([[A]], DELTA, prior)
    pm = posterior_mean(problem, Y[:, None])[:, 0]
    mapx = map_estimate(problem, Y[:, None])[:, 0]
    want_pm = np.array([brute_pm(A, DELTA, y) for y in Y])
    want_map = np.array([brute_map(A, DELTA, y) for y in Y])
    # quad at 1e-12 relative (1e-15 absolute on the numerator); Brent on the derivative at
    # 1e-15; the estimators to ~1e-14 (window rule, Newton)
    np.testing.assert_allclose(pm, want_pm, rtol=0, atol=1e-11)
    np.testing.assert_allclose(mapx, want_map, rtol=0, atol=1e-10)
    assert np.max(np.abs(pm - mapx)) > 1e-3  # the two estimators are distinct here
    np.testing.assert_allclose(exact_posterior_mean(prior, A, DELTA, Y), pm, rtol=0, atol=1e-14)
    np.testing.assert_allclose(exact_map(prior, A, DELTA, Y), mapx, rtol=0, atol=1e-14)


def test_function_space_optima_and_population_training():
    prior = HyperbolicSecantWithTails()
    y = np.linspace(-3.0, 3.0, 61)
    pm = np.array([brute_pm(A, DELTA, v) for v in y])
    mapx = np.array([brute_map(A, DELTA, v) for v in y])
    separation = np.max(np.abs(pm - mapx))
    z = A * y  # the z-form: the divergence inverse is the MAP to all orders there
    for loss, target in (("reconstruction", pm), ("divergence", mapx)):
        optimum = function_space_optimum(prior, A, DELTA, loss, form="z")
        np.testing.assert_allclose(optimum.inverse(z), target, rtol=0, atol=1e-9)
        model, fit = fit_population_1d(prior, A, DELTA, loss, form="z")
        assert fit.converged
        learned = model.inverse(z[:, None])[:, 0]
        assert np.max(np.abs(learned - target)) <= 0.01 * separation
        other = mapx if loss == "reconstruction" else pm
        assert np.max(np.abs(learned - other)) > 0.5 * separation  # negative control


def test_quadrature_uses_the_declared_tail_masses():
    plain = prior_support(HyperbolicSecant(), 1e-15)
    declared = prior_support(HyperbolicSecantWithTails(), 1e-15)
    # the declared masses are exact: the cut is where they equal the tolerance
    assert declared[2] == pytest.approx(2e-15, rel=1e-6)
    # the concavity bound p(R)/|l'(R)| = (2/pi) sech(pi R/2) > the exact tail: a wider cut
    assert plain[1] > declared[1]
