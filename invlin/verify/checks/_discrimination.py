"""Discriminating comparisons: a learned inverse against a prediction, on the PM-MAP scale.

For smooth priors the posterior mean (PM) and the MAP agree to first order in delta^2, and for
Gaussian priors exactly, so "the learned inverse is close to the PM" says nothing unless the
distance is measured against the distance between the PM and the MAP. Every item here reports

    d(learned, predicted) / d(PM, MAP)

with d the root mean square over the central 98% of the data law (the data's 1%..99% quantiles,
an equal-probability grid), and passes at <= 0.1: the learned inverse is then ten times nearer the
prediction than the PM and the MAP are to each other, so by the triangle inequality it is at
least 0.9 d(PM, MAP) from whichever of the two the prediction is not.
"""

from __future__ import annotations

import numpy as np

from invlin.references import exact_map, exact_posterior_mean
from invlin.verify.evidence import NumericEvidence

#: An item discriminates when d(learned, predicted) / d(PM, MAP) is at most this.
BOUND = 0.1
#: The data law's central mass over which the distances are taken.
CENTRAL = (0.01, 0.99)
#: Points of the equal-probability grid (the quantile error of 200 000 samples is ~1e-3 of the
#: spread, far below the scale of the functions compared, and both distances use the same grid).
GRID_POINTS = 401
N_QUANTILE_SAMPLES = 200_000


def data_grid(prior, a, delta, form, rng):
    """An equal-probability grid on the central 98% of the data (y, or z = a y) of the 1-D
    problem y = a x + delta eta."""
    x = prior.sample(N_QUANTILE_SAMPLES, rng)[:, 0]
    y = a * x + delta * rng.standard_normal(x.size)
    data = y if form == "y" else a * y
    return np.quantile(data, np.linspace(*CENTRAL, GRID_POINTS))


def rms(f, g):
    """Root mean square of f - g over the grid."""
    return float(np.sqrt(np.mean((np.asarray(f) - np.asarray(g)) ** 2)))


def references(prior, a, delta, form, data):
    """The exact PM and MAP at the data (invlin.references), as 1-D arrays (the z-weighted
    form's data is z)."""
    data_form = "y" if form == "y" else "z"
    return (exact_posterior_mean(prior, a, delta, data, form=data_form),
            exact_map(prior, a, delta, data, form=data_form))


def discrimination_evidence(label, learned, predicted, pm, x_map, *, predicted_name,
                            accuracy=0.0, over="the central 98% of the data",
                            subject="learned inverse", statistical_error=0.0, details=None,
                            figure=None):
    """The item d(learned, predicted) / d(PM, MAP) <= BOUND, with the distances of the learned
    inverse to the PM and to the MAP in the details.

    ``statistical_error`` (e.g. twice the standard error of a sample fit) is added to
    d(learned, predicted), so that chance never helps an item pass. ``accuracy`` is the error
    bound of the references themselves (the predicted map, the PM and
    the MAP); it must be far below the PM-MAP distance for the item to mean anything, so the
    item fails (infinite error) unless d(PM, MAP) >= 10 x that bound.
    """
    separation = rms(pm, x_map)
    ratio = (rms(learned, predicted) + statistical_error) / separation
    resolved = separation >= 10 * accuracy
    return NumericEvidence(
        f"{label}: d({subject}, {predicted_name}) / d(PM, MAP), RMS over {over}",
        ratio if resolved else float("inf"), BOUND,
        f"discrimination: at <= {BOUND:g} the learned inverse is 10x nearer the prediction "
        f"than the PM and the MAP are to each other (d(PM, MAP) = {separation:.3g}, references "
        f"exact to {accuracy:.1g})",
        details={"d_pm_map": separation, "d_learned_predicted": rms(learned, predicted),
                 "statistical_error": statistical_error,
                 "d_learned_pm": rms(learned, pm), "d_learned_map": rms(learned, x_map),
                 "d_predicted_pm": rms(predicted, pm), "d_predicted_map": rms(predicted, x_map),
                 "reference_accuracy": accuracy, **(details or {})},
        figure=figure)
