"""The Laplace (sparsity) prior: theory's closed forms against generic numerics and trained splines.

Setting: y = a x + delta eta, x ~ Laplace(0, 1), a = 1, delta = 0.5 (z-form; at a = 1 the data
z = a y equals y), where the PM and the MAP differ by d(PM, MAP) ~ 0.077 over the central 98%
of the data. Every item is on the scale of :mod:`invlin.verify.checks._discrimination`
(d(numeric, predicted) / d(PM, MAP) <= 0.1); items that compare two exact computations add a
precision item with a tolerance from their stated accuracies. The predictions are the claims'
SymPy expressions (:func:`invlin.prediction.evaluate`); the numeric sides never use them:

- MAP and PM: the generic 1-D routes of :mod:`invlin.estimators._posterior_1d` (grid scan plus
  bracketed Newton; composite Gauss-Legendre broken at the kink), not the prior's closed forms;
- divergence: the reference of :func:`invlin.references.function_space_optimum` (the minimiser
  over increasing maps, inverted numerically), and splines trained on the exact expected loss
  with slope bounds (:func:`invlin.training.fit_population_1d`);
- log-det: the Euler-Lagrange reference and a trained spline.

Knots of the trained splines: 65 uniform knots over the prior's support (tail mass 1e-6) plus
120 in [-1.5, 1.5], where the slope-bounded optimum has its corners (a quadratic spline with
continuous slopes rounds a slope jump over one knot interval).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from invlin.estimators._posterior_1d import local_minima_1d, posterior_mean_1d
from invlin.losses.quadrature import prior_support
from invlin.prediction import evaluate
from invlin.priors import Laplace
from invlin.references import function_space_optimum
from invlin.training import fit_population_1d
from invlin.verify.checks._discrimination import (
    data_grid,
    discrimination_evidence,
    references,
    rms,
)
from invlin.verify.evidence import NumericEvidence
from invlin.verify.registry import numeric_check
from theory import claims, numeric, symbols
from theory.laplace import xi as layer_variable

A, DELTA, SCALE = 1.0, 0.5, 1.0
#: A second singular value for the closed forms' precision items (a = 1 cannot tell a from a^2).
A_OTHER = 1.5
#: Lipschitz bounds of the slope-bounded items (the issue's acceptance: 0.5 and 0.9).
LIPSCHITZ = (0.5, 0.9)
#: Noise level of the log-det leading-order item (the remainder is O(delta) relative).
SMALL_DELTA = 0.05


def _prior():
    return Laplace(0.0, SCALE)


def _setting(rng, delta=DELTA):
    prior = _prior()
    data = data_grid(prior, A, delta, "z", rng)
    pm, x_map = references(prior, A, delta, "z", data)
    return prior, data, pm, x_map


def knots():
    """The spline knots (module docstring)."""
    lo, hi, _ = prior_support(_prior(), 1e-6)
    return np.unique(np.concatenate([np.linspace(lo, hi, 65), np.linspace(-1.5, 1.5, 120)]))


@lru_cache(maxsize=None)
def _fit(loss, lipschitz=None):
    # projected gradient <= 1e-10 on losses of order 1: far below the ratios measured (1e-3)
    return fit_population_1d(_prior(), A, DELTA, loss, "z", knots=knots(), lipschitz=lipschitz,
                             tol=1e-10, progress=False)


def _trained(loss, data, lipschitz=None):
    model, info = _fit(loss, lipschitz)
    learned = model.inverse(np.asarray(data)[:, None])[:, 0]
    return (learned if info.converged else np.full_like(learned, np.nan)), info


def _predict(claim_id, key, **values):
    return evaluate(claims.get(claim_id).prediction[key], a=A, b=SCALE, **values)


def _predict_pointwise(claim_id, key, data_key, data, substitute=None, **values):
    """:func:`_predict` point by point: the lambdified erfc is the scalar ``math.erfc``."""
    expr = claims.get(claim_id).prediction[key]
    if substitute is not None:
        expr = expr.subs(substitute, symbols.y)
    names = {"a": A, "b": SCALE, **values}
    order = sorted(expr.free_symbols, key=lambda s: s.name)
    function = np.vectorize(numeric(expr, *order), otypes=[np.float64])
    arguments = [data if symbol.name == data_key else names[symbol.name] for symbol in order]
    return function(*arguments)


def _precision(label, numeric, predicted, tolerance, reason):
    return NumericEvidence(f"{label}: max |numeric - predicted|",
                           float(np.max(np.abs(numeric - predicted))), tolerance, reason)


@numeric_check("laplace-map-soft-threshold")
def map_soft_threshold(rng, quick):
    """The generic MAP (grid scan + Newton, no closed form) against the soft threshold."""
    prior, data, pm, x_map = _setting(rng)
    minima, _, converged = local_minima_1d(prior, A, DELTA, data / A, 1e-12)
    scanned = np.where(converged[:, 0], minima[:, 0], np.nan)
    predicted = _predict("laplace-map-soft-threshold", "map", y=data / A, delta=DELTA)
    return [discrimination_evidence("generic MAP vs the soft threshold", scanned, predicted, pm,
                                    x_map, predicted_name="the soft threshold",
                                    subject="generic MAP"),
            _precision("generic MAP vs the soft threshold", scanned, predicted, 1e-8,
                       "the scan's Newton stops at relative gradient 1e-12; 1e-8 absolute "
                       "covers it with x = O(1)"),
            _precision("invlin's exact MAP (references) vs the soft threshold", x_map, predicted,
                       1e-12, "the same formula in float64: a few roundings of O(1) numbers"),
            _precision(f"a = {A_OTHER:g}: invlin's exact MAP vs the soft threshold",
                       prior.closed_form_map(A_OTHER, DELTA, A_OTHER * data),
                       evaluate(claims.get("laplace-map-soft-threshold").prediction["map"],
                                a=A_OTHER, b=SCALE, y=A_OTHER * data, delta=DELTA),
                       1e-12, "the same formula in float64: a few roundings of O(1) numbers")]


@numeric_check("laplace-posterior-mean")
def posterior_mean_closed_form(rng, quick):
    """Generic quadrature PM and the reconstruction-trained spline against the Mills form."""
    prior, data, pm, x_map = _setting(rng)
    generic = posterior_mean_1d(prior, A, DELTA, data / A)
    predicted = _predict_pointwise("laplace-posterior-mean", "pm_mills", "y", data / A,
                                   delta=DELTA)
    learned, info = _trained("reconstruction", data)
    return [discrimination_evidence("generic quadrature PM vs the Mills-ratio form", generic,
                                    predicted, pm, x_map, predicted_name="the Mills-ratio PM",
                                    subject="quadrature PM"),
            _precision("quadrature PM vs the Mills-ratio form", generic, predicted, 1e-9,
                       "composite Gauss-Legendre broken at the kink: error ~1e-13; the "
                       "exp * erfc form loses <= 1e-12 on the central data"),
            _precision("invlin's exact PM (references) vs the Mills-ratio form", pm, predicted,
                       1e-9, "erfcx/log_ndtr form against exp * erfc: both ~1e-13 here"),
            _precision(f"a = {A_OTHER:g}: invlin's exact PM vs the Mills-ratio form",
                       prior.closed_form_posterior_mean(A_OTHER, DELTA, A_OTHER * data),
                       _predict_pointwise("laplace-posterior-mean", "pm_mills", "y",
                                          A_OTHER * data, a=A_OTHER, delta=DELTA),
                       1e-9, "erfcx/log_ndtr form against exp * erfc: both ~1e-13 here"),
            discrimination_evidence("reconstruction-trained spline vs the Mills-ratio PM",
                                    learned, predicted, pm, x_map,
                                    predicted_name="the Mills-ratio PM",
                                    details={"quadrature_error": info.quadrature_error.total})]


@numeric_check("laplace-divergence-inverse-map")
def divergence_inverse_soft_threshold(rng, quick):
    """The divergence reference (minimiser over increasing maps, inverted) is the MAP."""
    prior, data, pm, x_map = _setting(rng)
    optimum = function_space_optimum(prior, A, DELTA, "divergence", "z")
    inverse = optimum.inverse(data)
    predicted = _predict("laplace-divergence-inverse-map", "inverse_z", z=data, delta=DELTA)
    return [discrimination_evidence("divergence reference's inverse vs the soft threshold",
                                    inverse, predicted, pm, x_map,
                                    predicted_name="the soft threshold",
                                    subject="reference inverse", accuracy=optimum.accuracy),
            _precision("divergence reference's inverse vs the soft threshold", inverse,
                       predicted, 1e-8, "the reference's stated inverse accuracy "
                       f"({optimum.accuracy:.1g}) with room for the root search"),
            discrimination_evidence("divergence reference's inverse vs invlin's exact MAP",
                                    inverse, x_map, pm, x_map, predicted_name="the MAP",
                                    subject="reference inverse", accuracy=optimum.accuracy)]


@numeric_check("laplace-slope-bounded-divergence")
def slope_bounded(rng, quick):
    """Splines with slopes in [1 - L, 1 + L] trained on the exact divergence loss against the
    L2(p) projection, and the learned inverse's dead-zone slope against 1/(1 + L)."""
    prior, data, pm, x_map = _setting(rng)
    items = []
    for L in LIPSCHITZ[:1] if quick else LIPSCHITZ:
        learned, info = _trained("divergence", data, L)
        predicted = _predict("laplace-slope-bounded-divergence", "inverse_z", z=data,
                             delta=DELTA, H=1 + L)
        items.append(discrimination_evidence(
            f"L = {L:g}: trained spline vs the slope-bounded optimum", learned, predicted, pm,
            x_map, predicted_name="the slope-bounded optimum",
            details={"d_optimum_map": rms(predicted, x_map), "d_optimum_pm": rms(predicted, pm),
                     "quadrature_error": info.quadrature_error.total}))
        edge = float(_predict("laplace-slope-bounded-divergence", "zone_edge_data",
                              delta=DELTA, H=1 + L))
        outer = np.abs(data) > edge
        items.append(discrimination_evidence(
            f"L = {L:g}: beyond the leaky zone (|z| > {edge:.3g}) trained spline vs the MAP",
            learned[outer], x_map[outer], pm[outer], x_map[outer], predicted_name="the MAP",
            over=f"the central 98% of the data with |z| > {edge:.3g}"))
        model, _ = _fit("divergence", L)
        # slope of the learned inverse inside the dead zone |z| <= kappa = delta^2/b, by a
        # central difference over [-kappa/2, kappa/2] (the inverse is linear there)
        kappa = DELTA**2 / SCALE
        ends = model.inverse(np.array([[-kappa / 2], [kappa / 2]]))[:, 0]
        slope = (ends[1] - ends[0]) / kappa
        expected = float(_predict("laplace-slope-bounded-divergence", "dead_zone_slope",
                                  delta=DELTA, H=1 + L))
        items.append(NumericEvidence(
            f"L = {L:g}: relative error of the learned dead-zone slope against 1/H",
            abs(slope / expected - 1), 1e-2,
            "the issue's 10% with a 10x margin; the spline follows the optimum to ~1e-3 of "
            "d(PM, MAP)", details={"measured": slope, "predicted": expected}))
    return items


def _gap_items(rng, delta):
    prior, data, pm, x_map = _setting(rng, delta)
    xi = data / (delta / A) / A  # t / sigma, t = z / a^2
    tau = delta**2 / (A**2 * SCALE)
    measured = pm - x_map
    predicted = np.sign(xi) * tau * _predict_pointwise(
        "laplace-pm-map-gap", "gap_layer_over_tau", "y", np.abs(xi), substitute=layer_variable)
    ratio = rms(measured, predicted) / rms(measured, 0.0)
    return NumericEvidence(
        f"delta = {delta:g}: d(PM - MAP, 2 tau sign(t) Phi(-|t|/sigma)) / d(PM, MAP)", ratio,
        10 * delta / (A * SCALE),
        "the leading term's relative correction is O(delta/(a b)) (claim); 10x that",
        details={"d_pm_map": rms(pm, x_map)})


@numeric_check("laplace-pm-map-gap")
def pm_map_gap(rng, quick):
    """The exact PM - MAP (invlin's closed forms) against the layer and far-field leading terms."""
    items = [_gap_items(rng, 0.005)]
    if not quick:
        items.append(_gap_items(rng, 0.002))
    prior = _prior()
    sigma, tau = DELTA / A, DELTA**2 / (A**2 * SCALE)
    # t = 5 and 6 sigma: the gap (~1e-6, 1e-8) is still far above the float64 rounding of
    # PM - MAP (~1e-15), and the leading term's relative correction is ~ (sigma/(t + tau))^2
    t = np.array([5.0, 6.0]) * sigma
    exact = (prior.closed_form_posterior_mean(A, DELTA, A * t)
             - prior.closed_form_map(A, DELTA, A * t))
    leading = _predict("laplace-pm-map-gap", "gap_far_leading", y=A * t, delta=DELTA)
    scaled = np.abs(exact / leading - 1) / (sigma / (t + tau)) ** 2
    items.append(NumericEvidence(
        "far field t = 5, 6 sigma: max |exact / leading - 1| / (sigma/(t + tau))^2",
        float(np.max(scaled)), 2.0,
        "the leading term's relative correction is (sigma/(t + tau))^2 (1 + o(1)) (the Mills "
        "series 1/|beta|(1 - 1/beta^2 + ...)); 2 allows the next terms",
        details={"t": t, "exact": exact, "leading": leading}))
    return items


@numeric_check("laplace-logdet-euler-lagrange")
def logdet_euler_lagrange(rng, quick):
    """The trained log-det spline against the Euler-Lagrange reference, and the reference
    against theory's leading-order layer solution at small delta."""
    prior, data, pm, x_map = _setting(rng)
    optimum = function_space_optimum(prior, A, DELTA, "logdet", "z")
    learned, info = _trained("logdet", data)
    items = [discrimination_evidence("log-det trained spline vs the Euler-Lagrange solution",
                                     learned, optimum.inverse(data), pm, x_map,
                                     predicted_name="the Euler-Lagrange solution",
                                     accuracy=optimum.accuracy)]
    prior, data, pm, x_map = _setting(rng, SMALL_DELTA)
    small = function_space_optimum(prior, A, SMALL_DELTA, "logdet", "z")
    solution = small.inverse(data)
    predicted = _predict("laplace-logdet-euler-lagrange", "inverse_leading_y", y=data / A,
                         delta=SMALL_DELTA)
    items.append(discrimination_evidence(
        f"delta = {SMALL_DELTA:g}: Euler-Lagrange solution vs the leading-order "
        "t - tau sign(t)(1 - exp(-|t|/sigma))", solution, predicted, pm, x_map,
        predicted_name="the leading-order solution", subject="Euler-Lagrange solution",
        accuracy=small.accuracy,
        details={"d_solution_pm": rms(solution, pm), "d_solution_map": rms(solution, x_map)}))
    nearer = rms(solution, pm) / rms(solution, x_map)
    items.append(NumericEvidence(
        f"delta = {SMALL_DELTA:g}: d(Euler-Lagrange solution, PM) / d(Euler-Lagrange solution, MAP)",
        nearer, 0.5, "theory's layer profiles: erf(xi/sqrt 2) - (1 - e^-xi) against e^-xi "
        "(RMS ratio ~0.2); PM and MAP swapped would give its inverse (> 2)"))
    slopes = np.diff(solution) / np.diff(data)
    items.append(NumericEvidence(
        f"delta = {SMALL_DELTA:g}: 1 - min slope of the Euler-Lagrange inverse / (1 - delta/(a b))",
        max(0.0, 1 - float(np.min(slopes)) / (1 - SMALL_DELTA / (A * SCALE))), 0.05,
        "no dead zone: the leading-order slope is >= 1 - delta/(a b); 5% for the O(delta) "
        "remainder and the difference quotient", details={"min_slope": float(np.min(slopes))}))
    return items
