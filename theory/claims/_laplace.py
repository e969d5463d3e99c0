"""Claims for the Laplace (sparsity) prior: MAP, PM, and the optimum of each loss (1-D)."""

from functools import lru_cache

import mpmath
import sympy as sp

from theory import laplace as lp
from theory import symbols as S
from theory.claims._core import Claim, fact, positive, show, zero

a, b, delta, x, y, H, L, B = S.a, S.b, S.delta, S.x, S.y, S.H, S.L, S.B
xi = lp.xi
tau, sigma = lp.threshold(), lp.sigma()
SETTING = ("y = a x + delta eta, eta ~ N(0, 1), a > 0; prior p(x) = exp(-|x - mu|/b)/(2b), "
           "mu = 0 without loss of generality (x -> x - mu, y -> y - a mu)")
NAMES = "t = y/a, sigma = delta/a, tau = delta^2/(a^2 b), xi = t/sigma"
# High-precision numbers: 40 digits make every rounding error < 1e-35, far below the
# tolerances stated at each use.
DIGITS = 40


def _phi(value):
    return sp.exp(-value**2 / 2) / sp.sqrt(2 * sp.pi)


# --- MAP ----------------------------------------------------------------------------------------

def _check_map():
    objective = lp.map_objective()
    positive_side = sp.diff((y - a * x) ** 2 / (2 * delta**2) + x / b, x)
    negative_side = sp.diff((y - a * x) ** 2 / (2 * delta**2) - x / b, x)
    mu = S.mu
    shifted = ((y + a * mu) - a * (x + mu)) ** 2 / (2 * delta**2) + sp.Abs(x) / b
    return [
        show("negative log posterior J(x)", objective),
        positive("J is strictly convex: the smooth part has second derivative", sp.diff(objective.subs(sp.Abs(x), 0), x, 2)),
        zero("t > tau: J'(x) on x > 0 at x = t - tau (stationary, and t - tau > 0)",
             positive_side.subs(x, y / a - tau)),
        zero("t < -tau: J'(x) on x < 0 at x = t + tau", negative_side.subs(x, y / a + tau)),
        zero("|t| <= tau: 0 is in the subdifferential -a y/delta^2 + [-1/b, 1/b] iff |a y b/delta^2| "
             "<= 1, and a y b/delta^2 - t/tau", a * y * b / delta**2 - (y / a) / tau),
        zero("translation: J with loc mu at (x + mu, y + a mu) minus J with mu = 0 at (x, y)",
             sp.expand(shifted - objective)),
    ]


def _predict_map():
    return {"map": lp.map_estimate(), "threshold": tau}


# --- PM ----------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _pm():
    return lp.posterior_mean()


_PM_POINTS = ({a: sp.Rational(3, 2), b: sp.Rational(7, 10), delta: sp.Rational(1, 2)},
              {a: 1, b: 1, delta: sp.Rational(1, 10)})


def _check_pm():
    derived, mills = _pm(), lp.posterior_mean_mills()
    m_plus, _, m_minus, _ = lp.completed_squares()
    worst = sp.Float(0)
    for values in _PM_POINTS:
        for data in (-3, sp.Rational(-1, 3), 0, sp.Rational(1, 20), 1, 4):
            point = {**values, y: data}
            worst = max(worst, abs(sp.N(derived.subs(point), DIGITS) - sp.N(mills.subs(point), DIGITS)))
    return [
        zero("x > 0: the posterior's Gaussian mean minus (t - tau)", m_plus - (y / a - tau)),
        zero("x < 0: the posterior's Gaussian mean minus (t + tau)", m_minus - (y / a + tau)),
        show("E[x | y] from the half-line integrals (derived)", derived),
        show("the same in Mills ratios R(u) = Phi(u)/phi(u) (alpha = (t - tau)/sigma, beta = "
             "-(t + tau)/sigma)", mills),
        zero("the common factor: log phi(alpha) - log phi(beta) - 2 t/b",
             sp.expand(sp.log(_phi(lp.mills_arguments()[0])) - sp.log(_phi(lp.mills_arguments()[1]))
                       - 2 * y / (a * b)), simplifier=lambda e: sp.expand(sp.expand_log(e, force=True))),
        fact(f"derived PM minus the Mills-ratio form at 12 points (two settings, 40 digits): "
             f"max |difference| = {sp.N(worst, 3)} (tolerance 1e-30)",
             r"\max|x_{PM} - x_{PM}^{Mills}| < 10^{-30}", worst < sp.Float("1e-30")),
    ]


def _predict_pm():
    return {"pm": _pm(), "pm_mills": lp.posterior_mean_mills(), "data_density": lp.data_density()}


# --- divergence --------------------------------------------------------------------------------

def _check_divergence():
    phi_star = lp.divergence_optimum("z")
    kappa = lp.jump("z")
    density = sp.exp(lp.log_density())
    inverse_above = (a * y - kappa) / a**2
    return [
        show("phi*(x) = a^2 x - delta^2 (log p)'(x), z-form (derived)", phi_star),
        zero("phi*(x) - (a^2 x + (delta^2/b) sign x)", phi_star - (a**2 * x + delta**2 / b * sp.sign(x))),
        zero("Stein's identity needs p continuous at the kink: p(0+) - p(0-)",
             sp.limit(density, x, 0, "+") - sp.limit(density, x, 0, "-")),
        positive("phi* jumps at 0 by 2 kappa (no continuous map attains it)", 2 * kappa),
        zero("z = a y > kappa: phi*^{-1}(z) = (z - kappa)/a^2 minus the MAP t - tau (every delta)",
             inverse_above - (y / a - tau)),
        zero("|z| <= kappa: the jump covers [phi*(0-), phi*(0+)] = [-kappa, kappa], and kappa/a "
             "minus the MAP's dead-zone half-width in y, a tau", kappa / a - a * tau),
        show("y-form for comparison: the inverse's threshold in t is delta^2/(a b) = a tau "
             "(the MAP only at a = 1)", lp.jump("y") / lp.target_coefficient("y")),
        show("z-weighted form: the threshold in t is delta^2/b = a^2 tau",
             lp.jump("z-weighted") / lp.target_coefficient("z-weighted")),
    ]


def _predict_divergence():
    return {"phi_star_z": lp.divergence_optimum("z"), "inverse_z": lp.divergence_inverse(S.z, "z"),
            "jump_z": lp.jump("z")}


# --- slope-bounded divergence ------------------------------------------------------------------

def _check_slope_bounded():
    T, kappa, x0 = lp.target_coefficient("z"), lp.jump("z"), lp.zone_edge(H, "z")
    forward = lp.slope_bounded_optimum(H, "z")
    slope_k, product = lp.composition_slopes()
    data = S.z
    inverse = lp.slope_bounded_inverse(data, H, "z")
    edge = H * x0
    gap_at = (kappa / H) - 0
    return [
        show("projection of phi* onto slopes in [lo, H], lo <= a^2 < H (z-form)", forward),
        zero("continuity at the zone edge x0 = kappa/(H - a^2): H x0 - phi*(x0)", H * x0 - (T * x0 + kappa)),
        positive("on [0, x0] phi* - H x is linear, positive at 0 (value kappa)", kappa),
        zero("... and zero at x0 (so phi* >= H x >= phi for every feasible odd phi on (0, x0]: the "
             "projection is unique and, p even and phi* odd, odd; beyond x0 it equals phi*)",
             (T * x0 + kappa) - H * x0),
        show("its inverse (z = a y)", inverse),
        zero("dead-zone slope of the inverse minus 1/H", sp.diff(data / H, data) - 1 / H),
        zero("beyond the edge H x0 the inverse minus the MAP (exactly the soft threshold)",
             ((a * y - kappa) / T) - (y / a - tau)),
        zero("the inverse is continuous at the edge: edge/H - phi*^{-1}(edge)", edge / H - (edge - kappa) / T),
        zero("B blocks: block k's slope f'^{k/B}/f'^{(k-1)/B} minus f'^{1/B} (in [lo, H] iff f' in "
             "[lo^B, H^B])", slope_k - sp.Function("fp", positive=True)(x) ** (1 / B)),
        zero("the blocks' slopes multiply to f' (chain rule; h_B o h_0^{-1} = f)",
             product - sp.Function("fp", positive=True)(x)),
        show("so the B-block optimum is the projection with H = (1 + L)^B; its dead-zone slope",
             (1 + L) ** (-B)),
        zero("one block: 1/(1 + L) - 1/2 - (1 - L)/(2 (1 + L)) (> 0 for L < 1: the dead-zone slope "
             "exceeds 1/2, never the soft threshold's 0)",
             1 / (1 + L) - sp.Rational(1, 2) - (1 - L) / (2 * (1 + L))),
        show("largest distance to the MAP (at z = kappa): kappa/H, i.e. kappa (1 + L)^(-B) with depth",
             gap_at.subs(H, (1 + L) ** B)),
    ]


def _predict_slope_bounded():
    T, kappa, x0 = lp.target_coefficient("z"), lp.jump("z"), lp.zone_edge(H, "z")
    return {"forward_z": lp.slope_bounded_optimum(H, "z"),
            "inverse_z": lp.slope_bounded_inverse(S.z, H, "z"),
            "dead_zone_slope": 1 / H, "zone_edge_data": sp.simplify(H * x0),
            "sup_gap_to_map": kappa / H, "blocks_upper": (1 + L) ** B, "target": T}


# --- PM - MAP gap ------------------------------------------------------------------------------

def _mills_numeric(value):
    return mpmath.ncdf(value) / mpmath.npdf(value)


def _gap_numeric(t, a_, b_, d_):
    """PM - MAP for t > tau from the exact identity 2 tau R(beta)/(R(alpha) + R(beta)) (mpmath)."""
    s_, tau_ = d_ / a_, d_**2 / (a_**2 * b_)
    ra, rb = _mills_numeric((t - tau_) / s_), _mills_numeric(-(t + tau_) / s_)
    return 2 * tau_ * rb / (ra + rb)


@lru_cache(maxsize=1)
def _data_density_numeric():
    return sp.lambdify((y, a, b, delta), lp.data_density(), modules="mpmath")


@lru_cache(maxsize=1)
def rms_ratio(deltas=("0.02", "0.005")):
    """Exact RMS of PM - MAP over the data (a = b = 1) divided by the leading term, per delta.

    The mean square is ``2 int_tau^oo gap(t)^2 p_T(t) dt`` (the gap is odd; on ``|t| < tau``,
    where the MAP is 0, ``|gap| = |PM| <= tau``, a slice of mass ``O(tau/b)`` that is
    included by the same identity with the MAP set to 0) with the closed-form data density.
    """
    density = _data_density_numeric()
    out = []
    with mpmath.workdps(20):
        for text in deltas:
            d_ = mpmath.mpf(text)
            s_, tau_ = d_, d_**2

            def outside(t):
                return _gap_numeric(t, 1, 1, d_) ** 2 * density(t, 1, 1, d_)

            def inside(t):
                ra, rb = _mills_numeric((t - tau_) / s_), _mills_numeric(-(t + tau_) / s_)
                return (t - tau_ * (ra - rb) / (ra + rb)) ** 2 * density(t, 1, 1, d_)

            span = 12 * s_  # beyond 12 sigma the gap is < 4 tau sigma phi(11)/t ~ 1e-27 tau
            mean_square = 2 * (mpmath.quad(inside, [0, tau_]) + mpmath.quad(outside, [tau_, s_, span]))
            leading = 2 * (mpmath.sqrt(2) - 1) * tau_**2 * s_ / mpmath.sqrt(mpmath.pi)
            out.append(float(mpmath.sqrt(mean_square / leading)))
    return tuple(out)


def _rms_leading():
    integral = sp.integrate(sp.erfc(xi / sp.sqrt(2)) ** 2 / 4, (xi, 0, sp.oo))
    # E[(PM - MAP)^2] ~ int (2 tau Phi(-|xi|))^2 p_T(sigma xi) sigma dxi with p_T(0) -> 1/(2b)
    mean_square = 2 * (2 * tau) ** 2 * integral * sigma / (2 * b)
    return sp.simplify(integral), sp.sqrt(sp.simplify(mean_square))


def _check_pm_map_gap():
    alpha, beta = lp.mills_arguments()
    ra, rb = sp.Symbol("R_alpha", positive=True), sp.Symbol("R_beta", positive=True)
    gap = (y / a - tau * (ra - rb) / (ra + rb)) - (y / a - tau)
    u_ = sp.Symbol("u", positive=True)
    gordon = sp.diff(_phi(u_) / u_ - sp.erfc(u_ / sp.sqrt(2)) / 2, u_)
    ratio, eps = lp.layer_pm_map_gap()
    first_order = sp.diff(ratio, eps).subs(eps, 0).subs(xi, 1)
    integral, rms = _rms_leading()
    rms_ratios = rms_ratio()
    with mpmath.workdps(30):
        far = []
        for t in (mpmath.mpf(8), mpmath.mpf(12)):  # a = b = 1, delta = 1/2: t = 16, 24 sigma
            s_, tau_ = mpmath.mpf("0.5"), mpmath.mpf("0.25")
            exact = _gap_numeric(t, 1, 1, s_)
            lead = 2 * tau_ * s_ * mpmath.npdf((t - tau_) / s_) / (t + tau_)
            far.append(float(exact / lead))
    return [
        zero("t > tau: (PM - MAP) - 2 tau R(beta)/(R(alpha) + R(beta)) (exact)",
             sp.simplify(gap - 2 * tau * rb / (ra + rb))),
        zero("Gordon's bound Phi(-u) <= phi(u)/u (u > 0): d/du[phi/u - Phi(-u)] + phi/u^2 (negative "
             "derivative, limit 0 at infinity)", sp.simplify(gordon + _phi(u_) / u_**2)),
        show("hence for t >= tau (R(alpha) >= 1/(2 phi(alpha)), R(beta) <= 1/|beta|): 0 < PM - MAP "
             "<= 4 tau sigma phi(alpha)/(t + tau), exponentially small; leading term",
             2 * tau * sigma * _phi(alpha) / (y / a + tau)),
        fact(f"far field (a = b = 1, delta = 1/2, t = 16 and 24 sigma): exact / leading = "
             f"{far[0]:.6f}, {far[1]:.6f} (-> 1 as 1 - O(sigma^2/t^2); tolerance 1e-2)",
             r"\frac{x_{PM} - x_{MAP}}{2\tau\sigma\varphi(\alpha)/(t + \tau)} \to 1",
             all(abs(r - 1) < 1e-2 for r in far)),
        zero("layer t = sigma xi, xi > 0: (PM - MAP)/tau at delta -> 0 (epsilon = delta/(a b) -> 0) "
             "minus 2 Phi(-xi)", sp.simplify(ratio.subs(eps, 0) - sp.erfc(xi / sp.sqrt(2)))),
        show("... its first correction (d/d epsilon at xi = 1, relative order delta)", sp.N(first_order, 6)),
        show("so in the layer PM - MAP = 2 tau sign(t) Phi(-|t|/sigma) (1 + O(delta)): order tau = "
             "delta^2/(a^2 b), not order delta (the issue's 'order delta' holds only relative to the "
             "layer's width sigma = delta/a)", 2 * tau * sp.erfc(xi / sp.sqrt(2)) / 2),
        zero("int_0^oo Phi(-xi)^2 dxi - (sqrt 2 - 1)/(2 sqrt pi)",
             integral - (sp.sqrt(2) - 1) / (2 * sp.sqrt(sp.pi))),
        show("RMS over the data, leading term (order delta^(5/2))", rms),
        fact(f"exact RMS (quadrature, a = b = 1) / leading term at delta = 0.02, 0.005: "
             f"{rms_ratios[0]:.5f}, {rms_ratios[1]:.5f} (relative correction O(delta): "
             f"tolerance 10 delta)",
             r"\mathrm{RMS}/\mathrm{RMS}_{lead} = 1 + O(\delta)",
             abs(rms_ratios[0] - 1) < 0.2 and abs(rms_ratios[1] - 1) < 0.05
             and abs(rms_ratios[1] - 1) < abs(rms_ratios[0] - 1)),
    ]


def _predict_pm_map_gap():
    alpha, _ = lp.mills_arguments()
    return {"gap_layer_over_tau": sp.erfc(xi / sp.sqrt(2)),
            "gap_far_leading": 2 * tau * sigma * _phi(alpha) / (y / a + tau),
            "rms_leading": _rms_leading()[1]}


# --- log-det -----------------------------------------------------------------------------------

def _check_logdet():
    profile = lp.layer_logdet_profile()
    ev = [
        show("Euler-Lagrange equation 2 M (phi - T x) p + c (p/phi')' = 0; across the kink "
             "p/phi' is continuous (no Dirac term), so phi' is continuous: phi is C^1", sp.Integer(0)),
        zero("far field: phi = T x + psi_inf, psi_inf = c/(2 M b T), solves it exactly on x > 0 (y-form)",
             lp.logdet_residual("y", profile=sp.Integer(1))),
        zero("inner profile Psi(xi) = 1 - exp(-xi): Psi'' - Psi + 1 (bounded, Psi(0) = 0, odd)",
             sp.diff(profile, xi, 2) - profile + 1),
    ]
    for form in ("y", "z-weighted"):
        residual = lp.logdet_residual(form)
        ev.append(zero(f"{form}-form: residual of phi = T x + psi_inf Psi(r x) (r = T sqrt(M)/delta) "
                       f"over its scale 2 M psi_inf, at delta -> 0", sp.limit(residual, delta, 0)))
        ev.append(zero(f"{form}-form: psi_inf/T - tau (the inverse's far-field shift is the MAP's)",
                       lp.logdet_far_field(form) / lp.target_coefficient(form) - tau))
    inverse = lp.logdet_inverse_leading()
    t_pos = sp.Symbol("t_pos", positive=True)
    slope = sp.diff(inverse.subs(y, a * t_pos), t_pos)
    pm_layer = 1 - sp.erfc(xi / sp.sqrt(2))
    to_pm = sp.N((pm_layer - profile).subs(xi, 1), 8)
    ev += [
        show("z-form (unweighted) instead: psi_inf/T = delta^2/(a^4 b) (= tau only at a = 1)",
             lp.logdet_far_field("z") / lp.target_coefficient("z")),
        show("leading-order inverse (y, z-weighted): t - tau sign(t)(1 - exp(-|t|/sigma))", inverse),
        zero("its slope at t > 0 minus 1 + epsilon exp(-t/sigma) (epsilon = delta/(a b))",
             slope - (1 - delta / (a * b) * sp.exp(-a * t_pos / delta))),
        show("so the slope is >= 1 - delta/(a b) > 0 for delta < a b (the exact solution has "
             "phi' > 0 by the log barrier)", 1 - delta / (a * b)),
        show("(strictly increasing, continuous: no dead zone.) In the layer: (log-det - MAP)/tau",
             sp.exp(-xi)),
        show("(log-det - PM)/tau = erf(xi/sqrt 2) - (1 - exp(-xi)); at xi = 1", to_pm),
        fact(f"so the log-det inverse differs from both PM and MAP at order tau = delta^2 in the "
             f"layer (at xi = 1: {sp.N(sp.exp(-1), 5)} tau from the MAP, {to_pm:.5f} tau from the "
             f"PM), and far out by tau exp(-|t|/sigma), much more than PM - MAP ~ exp(-t^2/(2 sigma^2))",
             r"x_{LD} - x_{PM} = \tau\,O(1),\ x_{LD} - x_{MAP} = \tau e^{-|\xi|}",
             abs(to_pm) > 1e-3),
    ]
    return ev


def _predict_logdet():
    return {"inverse_leading_y": lp.logdet_inverse_leading(y, "y"),
            "layer_profile": lp.layer_logdet_profile(),
            "far_field_y": lp.logdet_far_field("y")}


def claims():
    """Return the Laplace-prior claims."""
    base = (SETTING, NAMES)
    return [
        Claim("laplace-map-soft-threshold", "Laplace prior: the MAP is the soft threshold",
              "x_MAP = mu + S_tau(y/a - mu), tau = delta^2/(a^2 b), S_tau(t) = sign(t) max(|t| - tau, 0): "
              "the unique minimiser of the strictly convex negative log posterior.",
              r"x_{MAP} = \mu + S_\tau(y/a - \mu),\ \tau = \delta^2/(a^2 b)",
              base, "proved", _check_map, _predict_map),
        Claim("laplace-posterior-mean", "Laplace prior: the PM in closed form",
              "E[x | y] = t - tau (R(alpha) - R(beta))/(R(alpha) + R(beta)) with the Mills ratio "
              "R(u) = Phi(u)/phi(u), alpha = (t - tau)/sigma, beta = -(t + tau)/sigma: the derived "
              "half-line integrals, with the common factor exp(t/b) phi(beta) cancelled.",
              r"x_{PM} = t - \tau\frac{R(\alpha) - R(\beta)}{R(\alpha) + R(\beta)}",
              base, "proved", _check_pm, _predict_pm),
        Claim("laplace-divergence-inverse-map", "Laplace prior: the divergence optimum inverts to the soft threshold",
              "The z-form divergence loss is M ||phi - phi*||^2_{L2(p)} + const for absolutely "
              "continuous phi, phi*(x) = a^2 x + (delta^2/b) sign(x): it jumps at the kink, so no "
              "continuous map attains it; its generalised inverse is exactly the MAP (soft "
              "threshold), for every delta (not only asymptotically).",
              r"(\phi^*)^{-1}(z) = S_\tau(z/a^2),\ \phi^* = a^2 x + \tfrac{\delta^2}{b}\operatorname{sign}x",
              base + ("z-form, weight c = 2 delta^2",), "proved", _check_divergence, _predict_divergence),
        Claim("laplace-slope-bounded-divergence", "Laplace prior: the slope-bounded divergence optimum",
              "Over maps with slopes in [lo, H], lo <= a^2 < H, the z-form divergence optimum is the "
              "L2(p) projection of phi*: H x on |x| <= kappa/(H - a^2), phi* beyond. Its inverse "
              "is the soft threshold beyond z = H kappa/(H - a^2) and linear with slope 1/H inside "
              "(a leaky dead zone). One block: H = 1 + L, slope 1/(1 + L) > 1/2. B one-dimensional "
              "blocks realise exactly the maps with slopes in [(1 - L)^B, (1 + L)^B], so their "
              "optimum has H = (1 + L)^B and its distance to the MAP falls like (1 + L)^(-B).",
              r"\phi_H = \operatorname{sign}(x)\min(H|x|, a^2|x| + \kappa),\ "
              r"(\phi_H^{-1})' = 1/H\ \text{in the dead zone},\ H = (1 + L)^B",
              base + ("z-form, weight c = 2 delta^2, kappa = delta^2/b",
                      "(1 - L)^B <= a^2 < (1 + L)^B (else the bound is active everywhere)"),
              "proved", _check_slope_bounded, _predict_slope_bounded),
        Claim("laplace-pm-map-gap", "Laplace prior: the PM - MAP gap",
              "Far from the threshold PM - MAP is exponentially small, 2 tau sigma phi(alpha)/(t + tau) "
              "(1 + o(1)) for t > tau (bounded by twice that). In the layer |t| ~ sigma it is "
              "2 tau sign(t) Phi(-|t|/sigma)(1 + O(delta)): order tau = delta^2/(a^2 b) in absolute "
              "terms, order delta relative to the layer's width. Its RMS over the data is "
              "tau sqrt(2 (sqrt 2 - 1) sigma/(b sqrt pi)) (1 + O(delta)), order delta^(5/2).",
              r"x_{PM} - x_{MAP} \approx 2\tau\,\mathrm{sign}(t)\Phi(-|t|/\sigma),\ "
              r"\mathrm{RMS} \approx \tau\sqrt{2(\sqrt2 - 1)\sigma/(b\sqrt\pi)}",
              base, "proved", _check_pm_map_gap, _predict_pm_map_gap),
        Claim("laplace-logdet-euler-lagrange", "Laplace prior: the log-det optimum",
              "The log-det Euler-Lagrange solution is C^1 and strictly increasing, so its inverse has "
              "no dead zone. To leading order (y- and z-weighted forms) the inverse is "
              "t - tau sign(t)(1 - exp(-|t|/sigma)): it differs from the MAP by tau exp(-|t|/sigma) "
              "and from the PM by tau (erf(xi/sqrt 2) - sign(xi)(1 - exp(-|xi|))), both order "
              "delta^2 in the layer; far out both gaps decay like exp(-|t|/sigma), far slower "
              "than PM - MAP.",
              r"\phi^{-1}(y) = t - \tau\,\mathrm{sign}(t)(1 - e^{-|t|/\sigma}) + O(\delta^3)",
              base + ("weight c = 2 delta^2; y-form or z-weighted form",
                      "leading order: the ansatz's residual is O(delta) relative (matched layer)"),
              "proved", _check_logdet, _predict_logdet),
    ]
