"""exact_posterior_mean / exact_map against brute-force 30-digit quadrature and root finding.

The brute-force side writes each density out again in mpmath (it never calls invlin), integrates
the posterior with mpmath.quad (30 digits) and solves the MAP equation with mpmath.findroot from a
fine grid search. Tolerances: the posterior mean's stated bound PM_ACCURACY = 1e-11 (quadrature);
the MAP's 1e-10 (map_estimate stops at a relative gradient 1e-12, i.e. an error of about
1e-12 |x| times the condition of the posterior curvature, < 1e2 here).
"""

import mpmath as mp
import numpy as np
import pytest

from invlin.priors import GaussianMixture, Gumbel, LogisticProduct
from invlin.references import exact_map, exact_posterior_mean
from invlin.references.reconstruction import PM_ACCURACY

MAP_TOL = 1e-10
mp.mp.dps = 30


def gumbel_log(location, scale):
    def log_p(x):
        u = (x - mp.mpf(location)) / mp.mpf(scale)
        return -(u + mp.exp(-u)) - mp.log(mp.mpf(scale))
    return log_p


def logistic_log(loc, scale):
    def log_p(x):
        u = abs(x - mp.mpf(loc)) / mp.mpf(scale)
        return -u - 2 * mp.log(1 + mp.exp(-u)) - mp.log(mp.mpf(scale))
    return log_p


def mixture_log(weights, means, stds):
    def log_p(x):
        return mp.log(sum(
            mp.mpf(w) * mp.npdf(x, mp.mpf(m), mp.mpf(s)) for w, m, s in zip(weights, means, stds)
        ))
    return log_p


CASES = {
    "gumbel": (Gumbel(0.3, 0.8), gumbel_log(0.3, 0.8)),
    "logistic": (LogisticProduct([0.7], loc=[0.2]), logistic_log(0.2, 0.7)),
    "asymmetric-mixture": (
        GaussianMixture([0.3, 0.7], [[-1.0], [1.5]], [[[0.25]], [[0.64]]]),
        mixture_log([0.3, 0.7], [-1.0, 1.5], [0.5, 0.8]),
    ),
}
SETTINGS = [(1.0, 0.5), (2.0, 0.1), (0.7, 1.0)]
DATA = np.array([-2.0, 0.3, 3.0])


def brute_posterior_mean(log_p, a, delta, y):
    a, delta, y = mp.mpf(a), mp.mpf(delta), mp.mpf(y)

    def weight(x):
        return mp.exp(log_p(x) - (a * x - y) ** 2 / (2 * delta**2))

    points = [-40, -10, -3, -1, 0, 1, 3, 10, 40]
    return float(mp.quad(lambda x: x * weight(x), points) / mp.quad(weight, points))


def brute_map(log_p, a, delta, y):
    def objective(x):
        return (mp.mpf(a) * x - mp.mpf(y)) ** 2 / 2 - mp.mpf(delta) ** 2 * log_p(x)

    grid = np.linspace(-8, 8, 3201)
    best = grid[int(np.argmin([float(objective(mp.mpf(g))) for g in grid]))]
    root = mp.findroot(lambda x: mp.diff(objective, x), mp.mpf(best))
    return float(root)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("a, delta", SETTINGS)
def test_posterior_mean_matches_brute_force_quadrature(name, a, delta):
    prior, log_p = CASES[name]
    pm = exact_posterior_mean(prior, a, delta, DATA, "y")
    brute = [brute_posterior_mean(log_p, a, delta, y) for y in DATA]
    np.testing.assert_allclose(pm, brute, rtol=0, atol=PM_ACCURACY)


@pytest.mark.parametrize("name", sorted(CASES))
def test_map_matches_brute_force_root(name):
    prior, log_p = CASES[name]
    a, delta = 1.0, 0.5
    x_map = exact_map(prior, a, delta, DATA, "y")
    brute = [brute_map(log_p, a, delta, y) for y in DATA]
    np.testing.assert_allclose(x_map, brute, rtol=0, atol=MAP_TOL)


def test_z_form_is_the_y_form_at_z_over_a():
    # z = a y carries the same information: E[x | z] = E[x | y = z/a] (to rounding, 1e-14).
    prior = CASES["gumbel"][0]
    a = -1.7  # the z-form accepts a < 0
    pm_z = exact_posterior_mean(prior, a, 0.4, DATA, "z")
    # y = z/a; (a x - y)^2 = (|a| x - (-y))^2, so the y-form with |a| at -y is the same posterior.
    pm_y = exact_posterior_mean(prior, abs(a), 0.4, -DATA / a, "y")
    np.testing.assert_allclose(pm_z, pm_y, rtol=0, atol=1e-13)


def test_posterior_mean_and_map_are_distinguishable_on_the_gumbel_prior():
    # Negative control for the brute-force comparison: with the MAP in place of the PM the
    # check fails, the two differ by far more than the tolerance (here by > 1e-3).
    prior, log_p = CASES["gumbel"]
    a, delta = 1.0, 0.5
    x_map = exact_map(prior, a, delta, DATA, "y")
    brute_pm = [brute_posterior_mean(log_p, a, delta, y) for y in DATA]
    assert np.max(np.abs(x_map - brute_pm)) > 1e-3
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(x_map, brute_pm, rtol=0, atol=PM_ACCURACY)


def test_validation():
    prior = CASES["gumbel"][0]
    with pytest.raises(ValueError, match="form"):
        exact_posterior_mean(prior, 1.0, 0.5, DATA, "z-weighted")
    with pytest.raises(ValueError, match="delta"):
        exact_map(prior, 1.0, 0.0, DATA)
    with pytest.raises(ValueError, match="a must be"):
        exact_map(prior, 0.0, 0.5, DATA)
    with pytest.raises(ValueError, match="1-D array"):
        exact_posterior_mean(prior, 1.0, 0.5, DATA[:, None])
    with pytest.raises(ValueError, match="1-D"):
        exact_posterior_mean(LogisticProduct([1.0, 1.0]), 1.0, 0.5, DATA)
