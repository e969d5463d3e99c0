"""Function-space derivations: negative controls (the zero checks can fail) and numeric cross-checks."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from theory import function_space as fs
from theory import symbols as S


def test_stein_gap_is_nonzero_for_a_wrong_score_sign():
    # E[phi'] - E[phi (log p)'] = 2 E[phi'] != 0 for phi = x: a control that the check can fail.
    p = fs.density("gaussian")
    wrong = sp.integrate((1 - S.x * sp.diff(sp.log(p), S.x)) * p, (S.x, -sp.oo, sp.oo))
    assert sp.simplify(wrong) == 2
    assert fs.stein_gap("gaussian", S.x**3) == 0


@pytest.mark.parametrize("prior,phi", [("logistic", np.tanh), ("mixture", np.sin)])
def test_stein_identity_by_quadrature(prior, phi):
    values = {S.m: 1.5, S.tau: 0.7}
    p = sp.lambdify(S.x, fs.density(prior).subs(values), "numpy")
    score = sp.lambdify(S.x, fs.score(prior).subs(values), "numpy")
    dphi = {np.tanh: lambda x: 1 - np.tanh(x) ** 2, np.sin: np.cos}[phi]
    lhs = quad(lambda x: dphi(x) * p(x), -40, 40, epsabs=1e-13)[0]
    rhs = -quad(lambda x: phi(x) * score(x) * p(x), -40, 40, epsabs=1e-13)[0]
    assert lhs == pytest.approx(rhs, abs=1e-10)  # quadrature accuracy ~1e-13; tails < 1e-15


def test_tweedie_residual_fails_with_a_wrong_constant():
    resid = fs.tweedie_residual("mixture")
    wrong = resid - S.delta**2 * sp.diff(sp.log(fs.mixture_data_density()), S.y)  # 2 delta^2
    point = {S.a: 1.3, S.m: 1.0, S.tau: 0.5, S.delta: 0.4, S.y: 0.7}
    assert abs(float(resid.subs(point))) < 1e-12  # exact identity, float evaluation
    assert abs(float(wrong.subs(point))) > 1e-3


def test_mixture_pm_matches_quadrature():
    point = {S.a: 1.3, S.m: 1.0, S.tau: 0.5, S.delta: 0.4}
    y0 = 0.7
    prior = sp.lambdify(S.x, fs.density("mixture").subs(point), "numpy")
    a, d = point[S.a], point[S.delta]
    like = lambda x: np.exp(-((y0 - a * x) ** 2) / (2 * d**2))
    num = quad(lambda x: x * prior(x) * like(x), -10, 10, epsabs=1e-14)[0]
    den = quad(lambda x: prior(x) * like(x), -10, 10, epsabs=1e-14)[0]
    closed = float(fs.mixture_posterior_mean().subs(point).subs(S.y, y0))
    assert closed == pytest.approx(num / den, rel=1e-10)  # quadrature relative accuracy ~1e-13


def test_mixture_counterexample_numerically():
    values = {S.a: 1, S.m: 2, S.tau: 1, S.delta: 1}
    phi = sp.lambdify(S.x, fs.divergence_minimiser(sp.log(fs.density("mixture"))).subs(values), "numpy")
    xs = np.linspace(-4, 4, 8001)
    ys = phi(xs)
    assert np.any(np.diff(ys) < 0)  # not monotone
    # three distinct points with the same image 0: 0 and +-x0, x0 from a sign change
    sign_changes = np.flatnonzero(np.sign(ys[:-1]) * np.sign(ys[1:]) < 0)
    assert len(sign_changes) >= 2
    threshold = fs.mixture_log_hessian()[1].subs(S.x, 0).subs(values)
    assert float(1 - threshold) == pytest.approx(np.gradient(ys, xs)[4000], abs=1e-5)  # FD error ~h^2


def test_mixture_invertible_at_low_noise():
    values = {S.a: 1, S.m: 2, S.tau: 1, S.delta: 0.1}
    phi = sp.lambdify(S.x, fs.divergence_minimiser(sp.log(fs.density("mixture"))).subs(values), "numpy")
    xs = np.linspace(-6, 6, 12001)
    assert np.all(np.diff(phi(xs)) > 0)


def test_logdet_series_residual_detects_a_wrong_coefficient():
    J = sp.Matrix(2, 2, sp.symbols("j0:4"))
    eps = S.epsilon
    ser = sp.series(sp.log((sp.eye(2) + eps * J).det()), eps, 0, 3).removeO()
    wrong = eps * J.trace() - eps**2 * (J**2).trace()  # coefficient -1 instead of -1/2
    assert sp.expand(ser - wrong) != 0
    assert fs.logdet_series_residual(dim=2, order=3) == 0


def test_logdet_first_variation_detects_a_wrong_constant():
    _, transported, expected = fs.logdet_first_variation("y")
    assert sp.simplify(transported - expected) == 0
    assert sp.simplify(transported - expected.subs(S.c, 2 * S.c)) != 0


def test_mixture_min_slope_is_the_grid_minimum_of_phi_star_prime():
    minimum, _ = fs.mixture_min_slope()
    values = {S.a: 1.1, S.m: 1.5, S.tau: 0.8, S.delta: 0.6}
    slope = sp.lambdify(S.x, sp.diff(fs.divergence_minimiser(sp.log(fs.density("mixture"))), S.x)
                        .subs(values), "numpy")
    grid = np.linspace(-6, 6, 2401)  # contains x = 0
    # float evaluation of the same expression: agreement to rounding (1e-12)
    assert slope(grid).min() == pytest.approx(float(minimum.subs(values)), abs=1e-12)


def test_wrong_threshold_refutes_divergence_invertibility(monkeypatch):
    from theory.claims import ClaimResult
    from theory.claims import _function_space as claims_fs

    original = fs.mixture_min_slope
    monkeypatch.setattr(fs, "mixture_min_slope",
                        lambda: (original()[0] - S.delta**2 / S.tau**2, original()[1]))  # drops +1/tau^2
    (claim,) = [c for c in claims_fs.claims() if c.id == "divergence-invertibility"]
    assert ClaimResult.from_evidence(claim.id, claim._check()).status == "refuted"


@pytest.mark.parametrize("form,expected", [
    ("y", S.a * S.x - S.delta**2 * sp.Symbol("g")),
    ("z", S.a**2 * S.x - S.delta**2 * sp.Symbol("g")),
    ("z-weighted", S.a**2 * (S.x - S.delta**2 * sp.Symbol("g"))),
])
def test_divergence_minimiser_per_form(form, expected):
    log_p = sp.Function("log_p")(S.x)
    value = fs.divergence_minimiser(log_p, form=form).subs(sp.Derivative(log_p, S.x), sp.Symbol("g"))
    assert sp.expand(value - expected) == 0
