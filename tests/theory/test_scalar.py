"""Closed-form scalar optima against numeric minimisation of the same expected loss.

The closed forms (``theory.optimal_gain``) are compared with a SciPy solution of the minimisation
of ``theory.expected_loss`` - the definition of the training objective - at random valid
parameters. The expected losses themselves are checked against Gauss-Hermite quadrature of the
loss integrand, an independent route to the expectation.
"""

from functools import lru_cache

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

import theory
from theory import symbols as S

ARGS = (S.a, S.s, S.delta, S.c, S.L)
CASES = [
    (loss, form, weight, lipschitz)
    for loss in theory.LOSSES
    for form in theory.FORMS
    if not (loss == "reconstruction" and form == "z-weighted")
    for weight in ((None, "c") if loss in ("logdet", "divergence") else (None,))
    for lipschitz in (None, "L")
]

positive = st.floats(0.2, 3.0)
weights = st.floats(0.01, 5.0)
bounds = st.floats(0.05, 0.95)


@lru_cache(maxsize=None)
def _functions(loss, form, weight):
    c = S.c if weight == "c" else None
    value = theory.expected_loss(loss, form, S.k, c)
    slope = sp.diff(value, S.k)
    return (sp.lambdify((S.k,) + ARGS, value, "numpy"),
            sp.lambdify((S.k,) + ARGS, slope, "numpy"))


@lru_cache(maxsize=None)
def _closed_form(loss, form, weight, lipschitz):
    gain = theory.optimal_gain(loss, form, S.c if weight == "c" else None,
                               S.L if lipschitz == "L" else None)
    return theory.numeric(gain, *ARGS)


def _numeric_minimiser(loss, form, weight, lipschitz, params):
    """Global minimiser over k > 0 (or over [1-L, 1+L]) found without using convexity.

    Candidates: the interval ends (constrained case) and every root of d loss/dk bracketed by a
    sign change on a fine geometric grid, each refined by brentq; the candidate of least loss
    wins. A grid search confirms that no grid point has a lower loss.
    """
    f, df = _functions(loss, form, weight)
    L = params[-1]
    lo, hi = (1 - L, 1 + L) if lipschitz else (1e-4, 1e4)
    grid = np.geomspace(lo, hi, 4001)
    slopes = df(grid, *params)
    candidates = [lo, hi] if lipschitz else []
    candidates.extend(grid[slopes == 0])
    for i in np.flatnonzero(np.sign(slopes[:-1]) * np.sign(slopes[1:]) < 0):
        # xtol/rtol at the floating-point floor (brentq's minimum rtol is 4 eps): the root is
        # then limited by the rounding of d loss/dk, whose relative effect on k is
        # ~1e-15 * (size of the terms)/(k l''(k)), below 1e-11 for the parameter ranges drawn.
        candidates.append(brentq(df, grid[i], grid[i + 1], args=params, xtol=1e-300,
                                 rtol=4 * np.finfo(float).eps))
    assert candidates, "no stationary point found in the grid range"
    values = [f(k, *params) for k in candidates]
    best = candidates[int(np.argmin(values))]
    assert min(values) <= np.min(f(grid, *params)) + 1e-12 * abs(min(values))
    return best


@pytest.mark.parametrize("loss,form,weight,lipschitz", CASES,
                         ids=["-".join(str(p) for p in case) for case in CASES])
@given(a=positive, s=positive, delta=positive, c=weights, L=bounds)
def test_closed_form_gain_matches_numeric_minimiser(loss, form, weight, lipschitz, a, s, delta, c, L):
    params = (a, s, delta, c, L)
    numeric = _numeric_minimiser(loss, form, weight, lipschitz, params)
    closed = float(_closed_form(loss, form, weight, lipschitz)(*params))
    # 1e-9 relative: the numeric root is accurate to ~1e-11 relative (see _numeric_minimiser);
    # the closed form is evaluated in float64 (a few ulps, plus the sqrt cancellation-free form).
    assert closed == pytest.approx(numeric, rel=1e-9)


@pytest.mark.parametrize("loss,form", [(l, f) for l, f, w, lip in CASES if w is None and lip is None])
@given(a=positive, s=positive, delta=positive, k=st.floats(0.1, 10.0))
def test_expected_loss_matches_gauss_hermite_quadrature(loss, form, a, s, delta, k):
    x_nodes, weights_ = np.polynomial.hermite_e.hermegauss(12)  # exact to degree 23
    weights_ = weights_ / np.sqrt(2 * np.pi)
    X, E = np.meshgrid(s * x_nodes, delta * x_nodes, indexing="ij")
    W = np.outer(weights_, weights_)
    y = a * X + E
    t = y if form == "y" else a * y
    if loss == "reconstruction":
        integrand = (t / k - X) ** 2
    else:
        integrand = (k * X - t) ** 2 / (a**2 if form == "z-weighted" else 1.0)
    value = np.sum(W * integrand)
    c = 2 * delta**2
    value += {"logdet": -c * np.log(k), "divergence": -c * k}.get(loss, 0.0)
    symbolic = float(theory.numeric(theory.expected_loss(loss, form, S.k), S.k, S.a, S.s, S.delta)(k, a, s, delta))
    # quadrature of a degree-2 polynomial is exact; agreement to rounding (terms up to ~1e4)
    assert symbolic == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_stated_gains():
    """The results listed in theory.md section 3 (written out here from the document)."""
    a, s, d, c = S.a, S.s, S.delta, S.c
    stated = {
        ("approximation", "y", None): a,
        ("approximation", "z", None): a**2,
        ("reconstruction", "y", None): a + d**2 / (a * s**2),
        ("reconstruction", "z", None): a**2 + d**2 / s**2,
        ("logdet", "y", c): (a + sp.sqrt(a**2 + 2 * c / s**2)) / 2,
        ("divergence", "z", None): a**2 + d**2 / s**2,
        ("divergence", "y", None): a + d**2 / s**2,
    }
    for (loss, form, weight), gain in stated.items():
        assert sp.simplify(theory.optimal_gain(loss, form, weight) - gain) == 0, (loss, form)
    assert sp.simplify(theory.exact_weight("logdet", "y") - (2 * d**2 + 2 * d**4 / (a**2 * s**2))) == 0
    assert theory.exact_weight("approximation", "y") is None


def test_pm_and_map_gains_are_the_tikhonov_filter():
    a, s, d = S.a, S.s, S.delta
    tikhonov = a * s**2 / (a**2 * s**2 + d**2)  # theory.md section 2
    for gain in (theory.pm_gain("y"), theory.map_gain("y")):
        assert sp.simplify(1 / gain - tikhonov) == 0
    assert sp.simplify(theory.pm_gain("z-weighted") - theory.pm_gain("z")) == 0


@pytest.mark.parametrize("call,match", [
    (lambda: theory.optimal_gain("ridge"), "loss must be one of"),
    (lambda: theory.optimal_gain("logdet", "x"), "form must be one of"),
    (lambda: theory.optimal_gain("reconstruction", "z-weighted"), "undefined for loss='reconstruction'"),
    (lambda: theory.optimal_gain("approximation", "y", weight=S.c), "weight applies only"),
    (lambda: theory.optimal_gain("logdet", "y", weight=-1), "weight must be positive"),
    (lambda: theory.optimal_gain("logdet", "y", weight=S.x), "weight must be positive"),
    (lambda: theory.optimal_gain("logdet", "y", lipschitz=1.5), "0 < lipschitz < 1"),
    (lambda: theory.optimal_gain("logdet", "y", lipschitz=0), "lipschitz must be positive"),
    (lambda: theory.numeric(theory.pm_gain("y"), S.a), "missing"),
])
def test_bad_input_raises_valueerror_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types_raise_typeerror():
    with pytest.raises(TypeError, match="loss must be a str"):
        theory.optimal_gain(3)
    with pytest.raises(TypeError, match="args\\[0\\] must be a SymPy Symbol"):
        theory.numeric(S.a, "a")


def test_numeric_is_cached_and_broadcasts():
    expr = theory.optimal_gain("logdet", "y")
    f = theory.numeric(expr, S.a, S.s, S.delta)
    assert theory.numeric(expr, S.a, S.s, S.delta) is f
    values = f(np.array([0.5, 1.0, 2.0]), 1.0, 0.1)
    assert values.shape == (3,)
    clipped = theory.numeric(theory.optimal_gain("approximation", "z", lipschitz=S.L), S.a, S.L)
    # slopes clipped to [1 - L, 1 + L] = [0.5, 1.5] for a^2 = 0.01, 1, 4
    np.testing.assert_array_equal(clipped(np.array([0.1, 1.0, 2.0]), 0.5), [0.5, 1.0, 1.5])


@pytest.mark.parametrize("loss", ["logdet", "divergence"])
@pytest.mark.parametrize("form", theory.FORMS)
def test_exact_weight_makes_the_gain_the_pm_gain(loss, form):
    weight = theory.exact_weight(loss, form)
    gain = theory.optimal_gain(loss, form, weight)
    f = theory.numeric(gain - theory.pm_gain(form), S.a, S.s, S.delta)
    values = f(np.array([0.3, 1.0, 2.5]), np.array([0.5, 1.0, 2.0]), np.array([0.1, 0.7, 1.9]))
    # float64 evaluation of O(1..10) gains: rounding ~1e-15 relative
    np.testing.assert_allclose(values, 0.0, atol=1e-13)


def test_numeric_accepts_matrices():
    from theory import linear

    K, _ = linear.optimal_operator("divergence", "z", [[2, 1], [0, 1]], [[1, 0], [0, 2]])
    f = theory.numeric(K, S.delta)
    # K = A^T A + delta^2 Sigma^{-1} at delta = 1, written out from theory.md
    np.testing.assert_allclose(f(1.0), [[5.0, 2.0], [2.0, 2.5]], rtol=1e-15)
