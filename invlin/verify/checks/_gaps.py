"""Gap of a learned inverse filter to the posterior mean's, against the noise level.

The measured gap is 1/k (population-trained DiagonalLinear) minus the PM filter measured with
:func:`invlin.estimators.posterior_mean` (independent of the theory). It is compared with the
theory's exact gap, and its log-log slope with the leading order of the theory's series.
"""

from __future__ import annotations

import numpy as np

from invlin.estimators import posterior_mean
from invlin.verify.checks._gains import convergence_bound, gaussian_problem, population_gains
from invlin.verify.checks._tolerances import EPS
from invlin.verify.derivations import derived
from invlin.verify.evidence import FigureSpec, NumericEvidence, Series
from theory import symbols
from theory.series import leading_order, order_in
from invlin.prediction import evaluate

#: One component: a = 1.5, prior std 1.
A, PRIOR_STD = 1.5, 1.0


def _pm_filter(problem, form):
    """x_PM for unit data t = 1 on the component (y-form: y = 1; z-forms: z = 1, y = z / a)."""
    y = np.array([[1.0]]) if form == "y" else np.array([[1.0 / A]])
    return float(posterior_mean(problem, y)[0, 0])


def measured_gaps(loss, form, deltas):
    """Measured gaps 1/k - PM filter and their absolute error bounds, per noise level."""
    gaps, bounds = [], []
    for delta in deltas:
        problem = gaussian_problem([A], PRIOR_STD, delta)
        gains, gradient_norm = population_gains(problem, loss, form)
        k = gains[0]
        bound = convergence_bound(loss, form, problem, gains, gradient_norm)[0]
        gaps.append(1.0 / k - _pm_filter(problem, form))
        # |d(1/k)| <= bound / k^2 (first order; bound << k), plus rounding of the PM filter
        bounds.append(2 * bound / k**2 + 1e2 * EPS / k)
    return np.array(gaps), np.array(bounds)


def gap_evidence(loss, form, gap_expr, *, quick):
    """Evidence: measured gaps equal the predicted gaps; their slope is the leading order."""
    deltas = np.geomspace(0.02, 0.16, 4 if quick else 8)
    gaps, bounds = measured_gaps(loss, form, deltas)
    expected = evaluate(gap_expr, a=A, s=PRIOR_STD, delta=deltas)
    at_setting = gap_expr.subs({symbols.a: A, symbols.s: PRIOR_STD})
    lead = derived(leading_order, at_setting)
    power = int(derived(order_in, at_setting))
    slope = np.polyfit(np.log(deltas), np.log(np.abs(gaps)), 1)[0]
    exact_slope = np.polyfit(np.log(deltas), np.log(np.abs(expected)), 1)[0]
    fine = np.geomspace(deltas[0], deltas[-1], 100)
    figure = FigureSpec(
        "gap-vs-delta", f"{loss} {form}-form: gap of the inverse filter to the PM (a = {A})",
        r"noise level $\delta$", r"$|1/k - 1/k_{PM}|$",
        [Series("measured (trained)", deltas, np.abs(gaps), "marker"),
         Series("theory: exact gap", fine, np.abs(evaluate(gap_expr, a=A, s=PRIOR_STD,
                                                           delta=fine))),
         Series(f"leading order ~ delta^{power}", fine,
                np.abs(evaluate(lead, delta=fine)), "dashed")], loglog=True)
    return [
        NumericEvidence(
            f"{loss} {form}: max over delta of |measured gap - predicted gap| / error bound",
            float(np.max(np.abs(gaps - expected) / bounds)), 1.0,
            "bound = 2 x (convergence bound on k) / k^2 + 100 eps / k (rigorous to first order); "
            "the ratio must be <= 1",
            details={"deltas": deltas, "measured": gaps, "predicted": expected}, figure=figure),
        NumericEvidence(
            f"{loss} {form}: |log-log slope of the measured gap - leading order {power}|",
            float(abs(slope - power)), float(2 * abs(exact_slope - power) + 1e-3),
            f"twice the deviation of the exact predicted gap's own slope from {power} over "
            f"delta in [{deltas[0]}, {deltas[-1]}] (higher-order terms), + 1e-3 for the fit of "
            f"gaps measured to ~1e-10",
            details={"measured_slope": float(slope), "exact_slope": float(exact_slope),
                     "leading_term": str(lead)}),
    ]
