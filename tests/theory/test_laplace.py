"""theory.laplace against independent numbers (mpmath quadrature), with negative controls."""

import mpmath
import pytest
import sympy as sp

from theory import laplace as lp
from theory import symbols as S

VALUES = {S.a: sp.Rational(3, 2), S.b: sp.Rational(7, 10), S.delta: sp.Rational(1, 2)}


def _quadrature_pm(data):
    a, b, d = mpmath.mpf("1.5"), mpmath.mpf("0.7"), mpmath.mpf("0.5")

    def weight(x):
        return mpmath.exp(-(data - a * x) ** 2 / (2 * d**2) - abs(x) / b)

    cuts = [-mpmath.inf] + sorted([mpmath.mpf(0), data / a]) + [mpmath.inf]
    return mpmath.quad(lambda x: x * weight(x), cuts) / mpmath.quad(weight, cuts)


@pytest.mark.parametrize("data", ["-2", "-0.1", "0.3", "1", "6"])
def test_posterior_mean_matches_quadrature(data):
    with mpmath.workdps(30):
        expected = _quadrature_pm(mpmath.mpf(data))
        derived = mpmath.mpf(str(sp.N(lp.posterior_mean_mills().subs({**VALUES, S.y: sp.Rational(data)}), 30)))
        # tanh-sinh quadrature at 30 digits on pieces split at the kink and the likelihood's
        # centre is accurate to ~1e-25; 1e-20 leaves room
        assert abs(derived - expected) <= mpmath.mpf("1e-20") * max(1, abs(expected))


def _distance(phi, H, kappa=0.25):
    """||phi - phi*||^2 in L2(p), b = 1, a = 1 (z-form, kappa = delta^2/b), by quadrature."""
    def integrand(x):
        return (phi(x) - (x + kappa * mpmath.sign(x))) ** 2 * mpmath.exp(-abs(x)) / 2
    return mpmath.quad(integrand, [-mpmath.inf, -1, 0, 1, mpmath.inf])


def test_slope_bounded_optimum_beats_feasible_alternatives():
    H = 1.5
    f = sp.lambdify(S.x, lp.slope_bounded_optimum(H).subs({S.a: 1, S.b: 1, S.delta: 0.5}), "mpmath")
    best = _distance(f, H)
    # feasible alternatives (slopes in [1, 1.5], odd): a shorter/longer ramp, a lower plateau
    for edge in (0.3, 0.7):
        def other(x, e=edge):
            return mpmath.sign(x) * min(H * abs(x), abs(x) + (H - 1) * e)
        assert _distance(other, H) > best
    assert _distance(lambda x: x, H) > best


def test_logdet_residual_negative_control():
    wrong = 1 - sp.exp(-2 * lp.xi)
    assert sp.limit(lp.logdet_residual("y", profile=wrong), S.delta, 0) != 0
    assert sp.limit(lp.logdet_residual("y"), S.delta, 0) == 0


def test_divergence_inverse_is_soft_threshold_only_in_z_form():
    values = {S.a: 2, S.b: 1, S.delta: sp.Rational(1, 2)}
    tau = lp.threshold().subs(values)
    for form, data_factor in (("z", 2), ("y", 1)):
        data = data_factor * 3  # y = 3, t = 3/2
        inverse = lp.divergence_inverse(sp.Integer(data), form).subs(values)
        matches = sp.simplify(inverse - (sp.Rational(3, 2) - tau)) == 0
        assert matches == (form == "z")
