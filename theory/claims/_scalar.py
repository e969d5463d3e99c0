"""Claims of the scalar (one singular component) Gaussian setting, theory.md §3."""

import sympy as sp

from theory import scalar as sc
from theory import symbols as S
from theory.claims._core import Claim, Evidence, fact, nonzero, positive, show, zero
from theory.claims._evidence import lipschitz_linear_evidence
from theory.constrained import kkt_minimiser
from theory.series import leading_order

a, s, delta, c, L, k = S.a, S.s, S.delta, S.c, S.L, S.k
SCALAR = "scalar component: prior x ~ N(0, s^2), y = a x + eta, eta ~ N(0, delta^2), z = a y"
MODEL = "model u = k x with gain k > 0"
PAPER = "weight c = 2 delta^2 (the paper's)"


def _key(prefix, form):
    return f"{prefix}_{form.replace('-', '_')}"


def _gain_matches(loss, form, expected, weight=None):
    gain = sc.optimal_gain(loss, form, weight)
    return zero(f"{loss} {form}-form: k_opt - ({sp.sstr(expected)})", gain - expected)


def _certificate(loss, form, weight=None):
    var, expr = sc.convexity_certificate(loss, form, weight)
    what = "k" if var == "d2/dk2" else "w = 1/k"
    return positive(f"{loss} {form}-form: second derivative of the expected loss in {what}", expr)


def _series_matches(expr, expected, order):
    """Evidence: series of expr in delta to O(delta^order) equals expected."""
    ser = sp.series(expr, delta, 0, order).removeO()
    return zero(f"series to O(delta^{order}) minus ({sp.sstr(expected)})", ser - expected)


# --- approximation ---------------------------------------------------------------------------

def _check_approximation():
    ev = [show("expected loss (y)", sc.expected_loss("approximation", "y", k))]
    for form, gain in (("y", a), ("z", a**2), ("z-weighted", a**2)):
        ev.append(_certificate("approximation", form))
        ev.append(_gain_matches("approximation", form, gain))
    return ev


def _predict_approximation():
    return {_key("gain", f): sc.optimal_gain("approximation", f) for f in sc.FORMS}


# --- reconstruction --------------------------------------------------------------------------

def _check_reconstruction():
    ev = []
    for form, gain in (("y", a + delta**2 / (a * s**2)), ("z", a**2 + delta**2 / s**2)):
        ev.append(show(f"expected loss ({form})", sc.expected_loss("reconstruction", form, k)))
        ev.append(_certificate("reconstruction", form))
        ev.append(_gain_matches("reconstruction", form, gain))
        ev.append(zero(f"{form}-form: k_opt - k_PM (PM from Gaussian conditioning)",
                       sc.optimal_gain("reconstruction", form) - sc.pm_gain(form)))
    return ev


def _predict_reconstruction():
    return {_key("gain", f): sc.optimal_gain("reconstruction", f) for f in ("y", "z")}


# --- log-det ---------------------------------------------------------------------------------

def _check_logdet_y_gain():
    poly = sc.stationarity_polynomial("logdet", "y", c)
    A, B, C = poly.all_coeffs()
    return [
        show("stationarity polynomial (times k, positive leading coefficient)", poly.as_expr()),
        fact(f"product of its roots C/A = {sp.sstr(sp.simplify(C / A))} < 0: exactly one positive root",
             f"\\frac{{C}}{{A}} = {sp.latex(sp.simplify(C / A))} < 0", (C / A).is_negative),
        _certificate("logdet", "y", c),
        _gain_matches("logdet", "y", (a + sp.sqrt(a**2 + 2 * c / s**2)) / 2, c),
    ]


def _check_logdet_y_first_order():
    gain = sc.optimal_gain("logdet", "y")
    stated = a + delta**2 / (a * s**2) - delta**4 / (a**3 * s**4)
    lead = leading_order(gain - sc.pm_gain("y"))
    return [
        _series_matches(gain, stated, 6),
        zero("delta^2 coefficient of k_opt - k_PM",
             sp.series(gain - sc.pm_gain("y"), delta, 0, 4).removeO()),
        show("leading term of k_opt - k_PM", lead),
        nonzero("delta^4 coefficient of k_opt - k_PM (so agreement is first order only)",
                lead.coeff(delta, 4)),
    ]


def _check_logdet_no_constant_weight():
    weight = sc.exact_weight("logdet", "y")
    stated = 2 * delta**2 + 2 * delta**4 / (a**2 * s**2)
    d_a = sp.diff(weight, a)
    at_1 = weight.subs({a: 1, s: 1, delta: sp.Rational(1, 2)})
    at_2 = weight.subs({a: 2, s: 1, delta: sp.Rational(1, 2)})
    return [
        zero(f"exact weight c* - ({sp.sstr(stated)})", weight - stated),
        nonzero("d c*/d a", d_a),
        nonzero("d c*/d s", sp.diff(weight, s)),
        fact(f"counterexample: at s = 1, delta = 1/2, c*(a=1) = {at_1} but c*(a=2) = {at_2}",
             f"c^*(a{{=}}1) = {sp.latex(at_1)} \\neq {sp.latex(at_2)} = c^*(a{{=}}2)", at_1 != at_2),
        nonzero("c* - 2 delta^2 (the paper's weight is not exact)", weight - 2 * delta**2),
    ]


def _check_logdet_z_unweighted():
    gain = sc.optimal_gain("logdet", "z")
    first = sp.series(gain, delta, 0, 4).removeO()
    gap = sp.simplify(first - sp.series(sc.pm_gain("z"), delta, 0, 4).removeO())
    coefficient = sp.simplify(gap.coeff(delta, 2))
    roots = sp.solve(sp.Eq(coefficient, 0), a)
    return [
        zero("series of k_opt to O(delta^4) minus (a^2 + delta^2/(a^2 s^2))",
             first - (a**2 + delta**2 / (a**2 * s**2))),
        show("delta^2 coefficient of k_opt - k_PM", coefficient),
        fact(f"it vanishes for a > 0 only at a in {roots}", f"a \\in {sp.latex(set(roots))}",
             roots == [1]),
        nonzero("delta^2 coefficient at a = 2 (counterexample)", coefficient.subs(a, 2)),
    ]


def _check_logdet_z_weighted():
    gain = sc.optimal_gain("logdet", "z-weighted")
    return [
        _series_matches(gain, a**2 + delta**2 / s**2 - delta**4 / (a**2 * s**4), 6),
        zero("delta^2 coefficient of k_opt - k_PM",
             sp.series(gain - sc.pm_gain("z-weighted"), delta, 0, 4).removeO()),
    ]


def _predict_logdet_y_gain():
    return {"gain_y": sc.optimal_gain("logdet", "y", c), "gain_y_paper": sc.optimal_gain("logdet", "y")}


def _predict_logdet_y_first_order():
    return {
        "gain_y": sc.optimal_gain("logdet", "y"),
        "gain_y_series": sp.expand(sp.series(sc.optimal_gain("logdet", "y"), delta, 0, 6).removeO()),
        "pm_gain_y": sc.pm_gain("y"),
        "gap_to_pm_y": sc.gap_to_pm("logdet", "y"),
    }


def _predict_logdet_no_constant_weight():
    return {"exact_weight_y": sc.exact_weight("logdet", "y"),
            "gain_y_exact_weight": sc.optimal_gain("logdet", "y", sc.exact_weight("logdet", "y"))}


def _predict_logdet_z_unweighted():
    return {"gain_z": sc.optimal_gain("logdet", "z"), "pm_gain_z": sc.pm_gain("z"),
            "gap_to_pm_z": sc.gap_to_pm("logdet", "z")}


def _predict_logdet_z_weighted():
    return {"gain_z_weighted": sc.optimal_gain("logdet", "z-weighted"), "pm_gain_z": sc.pm_gain("z"),
            "gap_to_pm_z_weighted": sc.gap_to_pm("logdet", "z-weighted")}


# --- divergence ------------------------------------------------------------------------------

def _check_divergence_y():
    gain = sc.optimal_gain("divergence", "y")
    diff = sp.simplify(gain - sc.map_gain("y"))
    roots = sp.solve(sp.Eq(diff, 0), a)
    return [
        _certificate("divergence", "y"),
        _gain_matches("divergence", "y", a + delta**2 / s**2),
        show("k_opt - k_MAP", diff),
        fact(f"k_opt = k_MAP for a > 0 only at a in {roots}", f"a \\in {sp.latex(set(roots))}",
             roots == [1]),
        nonzero("k_opt - k_MAP at a = 2 (counterexample)", diff.subs(a, 2)),
    ]


def _predict_divergence_y():
    return {"gain_y": sc.optimal_gain("divergence", "y"), "map_gain_y": sc.map_gain("y")}


# --- Lipschitz -------------------------------------------------------------------------------

def _combinations():
    for loss in sc.LOSSES:
        for form in sc.FORMS:
            if not (loss == "reconstruction" and form == "z-weighted"):
                yield loss, form


# KKT instances: with s = 1, delta = 1/5 and L = 1/2, the unconstrained gain of every loss and
# form lies below [1/2, 3/2] at a = 1/3, inside at a = 1 and above at a = 3 (checked below).
_KKT_BOUND = sp.Rational(1, 2)
_KKT_SETTING = {s: 1, delta: sp.Rational(1, 5)}
_KKT_A = (sp.Rational(1, 3), sp.Integer(1), sp.Integer(3))


def _regime(value, lower, upper):
    return "below" if value < lower else "above" if value > upper else "inside"


def _kkt_instances(loss, form):
    """Evidence: the KKT minimiser on [1 - L, 1 + L] equals the clipped gain in all 3 regimes."""
    derivative = sp.diff(sc.expected_loss(loss, form, k), k)
    lower, upper = 1 - _KKT_BOUND, 1 + _KKT_BOUND
    residuals, regimes = [], []
    for value in _KKT_A:
        setting = {**_KKT_SETTING, a: value}
        regimes.append(_regime(sc.optimal_gain(loss, form).subs(setting), lower, upper))
        derived = kkt_minimiser(derivative.subs(setting), k, lower, upper)
        residuals.append(derived - sc.optimal_gain(loss, form, lipschitz=_KKT_BOUND).subs(setting))
    covered = regimes == ["below", "inside", "above"]
    return [
        zero(f"{loss} {form}-form, s = 1, delta = 1/5, L = 1/2, a = 1/3, 1, 3: KKT minimiser of "
             "the expected loss on [1-L, 1+L] minus the clipped optimal gain",
             sp.Matrix(residuals), simplifier=lambda e: e.applyfunc(sp.simplify)),
        fact(f"{loss} {form}-form: the unconstrained gain is {', '.join(regimes)} the interval at "
             "those a (all three KKT cases exercised)", r"k^* < 1-L,\ k^* \in (1-L, 1+L),\ k^* > 1+L",
             covered),
    ]


def _kkt_lemma():
    """Evidence: for f' = (k - kappa) G, G > 0, the KKT point on [1-L, 1+L] is the clip of kappa.

    0 < L < 1 is parametrised as L = 1/(1 + ell), and kappa in each regime with theta > 0, so
    that SymPy decides every sign.
    """
    theta, ell, kappa, G = sp.symbols("theta ell kappa G", positive=True)
    bound = 1 / (1 + ell)
    lower, upper = 1 - bound, 1 + bound
    ev = []
    for regime, value in (("kappa < 1-L", lower / (1 + theta)),
                          ("1-L < kappa < 1+L", lower + 2 * bound * theta / (1 + theta)),
                          ("kappa > 1+L", upper * (1 + theta))):
        derived = kkt_minimiser(((k - kappa) * G).subs(kappa, value), k, lower, upper)
        ev.append(zero(f"lemma, f'(k) = (k - kappa) G with G > 0, {regime}: KKT minimiser minus "
                       "Min(Max(kappa, 1-L), 1+L)",
                       derived - sp.Min(sp.Max(value, lower), upper)))
    return ev


def _check_lipschitz_clipping():
    ev = []
    for loss, form in _combinations():
        weight = c if loss in sc.REGULARISED else None
        ev.append(_certificate(loss, form, weight))
        derivative = sp.diff(sc.expected_loss(loss, form, k, weight), k)
        ev.append(zero(f"{loss} {form}-form: d loss/dk vanishes at the unconstrained gain k*",
                       derivative.subs(k, sc.optimal_gain(loss, form, weight))))
        ev.extend(_kkt_instances(loss, form))
    ev.append(Evidence(
        "hence d loss/dk = (k - k*) g(k) with g > 0 on k > 0 (a strictly increasing derivative, or "
        "for reconstruction dl/dk = -l_w(1/k)/k^2 with l_w increasing in w = 1/k, vanishing once "
        "at k*): the hypothesis of the lemma below",
        r"\ell'(k) = (k - k^*)\,g(k),\ g > 0", None))
    ev.extend(_kkt_lemma())
    ev.extend(lipschitz_linear_evidence())
    return ev


def _predict_lipschitz_clipping():
    return {_key(f"gain_{loss}", form): sc.optimal_gain(loss, form, lipschitz=L)
            for loss, form in _combinations()}


def _check_lipschitz_filter():
    # 0 < L < 1 as L = 1/(1 + ell); a^2 placed in each regime with theta > 0, so that SymPy
    # decides every sign in the KKT conditions.
    theta, ell, a2 = sp.symbols("theta ell a2", positive=True)
    bound = 1 / (1 + ell)
    lower, upper = 1 - bound, 1 + bound
    prediction = _predict_lipschitz_filter()
    derivative = sp.diff(sc.expected_loss("approximation", "z", k), k).subs(a, sp.sqrt(a2))
    ev = [zero("unconstrained approximation gain (z) minus a^2",
               sc.optimal_gain("approximation", "z") - a**2)]
    for regime, value in (("a^2 < 1-L", lower / (1 + theta)),
                          ("1-L < a^2 < 1+L", lower + 2 * bound * theta / (1 + theta)),
                          ("a^2 > 1+L", upper * (1 + theta))):
        at = {a: sp.sqrt(value), L: bound}
        derived = 1 / kkt_minimiser(derivative.subs(a2, value), k, lower, upper)
        ev.append(zero(f"{regime}: 1/(KKT minimiser) minus theory.scalar's clipped inverse filter",
                       derived - prediction["inverse_filter_z"].subs(at)))
        stated_gap = sp.simplify(derived - prediction["inverse_filter_z_stated"].subs(at))
        if regime == "a^2 > 1+L":
            ev.append(show(f"{regime} (outside the claim's assumption): 1/(KKT minimiser) minus "
                           "the stated 1/max(a^2, 1-L), non-zero: the bound a^2 <= 1+L is needed",
                           stated_gap))
        else:
            ev.append(zero(f"{regime}: 1/(KKT minimiser) minus the stated 1/max(a^2, 1-L)",
                           stated_gap))
    return ev


def _predict_lipschitz_filter():
    return {"inverse_filter_z": sc.inverse_filter("approximation", "z", lipschitz=L),
            "inverse_filter_z_stated": 1 / sp.Max(a**2, 1 - L)}


def claims():
    """Return the scalar claims, in registry order."""
    common = (SCALAR, MODEL)
    return [
        Claim("approximation-gain", "Approximation loss learns the forward operator",
              "The approximation loss is minimised by k = a (y-form) and k = a^2 (z-forms).",
              r"k_y = a,\quad k_z = k_{z,w} = a^2", common, "proved",
              _check_approximation, _predict_approximation),
        Claim("reconstruction-gain-is-pm", "Reconstruction loss learns the posterior mean",
              "The reconstruction loss is minimised by k = a + delta^2/(a s^2) (y) and "
              "a^2 + delta^2/s^2 (z): the inverse filter is exactly the PM.",
              r"k_y = a + \frac{\delta^2}{a s^2},\quad k_z = a^2 + \frac{\delta^2}{s^2}",
              common, "proved", _check_reconstruction, _predict_reconstruction),
        Claim("logdet-y-gain", "Log-det y-form gain",
              "The log-det y-form loss (any weight c > 0) is strictly convex on k > 0 and "
              "minimised by the unique positive root k = (a + sqrt(a^2 + 2c/s^2))/2.",
              r"k(c) = \tfrac12\left(a + \sqrt{a^2 + 2c/s^2}\right)", common + ("c > 0",),
              "proved", _check_logdet_y_gain, _predict_logdet_y_gain),
        Claim("logdet-y-first-order-pm", "Log-det y-form matches the PM to first order only",
              "With c = 2 delta^2, k = a + delta^2/(a s^2) - delta^4/(a^3 s^4) + O(delta^6): "
              "the delta^2 term agrees with the PM gain, the delta^4 term does not.",
              r"k = a + \frac{\delta^2}{a s^2} - \frac{\delta^4}{a^3 s^4} + O(\delta^6)",
              common + (PAPER,), "proved", _check_logdet_y_first_order,
              _predict_logdet_y_first_order),
        Claim("logdet-y-no-constant-weight", "No constant log-det weight is exact",
              "The weight making the log-det y-form gain equal the PM gain is "
              "c* = 2 delta^2 + 2 delta^4/(a^2 s^2); it depends on a and s, so no constant "
              "weight is exact for all components.",
              r"c^* = 2\delta^2 + \frac{2\delta^4}{a^2 s^2},\quad \partial_a c^* \neq 0",
              common, "proved", _check_logdet_no_constant_weight,
              _predict_logdet_no_constant_weight),
        Claim("logdet-z-unweighted", "Unweighted log-det z-form is wrong at first order",
              "With c = 2 delta^2 the unweighted z-form gain is a^2 + delta^2/(a^2 s^2) + "
              "O(delta^4), which differs from the PM gain a^2 + delta^2/s^2 at first order "
              "unless a = 1.",
              r"k = a^2 + \frac{\delta^2}{a^2 s^2} + O(\delta^4) \neq k_{PM} + O(\delta^4)\ (a\neq1)",
              common + (PAPER,), "proved", _check_logdet_z_unweighted,
              _predict_logdet_z_unweighted),
        Claim("logdet-z-weighted-first-order", "Weighted log-det z-form is first-order PM",
              "Weighting the data term by (A^T A)^{-1} gives k = a^2 + delta^2/s^2 - "
              "delta^4/(a^2 s^4) + O(delta^6): first-order agreement with the PM.",
              r"k = a^2 + \frac{\delta^2}{s^2} - \frac{\delta^4}{a^2 s^4} + O(\delta^6)",
              common + (PAPER,), "proved", _check_logdet_z_weighted, _predict_logdet_z_weighted),
    ]


def divergence_y_claim():
    return Claim(
        "divergence-y-not-map", "Divergence y-form is not the MAP",
        "The divergence y-form gain is k = a + delta^2/s^2, which equals the MAP gain "
        "a + delta^2/(a s^2) only if a = 1.",
        r"k = a + \frac{\delta^2}{s^2} \neq a + \frac{\delta^2}{a s^2} = k_{MAP}\ (a \neq 1)",
        (SCALAR, MODEL, PAPER), "proved", _check_divergence_y, _predict_divergence_y)


def lipschitz_claims():
    return [
        Claim("lipschitz-clipping", "Lipschitz-constrained optimum is the clipped gain",
              "For every loss and form, the optimal gain under slopes in [1-L, 1+L] is the "
              "unconstrained optimal gain clipped to [1-L, 1+L], because each expected loss is "
              "strictly unimodal in k > 0.",
              r"k_L^* = \min(\max(k^*, 1-L), 1+L)",
              (SCALAR, MODEL, "0 < L < 1", "diagonal model: each component separately",
               "linear model K = I + W, ||W||_2 <= L: approximation and divergence losses, with "
               "A^T A and Sigma diagonal in one basis and mu = 0 (then the optimum is diagonal)"),
              "proved", _check_lipschitz_clipping, _predict_lipschitz_clipping),
        Claim("lipschitz-approximation-filter", "Approximation filter under a Lipschitz bound",
              "The approximation-trained (z-form) inverse filter under slopes in [1-L, 1+L] is "
              "1/max(a^2, 1-L) for a^2 <= 1+L.",
              r"\frac{1}{k_L^*} = \frac{1}{\max(a^2, 1-L)}\quad (a^2 \le 1+L)",
              (SCALAR, MODEL, "0 < L < 1", "a^2 <= 1 + L"), "proved",
              _check_lipschitz_filter, _predict_lipschitz_filter),
    ]
