"""StudentT: closed forms against SymPy and SciPy, capabilities, validation."""

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from invlin.priors import StudentT


def sympy_derivatives(nu, loc, scale, t):
    """l, l', l'', l''' of the Student-t log-density by SymPy (independent of invlin)."""
    s = sp.Symbol("s", real=True)
    n = sp.nsimplify(nu)
    u = (s - sp.nsimplify(loc)) / sp.nsimplify(scale)
    expr = (sp.loggamma((n + 1) / 2) - sp.loggamma(n / 2) - sp.log(n * sp.pi) / 2
            - sp.log(sp.nsimplify(scale)) - (n + 1) / 2 * sp.log(1 + u**2 / n))
    rows = [expr] + [sp.diff(expr, s, k) for k in (1, 2, 3)]
    return np.array([[float(r.subs(s, sp.nsimplify(v)).evalf(30)) for v in t] for r in rows])


@pytest.mark.parametrize("nu, loc, scale", [(1.0, 0.0, 1.0), (2.5, -0.7, 0.4), (7.0, 1.5, 2.0)])
def test_log_density_derivatives_match_sympy(nu, loc, scale):
    prior = StudentT(nu, loc, scale)
    t = np.array([-9.0, -1.3, 0.2, loc, 2.9, 40.0])
    got = prior.log_density_derivatives(t)
    want = sympy_derivatives(nu, loc, scale, t)
    # closed forms in float64: a few eps relative to the terms' size
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(prior.score(t[:, None])[:, 0], want[1], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(prior.hessian(t[:, None])[:, 0, 0], want[2], rtol=1e-13,
                               atol=1e-15)
    # negative control: another nu differs at the same precision
    wrong = StudentT(nu * 1.01, loc, scale).log_density_derivatives(t)
    assert np.max(np.abs(wrong[1:] - want[1:])) > 1e-6


def test_logpdf_cdf_and_tail_masses_match_scipy():
    prior = StudentT(3.0, 0.5, 1.5)
    law = stats.t(3.0, loc=0.5, scale=1.5)
    t = np.array([-1e4, -30.0, -2.0, 0.5, 3.0, 50.0, 1e5])
    np.testing.assert_allclose(prior.logpdf(t[:, None]), law.logpdf(t), rtol=1e-13)
    np.testing.assert_allclose(prior.cdf(t), law.cdf(t), rtol=1e-13)
    low, high = prior.tail_masses(-1e4, 1e5)
    # the survival function without cancellation: relative accuracy in the far tail
    np.testing.assert_allclose([low, high], [law.cdf(-1e4), law.sf(1e5)], rtol=1e-12)
    assert high < 1e-14  # 1 - F(1e5) would have lost it to rounding
    # the density integrates to 1 (normalisation in closed form)
    total = integrate.quad(lambda v: np.exp(prior.logpdf(np.array([[v]]))[0]), -np.inf, np.inf,
                           epsabs=0, epsrel=1e-12)[0]
    assert abs(total - 1.0) < 1e-10  # quad's stated accuracy
    with pytest.raises(AssertionError):  # negative control: a wrong scale is told apart
        np.testing.assert_allclose(StudentT(3.0, 0.5, 1.6).cdf(t), law.cdf(t), rtol=1e-13)


def test_moments_and_sampling():
    prior = StudentT(6.0, 1.0, 2.0)
    assert prior.mean[0] == 1.0
    assert prior.covariance[0, 0] == pytest.approx(4.0 * 6.0 / 4.0, rel=1e-15)
    assert np.isnan(StudentT(1.0).mean[0]) and np.isinf(StudentT(2.0).covariance[0, 0])
    x = prior.sample(200_000, np.random.default_rng(0))[:, 0]
    # Kolmogorov-Smirnov against the cdf: the 1e-4 level statistic for n = 2e5 is 4.3e-3
    grid = np.sort(x)
    ks = np.max(np.abs(prior.cdf(grid) - np.arange(1, grid.size + 1) / grid.size))
    assert ks < 4.3e-3
    shifted = np.max(np.abs(StudentT(6.0, 1.05, 2.0).cdf(grid) - np.arange(1, grid.size + 1)
                            / grid.size))
    assert shifted > 4.3e-3  # negative control: a shifted law is rejected


def test_invalid_parameters_raise():
    for bad in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError):
            StudentT(bad)
    with pytest.raises(ValueError):
        StudentT(3.0, scale=0.0)
    with pytest.raises(ValueError):
        StudentT(3.0, loc=[0.0, 1.0])
    assert not StudentT(3.0).is_log_concave
