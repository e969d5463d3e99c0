"""Series statements checked by the order of the exact gap at several small noise levels."""

import numpy as np
import pytest

import theory
from theory import symbols as S
from theory.series import leading_order, order_in

DELTAS = 0.04 * 2.0 ** -np.arange(5)  # 0.04 ... 0.0025
POINTS = [(0.7, 1.3), (1.8, 0.6)]  # (a, s)


def _slope(expr, a, s):
    f = theory.numeric(expr, S.a, S.s, S.delta)
    values = np.abs(f(a, s, DELTAS))
    return np.polyfit(np.log(DELTAS), np.log(values), 1)[0]


# (description, exact gap, order stated in theory.md)
GAPS = [
    ("logdet y inverse filter vs PM", lambda: theory.gap_to_pm("logdet", "y"), 4),
    ("logdet z-weighted inverse filter vs PM", lambda: theory.gap_to_pm("logdet", "z-weighted"), 4),
    ("logdet z unweighted inverse filter vs PM (a != 1)", lambda: theory.gap_to_pm("logdet", "z"), 2),
    ("divergence y inverse filter vs MAP (a != 1)", lambda: theory.gap_to_map("divergence", "y"), 2),
    ("logdet y gain vs the stated 2-term series",
     lambda: theory.optimal_gain("logdet", "y")
     - (S.a + S.delta**2 / (S.a * S.s**2) - S.delta**4 / (S.a**3 * S.s**4)), 6),
    ("logdet z-weighted gain vs the stated 2-term series",
     lambda: theory.optimal_gain("logdet", "z-weighted")
     - (S.a**2 + S.delta**2 / S.s**2 - S.delta**4 / (S.a**2 * S.s**4)), 6),
]


LOW = [g for g in GAPS if g[2] < 6]


@pytest.mark.parametrize("name,gap,order", LOW, ids=[g[0] for g in LOW])
@pytest.mark.parametrize("a,s", POINTS)
def test_gap_has_the_stated_order(name, gap, order, a, s):
    expr = gap()
    # The next term of the series is smaller by a factor O(delta^2 / (a s)^2) <= 0.04^2/1.08 < 2e-3
    # (for the (a, s) above) at the largest delta, so the fitted log-log slope deviates from the
    # order by well under 0.02. Rounding: the smallest gap, ~0.0025^4 ~ 4e-11 relative to O(1)
    # filters, is still ~1e5 times the float64 rounding of their difference.
    assert abs(_slope(expr, a, s) - order) < 0.02
    assert order_in(expr) == order  # the symbolic series agrees


@pytest.mark.parametrize("name,gap", [(g[0], g[1]) for g in GAPS if g[2] == 6])
def test_order_six_remainders(name, gap):
    # delta^6 remainders are evaluated at delta in [0.05, 0.2]: the remainder (~1e-5 .. 1e-9
    # relative to O(1) gains) stays far above float64 rounding (~1e-16); the next term is
    # O(delta^2/(a s)^2) <= 0.2^2/0.5 = 0.08 relative, so the slope is within 0.15 of 6.
    deltas = 0.2 * 2.0 ** -np.arange(3)
    f = theory.numeric(gap(), S.a, S.s, S.delta)
    for a, s in [(1.0, 1.0), (1.5, 0.8)]:
        slope = np.polyfit(np.log(deltas), np.log(np.abs(f(a, s, deltas))), 1)[0]
        assert abs(slope - 6) < 0.15


def test_leading_coefficients_match_theory_md():
    a, s, d = S.a, S.s, S.delta
    gain_gap_y = theory.optimal_gain("logdet", "y") - theory.pm_gain("y")
    assert (leading_order(gain_gap_y) - (-d**4 / (a**3 * s**4))).simplify() == 0
    gain_gap_z = theory.optimal_gain("logdet", "z") - theory.pm_gain("z")
    assert (leading_order(gain_gap_z) - (d**2 / (a**2 * s**2) - d**2 / s**2)).simplify() == 0


def test_gap_vanishes_at_a_equal_one_for_the_unweighted_z_form():
    f = theory.numeric(theory.gap_to_pm("logdet", "z"), S.a, S.s, S.delta)
    g = theory.numeric(theory.gap_to_pm("logdet", "y"), S.a, S.s, S.delta)
    # at a = 1 the z-form reduces to the y-form (z = y): identical gaps, order delta^4
    np.testing.assert_allclose(f(1.0, 0.9, DELTAS), g(1.0, 0.9, DELTAS), rtol=1e-12)


def test_leading_order_of_zero_and_constant():
    assert leading_order(S.delta - S.delta) == 0
    assert leading_order(3 + S.delta) == 3
