"""from_logpdf: numeric normalisation, moments, CDF, derivatives and sampling, stated accuracy."""

import numpy as np
import pytest
from scipy import stats

from invlin.estimators import map_estimate, posterior_mean
from invlin.priors import GaussianMixture, Gumbel, LogisticProduct, StudentT, from_logpdf
from invlin.priors._support import tail_cuts
from invlin.priors.from_logpdf import DERIVATIVE_ACCURACY
from invlin.problem import LinearInverseProblem


def student_unnormalised(nu, loc, scale):
    return lambda t: -(nu + 1) / 2 * np.log1p(((t - loc) / scale) ** 2 / nu)


# closed-form priors and their unnormalised log-densities (no derivatives given)
CASES = {
    "student-1": (StudentT(1.0, 0.3, 1.2), student_unnormalised(1.0, 0.3, 1.2)),
    "student-5": (StudentT(5.0, -1.0, 0.5), student_unnormalised(5.0, -1.0, 0.5)),
    "logistic": (LogisticProduct([0.7], loc=[0.4]),
                 lambda t: -np.abs(t - 0.4) / 0.7 - 2 * np.log1p(np.exp(-np.abs(t - 0.4) / 0.7))),
    "gumbel": (Gumbel(0.5, 1.3), lambda t: -((t - 0.5) / 1.3 + np.exp(-(t - 0.5) / 1.3))),
    "mixture": (GaussianMixture([0.3, 0.7], [[-1.0], [2.0]], [[[0.1]], [[1.5]]]),
                lambda t: np.logaddexp(np.log(0.3) + stats.norm.logpdf(t, -1.0, np.sqrt(0.1)),
                                       np.log(0.7) + stats.norm.logpdf(t, 2.0, np.sqrt(1.5)))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_normalisation_moments_and_cdf_match_the_closed_forms(name):
    exact, logpdf = CASES[name]
    prior = from_logpdf(lambda t: logpdf(t) + 123.0)  # an arbitrary constant
    t = np.linspace(-6.0, 8.0, 57)
    # the rule's stated error (rule_error, ~1e-16) plus rounding of sums of ~1e4 terms
    np.testing.assert_allclose(prior.logpdf(t[:, None]), exact.logpdf(t[:, None]), rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(prior.cdf(t), exact.cdf(t), rtol=0, atol=1e-13)
    assert prior.rule_error < 1e-14
    if np.isfinite(exact.covariance[0, 0]):
        np.testing.assert_allclose(prior.mean, exact.mean, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(prior.covariance, exact.covariance, rtol=1e-8)
    # tail masses of 1e-20 (inside the rule, which reaches 1e-30): summed from the tail, not
    # 1 - F, so relative accuracy holds (rule error ~1e-16 of the mass, relative to the panel
    # masses summed there ~1e-6)
    lo, hi = tail_cuts(exact, 1e-20)[:2]
    np.testing.assert_allclose(prior.tail_masses(lo, hi), exact.tail_masses(lo, hi), rtol=1e-6)
    # at 1e-60, inside the rule: accurate to 1e-6 relative; beyond it: the power-law
    # extrapolation, an over-estimate for tails lighter than a power and accurate to the local
    # exponent's error (~1e-4 relative measured) for a Student-t
    lo, hi = tail_cuts(exact, 1e-60)[:2]
    got, want = prior.tail_masses(lo, hi), exact.tail_masses(lo, hi)
    assert all(g >= w * (1 - 1e-3) for g, w in zip(got, want))
    # negative control: a shifted density is told apart at these tolerances
    shifted = from_logpdf(lambda t: logpdf(t - 1e-6))
    assert np.max(np.abs(shifted.cdf(t) - exact.cdf(t))) > 1e-8


@pytest.mark.parametrize("name", sorted(CASES))
def test_numeric_derivatives_meet_the_stated_accuracy(name):
    exact, logpdf = CASES[name]
    prior = from_logpdf(logpdf)
    t = np.linspace(-5.0, 7.0, 97)
    got = prior.log_density_derivatives(t)
    want = exact.log_density_derivatives(t)
    r = prior.resolution()
    for k in (1, 2, 3):
        error = np.abs(got[k] - want[k]) / (np.abs(want[k]) + r**-k)
        assert np.max(error) <= DERIVATIVE_ACCURACY[k], (k, np.max(error))
    np.testing.assert_array_equal(prior.score(t[:, None])[:, 0], prior._first_derivative(t))
    # negative control: a plain central difference at the same first step misses the bound
    h = 0.1 * r
    plain = (logpdf(t + h) - logpdf(t - h)) / (2 * h)
    assert np.max(np.abs(plain - want[1]) / (np.abs(want[1]) + 1 / r)) > DERIVATIVE_ACCURACY[1]


def test_pm_and_map_agree_with_student_t_to_1e8_on_a_grid():
    y = np.linspace(-25.0, 25.0, 201)[:, None]
    for nu, delta in [(1.0, 3.0), (3.0, 0.8), (5.0, 0.5)]:
        exact = StudentT(nu, 0.3, 1.2)
        numeric = from_logpdf(student_unnormalised(nu, 0.3, 1.2))
        p1 = LinearInverseProblem([[1.0]], delta, exact)
        p2 = LinearInverseProblem([[1.0]], delta, numeric)
        pm1, pm2 = posterior_mean(p1, y), posterior_mean(p2, y)
        (x1, i1), (x2, i2) = map_estimate(p1, y, return_info=True), map_estimate(p2, y,
                                                                                return_info=True)
        scale = np.maximum(np.abs(pm1), 1.0)  # relative, with the unit scale near 0
        assert np.max(np.abs(pm1 - pm2) / scale) <= 1e-8
        assert np.max(np.abs(x1 - x2) / np.maximum(np.abs(x1), 1.0)) <= 1e-8
        np.testing.assert_array_equal(i1.n_local_minima, i2.n_local_minima)
    # negative control: another scale is told apart at 1e-8
    other = LinearInverseProblem([[1.0]], 0.5, from_logpdf(student_unnormalised(5.0, 0.3, 1.2001)))
    assert np.max(np.abs(posterior_mean(other, y) - pm1)) > 1e-8


def test_given_derivatives_are_used():
    nu = 4.0
    exact = StudentT(nu)
    prior = from_logpdf(student_unnormalised(nu, 0.0, 1.0),
                        score=lambda t: exact.score(t[:, None])[:, 0],
                        hessian=lambda t: exact.hessian(t[:, None])[:, 0, 0])
    t = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(prior.score(t[:, None]), exact.score(t[:, None]))
    np.testing.assert_array_equal(prior.hessian(t[:, None]), exact.hessian(t[:, None]))


def test_sampling_by_inverse_cdf():
    exact = StudentT(3.0, 0.3, 1.2)
    prior = from_logpdf(student_unnormalised(3.0, 0.3, 1.2))
    u = np.array([1e-12, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9])
    # quantiles to |F(t) - u| <= 1e-13 plus the CDF's error (1e-13): t within 2e-13 / p(t)
    want = stats.t.ppf(u, 3.0, loc=0.3, scale=1.2)
    bound = 3e-13 / np.exp(exact.logpdf(want[:, None]))
    assert np.all(np.abs(prior.quantile(u) - want) <= bound)
    x = prior.sample(100_000, np.random.default_rng(4))[:, 0]
    grid = np.sort(x)
    ks = np.max(np.abs(exact.cdf(grid) - np.arange(1, grid.size + 1) / grid.size))
    assert ks < 6.2e-3  # the 1e-4 Kolmogorov-Smirnov level for n = 1e5
    wrong = np.max(np.abs(StudentT(3.0, 0.35, 1.2).cdf(grid) - np.arange(1, grid.size + 1)
                          / grid.size))
    assert wrong > 6.2e-3  # negative control


def test_bad_input_gets_a_clear_error():
    with pytest.raises(TypeError, match="callable"):
        from_logpdf(3.0)
    with pytest.raises(ValueError, match="nan"):
        from_logpdf(lambda t: np.where(t > 2.0, np.nan, -t**2))
    with pytest.raises(ValueError, match="finite"):
        from_logpdf(lambda t: np.where(np.abs(t - 1.0) < 0.3, np.inf, -t**2))
    with pytest.raises(ValueError, match="not integrable"):
        from_logpdf(lambda t: -0.5 * np.log1p(t**2))  # p ~ 1/|t|
    with pytest.raises(ValueError, match="not integrable"):
        from_logpdf(lambda t: np.zeros_like(t))  # flat
    with pytest.raises(ValueError, match="shape"):
        from_logpdf(lambda t: np.array([0.0]))
    with pytest.raises(ValueError, match="loc"):
        from_logpdf(lambda t: np.where(t > 1.0, -t, -np.inf))
    # a density vanishing outside an interval is fine with a loc inside it
    box = from_logpdf(lambda t: np.where(np.abs(t - 2.0) < 1.0, 0.0, -np.inf), loc=2.0,
                      kinks=[1.0, 3.0])
    np.testing.assert_allclose(box.cdf(np.array([1.5, 2.0, 2.5])), [0.25, 0.5, 0.75], atol=1e-12)


def test_sample_training_evaluate_and_a_sweep_cell(tmp_path, monkeypatch):
    from invlin import evaluate, train
    from invlin.models import DiagonalNet
    from invlin.priors import ProductPrior
    from invlin.sweep.cell import DEFAULTS, Cell, run_cell, validate_settings

    factor = from_logpdf(student_unnormalised(5.0, 0.0, 1.0))
    problem = LinearInverseProblem.diagonal([1.2, 0.7], 0.4, ProductPrior([factor, factor]))
    model = DiagonalNet(problem.right_singular_vectors, n_units=4)
    result = train(model, problem, "divergence", steps=300, seed=0, progress=False)
    # sample training runs on the numeric prior and lowers the loss (mean of the first and
    # last 50 minibatch losses; the noise of a 256-point minibatch mean is ~5%)
    assert np.mean(result.loss[-50:]) < np.mean(result.loss[:50])
    report = evaluate(model.inverse, problem, n=200, seed=1)
    assert np.isfinite(report.to_map) and np.isfinite(report.to_pm)
    # a sweep cell with the prior named "module:callable" (a module written for the test)
    (tmp_path / "t21_user_prior.py").write_text(
        "import numpy as np\nfrom invlin.priors import from_logpdf\n"
        "def student5():\n    return from_logpdf(lambda t: -3.0 * np.log1p(t**2 / 5.0))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = dict(DEFAULTS, prior="t21_user_prior:student5", model="diagonal_net", steps=50,
                    n_test=20)
    validate_settings(settings)
    row = run_cell(Cell.from_settings(settings))
    assert row["status"] == "OK", row["error"]
    with pytest.raises(ValueError, match="prior"):
        validate_settings(dict(DEFAULTS, prior="not a callable name"))
