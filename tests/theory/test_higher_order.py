"""Series beyond first order: closed forms, high-precision numerics, and negative controls."""

import mpmath
import pytest
import sympy as sp

from theory import function_space as fs
from theory import higher_order as ho
from theory import scalar as sc
from theory import symbols as S
from theory.claims import ClaimResult
from theory.claims import _higher_order as claims_ho

A_VALUE, T_VALUE = mpmath.mpf("1.3"), mpmath.mpf(1)  # a and the point t = y/a (logistic prior)


def _logistic_coefficients(series, order=2):
    """The delta^{2n} coefficients of ``series`` at the logistic prior, a = 1.3, y = a t."""
    at = ho.at_prior(series, "logistic").subs({S.a: sp.Float(A_VALUE, 40), S.y: sp.Float(A_VALUE * T_VALUE, 40)})
    return [sp.N(ho.coefficient(at, 2 * n), 40) for n in range(order + 1)]


def _logistic_log_density(x):
    return -x - 2 * mpmath.log(1 + mpmath.exp(-x))


def _posterior_mean(delta):
    """E[x | y] for the logistic prior by quadrature (40 digits), y = a t."""
    y, scale = A_VALUE * T_VALUE, delta / A_VALUE

    def weight(xi):  # x = t + scale xi; likelihood exp(-xi^2/2) exactly
        return mpmath.exp(_logistic_log_density(T_VALUE + scale * xi) - xi**2 / 2)

    with mpmath.workdps(40):
        nodes = [-40, -10, 0, 10, 40]
        z = mpmath.quad(weight, nodes)
        first = mpmath.quad(lambda xi: (T_VALUE + scale * xi) * weight(xi), nodes)
    assert y == A_VALUE * T_VALUE
    return first / z


def _map_estimate(delta):
    """Root of a(a x - y) - delta^2 l'(x) for the logistic prior (40 digits), y = a t."""
    y = A_VALUE * T_VALUE
    with mpmath.workdps(40):
        score = lambda x: mpmath.diff(_logistic_log_density, x)  # noqa: E731
        return mpmath.findroot(lambda x: A_VALUE * (A_VALUE * x - y) - delta**2 * score(x), T_VALUE)


@pytest.mark.parametrize("estimate,series", [(_posterior_mean, lambda: ho.posterior_mean_series(3)),
                                             (_map_estimate, lambda: ho.map_series(3))],
                         ids=["pm", "map"])
def test_delta4_coefficient_matches_high_precision_numerics(estimate, series):
    c0, c1, c2, c3 = _logistic_coefficients(series(), 3)
    delta = mpmath.mpf("1e-3")
    with mpmath.workdps(40):
        measured = (estimate(delta) - mpmath.mpf(str(c0)) - delta**2 * mpmath.mpf(str(c1))) / delta**4
    # The estimate is C_2 + C_3 delta^2 + O(delta^4): tolerance 10 |C_3| delta^2 (+ 1e-15 for the
    # 40-digit arithmetic, far below it).
    tolerance = 10 * abs(float(c3)) * float(delta) ** 2 + 1e-15
    assert abs(float(measured) - float(c2)) < tolerance
    # With the delta^6 term subtracted as well the remainder is O(delta^2) smaller still.
    assert abs(float(measured - delta**2 * mpmath.mpf(str(c3))) - float(c2)) < tolerance / 10


def test_pm_and_map_coefficients_are_told_apart_by_the_numerics():
    """Negative control: the MAP's delta^4 coefficient misses the quadrature PM by >> tolerance."""
    _, c1, c2_pm, c3 = _logistic_coefficients(ho.posterior_mean_series(3), 3)
    c2_map = _logistic_coefficients(ho.map_series(2))[2]
    delta = mpmath.mpf("1e-3")
    with mpmath.workdps(40):
        measured = (_posterior_mean(delta) - T_VALUE - delta**2 * mpmath.mpf(str(c1))) / delta**4
    tolerance = 10 * abs(float(c3)) * float(delta) ** 2
    assert abs(float(measured) - float(c2_map)) > 100 * tolerance
    assert abs(float(c2_pm - c2_map)) > 100 * tolerance


def _euler_lagrange_residual(series, delta, u_value=1.1):
    """a psi(u) - u - delta^2 (log q)'(u), q = p(psi) psi', for psi(u) = the series at y = u."""
    u = sp.Symbol("u_", real=True)
    psi = ho.at_prior(series, "logistic").subs(S.y, u)
    log_q = sp.log(fs.density("logistic", psi)) + sp.log(sp.diff(psi, u))
    residual = S.a * psi - u - S.delta**2 * sp.diff(log_q, u)
    f = sp.lambdify((S.a, S.delta, u), residual, "mpmath")
    with mpmath.workdps(50):
        return f(A_VALUE, mpmath.mpf(delta), mpmath.mpf(u_value))


def test_logdet_series_solves_the_euler_lagrange_equation_to_order_delta6():
    """Logistic prior: the truncated series leaves an O(delta^6) residual in the EL equation."""
    series = ho.logdet_inverse_series("y", 2)
    r1, r2 = (_euler_lagrange_residual(series, d) for d in ("0.02", "0.01"))
    # R = C delta^6 (1 + O(delta^2)): halving delta divides it by 64 (1 + O(4e-4)); the band
    # [48, 80] is wide against that correction and excludes 16 (an O(delta^4) residual).
    assert 48 < abs(r1 / r2) < 80


@pytest.mark.parametrize("wrong", ["pm", "map"])
def test_pm_or_map_series_do_not_solve_the_euler_lagrange_equation(wrong):
    """Negative control: with the PM's or the MAP's delta^4 term the residual is O(delta^4)."""
    series = ho.posterior_mean_series(2) if wrong == "pm" else ho.map_series(2)
    r1, r2 = (_euler_lagrange_residual(series, d) for d in ("0.02", "0.01"))
    assert 12 < abs(r1 / r2) < 20  # 16 (1 + O(delta^2))


def test_exact_logdet_instance_refutes_the_pm_and_map_coefficients():
    exact, log_prior = ho.logdet_exact_instance()
    for series in (ho.posterior_mean_series(2), ho.map_series(2)):
        residual = ho.series_residual(ho.at_log_density(series, log_prior), exact)
        assert residual != 0
        assert residual.subs(S.y, 1).subs(S.a, 1) != 0


@pytest.mark.parametrize("name,series,gain,data", [
    ("pm", lambda: ho.posterior_mean_series(3), lambda: sc.pm_gain("y"), 1),
    ("map", lambda: ho.map_series(3), lambda: sc.map_gain("y"), 1),
    ("divergence y", lambda: ho.divergence_inverse_series("y", 3),
     lambda: sc.optimal_gain("divergence", "y"), 1),
    ("divergence z-weighted", lambda: ho.divergence_inverse_series("z-weighted", 3),
     lambda: sc.optimal_gain("divergence", "z-weighted"), S.a),
])
def test_gaussian_closed_forms_to_delta6(name, series, gain, data):
    expected = sp.series(data * S.y / gain(), S.delta, 0, 7).removeO()
    assert sp.expand(ho.at_prior(series(), "gaussian") - expected) == 0


def test_gaussian_check_detects_a_wrong_coefficient():
    wrong = ho.posterior_mean_series(2) + S.delta**4 * S.l1 * S.l2 / S.a**4  # doubles l1 l2
    expected = sp.series(S.y / sc.pm_gain("y"), S.delta, 0, 5).removeO()
    assert sp.expand(ho.at_prior(wrong, "gaussian") - expected) != 0


def test_delta4_coefficients_depend_only_on_l1_to_l3():
    for series in (ho.posterior_mean_series(2), ho.map_series(2), ho.logdet_inverse_series("z", 2)):
        coefficient = ho.coefficient(series, 4)
        assert coefficient.free_symbols <= {S.a, S.l1, S.l2, S.l3}
        assert coefficient != 0


def test_prior_derivatives_match_numerical_differentiation():
    """l1 and l3 (the first and the highest used) against mpmath's numerical derivatives."""
    values = {S.m: sp.Rational(6, 5), S.tau: sp.Rational(3, 5), S.omega: sp.Rational(3, 10),
              S.s: sp.Rational(4, 5)}
    point = sp.Rational(37, 100)
    for prior in fs.ALL_PRIORS:
        derivatives = fs.log_density_derivatives(prior, point, 3)
        log_p = sp.lambdify(S.x, sp.log(fs.density(prior)).subs(values), "mpmath")
        for order, sym in ((1, S.l1), (3, S.l3)):
            exact = float(derivatives[sym].subs(values))
            numerical = float(mpmath.diff(log_p, float(point), order))
            # mpmath.diff works at raised precision: agreement to ~1e-12 relative expected.
            assert exact == pytest.approx(numerical, rel=1e-9, abs=1e-12)


def test_gumbel_derivatives():
    derivatives = fs.log_density_derivatives("gumbel", S.x, 3)
    assert sp.simplify(derivatives[S.l1] - (sp.exp(-S.x) - 1)) == 0
    assert sp.simplify(derivatives[S.l2] + sp.exp(-S.x)) == 0
    assert sp.simplify(derivatives[S.l3] - sp.exp(-S.x)) == 0


@pytest.mark.parametrize("bad", [0, 4, 2.0, True])
def test_order_is_validated(bad):
    with pytest.raises(ValueError, match="order"):
        ho.posterior_mean_series(bad)


def test_form_is_validated():
    with pytest.raises(ValueError, match="form"):
        ho.logdet_inverse_series("x", 2)


# --- negative controls of the claims' checks --------------------------------------------------

def _status(claim_id):
    """Run the check of a freshly built claim (no cached result) and return its status."""
    (claim,) = [c for c in claims_ho.claims() if c.id == claim_id]
    return ClaimResult.from_evidence(claim.id, claim._check()).status


def test_swapping_pm_and_map_refutes_pm_map_fourth_order(monkeypatch):
    pm, map_ = ho.posterior_mean_series, ho.map_series
    monkeypatch.setattr(ho, "posterior_mean_series", map_)
    monkeypatch.setattr(ho, "map_series", pm)
    assert _status("pm-map-fourth-order") == "refuted"


def test_logdet_refutation_depends_on_the_derived_series(monkeypatch):
    """If the log-det inverse were the PM the check would prove the paper's reading."""
    monkeypatch.setattr(ho, "logdet_inverse_series", lambda form="y", order=2: ho.posterior_mean_series(order))
    assert _status("logdet-inverse-pm-fourth-order") == "proved"
    assert _status("logdet-inverse-fourth-order") == "refuted"


def test_wrong_divergence_scaling_refutes(monkeypatch):
    original = ho.divergence_inverse_series
    monkeypatch.setattr(ho, "divergence_inverse_series",
                        lambda form="z", order=2: original("z", order))  # every form as z
    assert _status("divergence-inverse-map-all-orders") == "refuted"


HIGHER_ORDER_IDS = ("pm-map-fourth-order", "logdet-inverse-pm-fourth-order",
                    "logdet-inverse-fourth-order", "divergence-inverse-map-all-orders")
PRIOR_VALUES = {"gaussian": {S.s: 0.8}, "mixture": {S.m: 1.2, S.tau: 0.6},
                "mixture-asymmetric": {S.m: 1.2, S.tau: 0.6, S.omega: 0.3}, "logistic": {},
                "gumbel": {}}


@pytest.mark.parametrize("prior", fs.ALL_PRIORS)
def test_predictions_evaluate_numerically_at_every_prior(prior):
    """The numeric side's path: at_prior, then theory.numeric in (a, delta, y, parameters)."""
    import numpy as np

    import theory
    from theory import claims

    params = PRIOR_VALUES[prior]
    unique = {expr: key for claim_id in HIGHER_ORDER_IDS
              for key, expr in claims.get(claim_id).prediction.items()}
    for expr, key in unique.items():
        concrete = ho.at_prior(expr, prior)
        assert not concrete.free_symbols & set(S.LOG_DERIVATIVES), key
        f = theory.numeric(concrete, S.a, S.delta, S.y, *params)
        value = f(1.3, np.array([0.05, 0.1]), 0.4, *params.values())
        assert np.all(np.isfinite(value)), (key, prior)


def test_pm_minus_map_prediction_matches_the_series_difference_numerically():
    """pm_minus_map_d4 at the Gumbel prior vs (pm_series - map_series)/delta^4 (exact algebra)."""
    import theory
    from theory import claims

    prediction = claims.get("pm-map-fourth-order").prediction
    coefficient = theory.numeric(ho.at_prior(prediction["pm_minus_map_d4"], "gumbel"), S.a, S.y)
    difference = theory.numeric(ho.at_prior(prediction["pm_series"] - prediction["map_series"],
                                            "gumbel"), S.a, S.delta, S.y)
    # both truncated after delta^4, so the difference is exactly C delta^4 (rounding only)
    assert difference(1.3, 0.1, 0.4) / 0.1**4 == pytest.approx(coefficient(1.3, 0.4), rel=1e-9)


@pytest.mark.slow
def test_exact_logdet_instance_confirms_the_delta6_term():
    """The order-3 (delta^6) log-det series reproduces the exact sech instance (about 1 min)."""
    exact, log_prior = ho.logdet_exact_instance(order=3)
    series = ho.logdet_inverse_series("y", 3)
    assert ho.series_residual(ho.at_log_density(series, log_prior), exact, 3) == 0
    wrong = series + S.delta**6 * S.l5 / S.a**6  # perturb one delta^6 coefficient
    assert ho.series_residual(ho.at_log_density(wrong, log_prior), exact, 3) != 0
