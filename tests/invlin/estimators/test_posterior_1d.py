"""The generic 1-D route: PM and all local MAPs against brute force that does not use invlin."""

import numpy as np
import pytest
from scipy import optimize, stats

from invlin.estimators import map_estimate, posterior_mean
from invlin.priors import GaussianMixture, StudentT, from_logpdf
from invlin.problem import LinearInverseProblem


def student_logpdf(x, nu, scale):
    return stats.t.logpdf(x, nu, scale=scale)


def brute_force_pm(logpdf, a, delta, y, lo=-400.0, hi=400.0, n=2_000_001):
    """Posterior means on a uniform grid (trapezoid; spacing 4e-4, tails cut at +-400)."""
    grid = np.linspace(lo, hi, n)
    lp = logpdf(grid)
    out = []
    for value in y:
        lq = lp - 0.5 * ((a * grid - value) / delta) ** 2
        q = np.exp(lq - lq.max())
        out.append(np.sum(q * grid) / np.sum(q))
    return np.array(out)


def brute_force_minima(logpdf, a, delta, y, lo=-30.0, hi=30.0, n=600_001):
    """All local minimisers of (a x - y)^2/2 - delta^2 log p by a grid and Brent polishing."""
    grid = np.linspace(lo, hi, n)

    def f(x):
        return 0.5 * (a * x - y) ** 2 - delta**2 * logpdf(x)

    values = f(grid)
    inner = np.flatnonzero((values[1:-1] < values[:-2]) & (values[1:-1] < values[2:])) + 1
    minima = []
    for i in inner:
        res = optimize.minimize_scalar(f, bracket=(grid[i - 1], grid[i], grid[i + 1]),
                                       method="brent", tol=1e-14)
        minima.append((res.fun, res.x))
    return sorted(minima)


@pytest.mark.parametrize("by_logpdf", [False, True])
@pytest.mark.parametrize("nu, scale, delta", [(1.0, 1.0, 3.0), (5.0, 0.7, 0.5), (3.0, 1.0, 0.8)])
def test_student_t_posterior_mean_matches_a_brute_force_grid(nu, scale, delta, by_logpdf):
    # the built-in class, or from_logpdf of the unnormalised log-density (no derivatives)
    prior = (from_logpdf(lambda t: -(nu + 1) / 2 * np.log1p((t / scale) ** 2 / nu)) if by_logpdf
             else StudentT(nu, 0.0, scale))
    y = np.array([-7.0, -1.2, 0.0, 0.4, 3.3, 8.8, 25.0])
    got = posterior_mean(LinearInverseProblem([[1.0]], delta, prior), y[:, None])[:, 0]
    want = brute_force_pm(lambda x: student_logpdf(x, nu, scale), 1.0, delta, y)
    # the brute-force trapezoid (spacing 4e-4 on a smooth integrand, tails beyond +-400 below
    # e^{-(400 - 25)^2 / (2 * 9)}) agrees to rounding of its 2e6-term sums, ~1e-12
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    wrong = posterior_mean(LinearInverseProblem([[1.0]], delta * 1.001, prior), y[:, None])[:, 0]
    assert np.max(np.abs(wrong - want)) > 1e-6  # negative control: another delta is told apart


@pytest.mark.parametrize("by_logpdf", [False, True])
def test_map_reports_both_modes_and_the_global_one_at_a_near_tie(by_logpdf):
    nu, scale, delta, a = 1.0, 1.0, 3.0, 1.0
    logpdf = lambda x: student_logpdf(x, nu, scale)  # noqa: E731

    def gap(y):
        """f(right mode) - f(left mode), brute force."""
        (f0, x0), (f1, x1) = brute_force_minima(logpdf, a, delta, y, n=60_001)
        return (f1 - f0) if x1 > x0 else (f0 - f1)

    # the measurement where the two modes tie (Brent on the brute-force objective gap)
    tie = optimize.brentq(gap, 8.5, 9.5, xtol=1e-12)
    prior = (from_logpdf(lambda t: -np.log1p(t * t)) if by_logpdf else StudentT(nu, 0.0, scale))
    problem = LinearInverseProblem([[a]], delta, prior)
    for y in (tie - 1e-4, tie + 1e-4):
        want = brute_force_minima(logpdf, a, delta, y)
        assert len(want) == 2
        x, info = map_estimate(problem, np.array([[y]]), return_info=True)
        assert info.n_local_minima[0] == 2
        got = info.local_minima[0, :, 0]
        # Brent to 1e-14 on both sides; Newton to the relative gradient tolerance 1e-12
        np.testing.assert_allclose(got, [m[1] for m in want], rtol=1e-8, atol=1e-9)
        assert x[0, 0] == got[0]
        # the objective gap at 1e-4 from the tie is ~1e-4 (|df_gap/dy| ~ the modes' distance)
        assert abs(want[1][0] - want[0][0]) < 1e-3
        assert info.unique[0]
    # the global mode switches across the tie (negative control for "which one is global")
    below = map_estimate(problem, np.array([[tie - 1e-4]]))[0, 0]
    above = map_estimate(problem, np.array([[tie + 1e-4]]))[0, 0]
    assert above - below > 1.0


def test_unequal_variance_mixture_finds_every_local_minimum():
    prior = GaussianMixture([0.3, 0.7], [[-1.0], [2.0]], [[[0.1]], [[1.5]]])

    def logpdf(x):  # by SciPy, independent of invlin
        x = np.asarray(x, dtype=float)
        return np.logaddexp(np.log(0.3) + stats.norm.logpdf(x, -1.0, np.sqrt(0.1)),
                            np.log(0.7) + stats.norm.logpdf(x, 2.0, np.sqrt(1.5)))

    delta = 0.5
    problem = LinearInverseProblem([[1.0]], delta, prior)
    counts = []
    for y in np.linspace(-3.0, 4.0, 15):
        want = brute_force_minima(logpdf, 1.0, delta, y, lo=-10, hi=10, n=200_001)
        _, info = map_estimate(problem, np.array([[y]]), return_info=True)
        assert info.n_local_minima[0] == len(want)
        np.testing.assert_allclose(info.local_minima[0, : len(want), 0], [m[1] for m in want],
                                   rtol=1e-8, atol=1e-9)
        counts.append(len(want))
    assert max(counts) == 2 and min(counts) == 1  # both regimes were exercised
