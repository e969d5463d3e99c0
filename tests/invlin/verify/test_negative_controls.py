"""Negative controls: every numeric check FAILs when its prediction is deliberately wrong.

A check that cannot fail verifies nothing. For every claim with a numeric check, ``CONTROLS``
names one deliberate error in what the check compares with (a prediction scaled by 1.001, a
weight halved, PM and MAP swapped, ...) and the test asserts that :func:`invlin.verify.verify`
then reports FAIL for that claim. The errors are small on purpose (0.1% where the prediction is
a number): a control that only catches gross errors would not show that the tolerance is tight.
``test_every_checked_claim_has_a_control`` keeps the table complete as claims are added.
"""

from __future__ import annotations

import copy
import re
import types

import pytest
import theory
import theory.linear
from invlin.verify import verify
import numpy as np

from invlin.estimators import map_estimate, posterior_mean
from invlin.verify import checks
from invlin.references import bayes
from invlin.verify.checks import estimators, function_space, linear, logdet
from invlin.verify.registry import REGISTRY
from theory import claims, symbols


def wrong_prediction(claim_id, key, make_wrong, description):
    """A control: ``claims.get(claim_id).prediction[key]`` replaced by
    ``make_wrong(prediction)`` for every caller."""

    def apply(monkeypatch):
        original_get = claims.get
        prediction = dict(original_get(claim_id).prediction)
        prediction[key] = make_wrong(prediction)

        def get(cid):
            claim = original_get(cid)
            if cid != claim_id:
                return claim
            wrong = copy.copy(claim)
            wrong.__dict__["prediction"] = prediction  # the cached_property's slot
            return wrong

        monkeypatch.setattr(claims, "get", get)

    apply.description = description
    return apply


def scaled_prediction(claim_id, key, factor=1.001):
    """A control: ``prediction[key]`` of ``claim_id`` multiplied by ``factor``."""
    return wrong_prediction(claim_id, key, lambda p: p[key] * factor,
                            f"prediction {key!r} x {factor}")


def replaced_prediction(claim_id, key, by_claim, by_key):
    """A control: ``prediction[key]`` of ``claim_id`` replaced by another claim's
    ``prediction[by_key]`` (e.g. the log-det series by the PM's: the paper's reading)."""
    return wrong_prediction(claim_id, key, lambda p: claims.get(by_claim).prediction[by_key],
                            f"prediction {key!r} replaced by {by_claim}'s {by_key!r}")


def scaled_theory(name, factor=1.001):
    """A control: the theory function ``theory.<name>`` returns its expression x ``factor``."""

    def apply(monkeypatch):
        original = getattr(theory, name)
        monkeypatch.setattr(theory, name, lambda *a, **k: original(*a, **k) * factor)

    apply.description = f"theory.{name} x {factor}"
    return apply


def divergence_weight_halved(*modules):
    """A control: the divergence optimum A^T A x - (c/2) grad log p with half the weight c."""

    def apply(monkeypatch):
        for module in modules:
            original = module.divergence_optimum
            monkeypatch.setattr(
                module, "divergence_optimum",
                lambda sv, basis, delta, x, score, f=original: f(sv, basis, delta / 2**0.5, x,
                                                                 score))

    apply.description = "divergence optimum with half the weight c = 2 delta^2"
    return apply


def logdet_weight_halved(monkeypatch):
    monkeypatch.setattr(logdet, "WEIGHT", symbols.PAPER_WEIGHT / 2)


logdet_weight_halved.description = "Euler-Lagrange weight c halved"


def pm_and_map_swapped(*modules):
    """A control: every ``posterior_mean`` in ``modules`` returns the MAP and every
    ``map_estimate`` the PM (the swap "at the source" that a check must notice)."""

    def apply(monkeypatch):
        for module in modules:
            if hasattr(module, "posterior_mean"):
                monkeypatch.setattr(module, "posterior_mean",
                                    lambda problem, y, **kwargs: map_estimate(problem, y))
            if hasattr(module, "map_estimate"):
                monkeypatch.setattr(module, "map_estimate", _pm_as_map)

    apply.description = "PM and MAP swapped"
    return apply


def swap_everywhere(monkeypatch):
    """PM and MAP swapped in every check module and at the source of the exact 1-D
    references (:mod:`invlin.references.bayes`)."""
    modules = [getattr(checks, name) for name in dir(checks)
               if isinstance(getattr(checks, name), types.ModuleType)]
    pm_and_map_swapped(*modules, bayes)(monkeypatch)


def _pm_as_map(problem, y, *, return_info=False, **kwargs):
    x, info = map_estimate(problem, y, return_info=True, **kwargs)
    x = posterior_mean(problem, y)
    return (x, info) if return_info else x


def theory_operator_scaled(monkeypatch):
    original = linear._theory_operator
    monkeypatch.setattr(linear, "_theory_operator",
                        lambda loss, form: tuple(1.001 * v for v in original(loss, form)))


theory_operator_scaled.description = "theory's optimal operator (K*, b*) x 1.001"


def map_operator_scaled(monkeypatch):
    original = theory.linear.map_operator
    monkeypatch.setattr(theory.linear, "map_operator",
                        lambda *a, **k: tuple(1.001 * v for v in original(*a, **k)))


map_operator_scaled.description = "theory.linear.map_operator x 1.001"


def saddle_replaced_by_minimiser(monkeypatch):
    monkeypatch.setattr(linear, "spurious_root", lambda c: 0.5 * (1 + np.sqrt(1 + 2 * c)))


saddle_replaced_by_minimiser.description = "the stated saddle root replaced by the minimiser's"


def logdet_series_signs_dropped(monkeypatch):
    def partial_sums(J, terms):  # sum_k tr(J^k)/k: the series of -log det(I - J), not log det
        sums, power, total = [], np.eye(J.shape[0]), 0.0
        for k in range(1, terms + 1):
            power = power @ J
            total += np.trace(power) / k
            sums.append(total)
        return np.array(sums)

    monkeypatch.setattr(function_space, "_series_partial_sums", partial_sums)


logdet_series_signs_dropped.description = "log-det series without its alternating signs"


CONTROLS = {
    "approximation-gain": scaled_prediction("approximation-gain", "gain_y"),
    "reconstruction-gain-is-pm": scaled_prediction("reconstruction-gain-is-pm", "gain_z"),
    "logdet-y-gain": scaled_prediction("logdet-y-gain", "gain_y"),
    "logdet-y-first-order-pm": scaled_prediction("logdet-y-first-order-pm", "gap_to_pm_y",
                                                 1.01),
    "logdet-y-no-constant-weight": scaled_prediction("logdet-y-no-constant-weight",
                                                     "exact_weight_y"),
    "logdet-z-unweighted": scaled_prediction("logdet-z-unweighted", "gain_z"),
    "logdet-z-weighted-first-order": scaled_prediction("logdet-z-weighted-first-order",
                                                       "gain_z_weighted"),
    "logdet-euler-lagrange": logdet_weight_halved,
    "logdet-inverse-pm-second-order": scaled_theory("gap_to_pm", 1.01),
    "divergence-stein-identity": divergence_weight_halved(function_space),
    "divergence-z-map": scaled_theory("optimal_gain"),
    "divergence-invertibility": scaled_prediction("divergence-invertibility",
                                                  "mixture_min_slope"),
    "divergence-y-not-map": scaled_prediction("divergence-y-not-map", "gain_y"),
    "lipschitz-clipping": scaled_prediction("lipschitz-clipping", "gain_approximation_z"),
    "lipschitz-approximation-filter": scaled_prediction("lipschitz-approximation-filter",
                                                        "inverse_filter_z_stated"),
    "tweedie-linear": pm_and_map_swapped(estimators),
    "diagonal-marginal-divergence": pm_and_map_swapped(bayes),
    "diagonal-marginal-reconstruction": pm_and_map_swapped(bayes),
    "pm-map-fourth-order": scaled_prediction("pm-map-fourth-order", "pm_minus_map_d4", -1),
    "logdet-inverse-fourth-order": replaced_prediction(
        "logdet-inverse-fourth-order", "logdet_inverse_series", "pm-map-fourth-order",
        "pm_series"),
    "logdet-inverse-pm-fourth-order": scaled_prediction("logdet-inverse-pm-fourth-order",
                                                        "logdet_minus_pm_d4", 0),
    "divergence-inverse-map-all-orders": replaced_prediction(
        "divergence-inverse-map-all-orders", "divergence_inverse_series_z",
        "divergence-inverse-map-all-orders", "divergence_inverse_series_y"),
    "gaussian-pm-equals-map": map_operator_scaled,
    "iresnet-logdet-series": logdet_series_signs_dropped,
    "linear-divergence-operator": theory_operator_scaled,
    "linear-reconstruction-operator": theory_operator_scaled,
    "linear-logdet-operator": theory_operator_scaled,
    "linear-logdet-spurious-stationary-points": saddle_replaced_by_minimiser,
    "laplace-map-soft-threshold": scaled_prediction("laplace-map-soft-threshold", "map"),
    "laplace-posterior-mean": scaled_prediction("laplace-posterior-mean", "pm_mills"),
    "laplace-divergence-inverse-map": scaled_prediction("laplace-divergence-inverse-map",
                                                        "inverse_z"),
    "laplace-slope-bounded-divergence": wrong_prediction(
        "laplace-slope-bounded-divergence", "inverse_z",
        lambda p: p["inverse_z"].subs(symbols.H, symbols.H**2),
        "one block's optimum predicted with the two-block bound H^2"),
    "laplace-pm-map-gap": scaled_prediction("laplace-pm-map-gap", "gap_layer_over_tau", 1.1),
    "laplace-logdet-euler-lagrange": replaced_prediction(
        "laplace-logdet-euler-lagrange", "inverse_leading_y", "laplace-map-soft-threshold",
        "map"),
}


def test_every_checked_claim_has_a_control():
    missing = [cid for cid in REGISTRY.claims() if cid not in CONTROLS]
    assert not missing, f"claims with numeric checks but no negative control: {missing}"


@pytest.mark.parametrize("claim_id", sorted(CONTROLS))
def test_wrong_prediction_fails(monkeypatch, claim_id):
    control = CONTROLS[claim_id]
    control(monkeypatch)
    (record,) = verify([claim_id], quick=True)
    assert record.status == "FAIL", (
        f"{claim_id} with {control.description}: {record.status} ({record.reason})")


def test_a_stalled_sample_fit_fails(monkeypatch):
    """The sample checks start L-BFGS 10 standard errors from the prediction and require
    convergence: an optimiser that stops where it started is a FAIL, not "10 SE away"."""
    import scipy.optimize

    from invlin.verify.checks import _gains

    def stalled(fun, x0, **kwargs):
        value, gradient = fun(x0)
        return scipy.optimize.OptimizeResult(x=x0, jac=gradient, success=False,
                                             message="stalled (negative control)")

    monkeypatch.setattr(_gains.scipy.optimize, "minimize", stalled)
    (record,) = verify(["divergence-z-map"], quick=True)
    assert record.status == "FAIL"
    (item,) = [e for e in record.evidence if "empirical minimiser" in e.quantity]
    assert item.error == float("inf") and not item.details["optimizer_converged"]
    assert np.all(np.abs(item.details["start"] - item.details["predicted"])
                  >= 10 * item.details["standard_error"] * (1 - 1e-12))


#: Claims whose statement names the PM or the MAP (title or statement).
NAMES_PM_OR_MAP = re.compile(r"\bPM\b|posterior mean|\bMAP\b|x_PM|x_MAP")
#: Claims about Gaussian priors and affine models, where PM = MAP is part of the statement:
#: swapping the two is no error there, and an affine model represents neither the PM nor the
#: MAP of a non-Gaussian prior (its affine optima depend on the prior's mean and covariance
#: only: their non-Gaussian items compare with theory's operator and use the PM and the MAP
#: only as the scale). Their negative controls are the scaled operators in CONTROLS.
SWAP_IS_NOT_AN_ERROR = {"gaussian-pm-equals-map", "linear-divergence-operator",
                        "linear-reconstruction-operator"}


def _pm_map_claims():
    return [c.id for c in claims.all()
            if NAMES_PM_OR_MAP.search(f"{c.title} {c.statement}")
            and c.id not in SWAP_IS_NOT_AN_ERROR]


@pytest.mark.parametrize("claim_id", _pm_map_claims())
def test_swapping_pm_and_map_fails(monkeypatch, claim_id):
    """Every check of a claim naming the PM or the MAP discriminates: with the two estimators
    swapped at their source (every caller gets the wrong one), the claim FAILs."""
    swap_everywhere(monkeypatch)
    (record,) = verify([claim_id], quick=True)
    assert record.status == "FAIL", f"{claim_id} with PM and MAP swapped: {record.status}"


def test_a_wrong_stated_series_fails(monkeypatch):
    """gain_y_series (the stated two-term series of the log-det gain) is checked by the slope
    of its remainder: a coefficient off by 1e-7 relative already FAILs."""
    scaled_prediction("logdet-y-first-order-pm", "gain_y_series", 1 + 1e-7)(monkeypatch)
    (record,) = verify(["logdet-y-first-order-pm"], quick=True)
    assert record.status == "FAIL"
    assert any("gain_y_series" in e.quantity and not e.passed for e in record.evidence)
