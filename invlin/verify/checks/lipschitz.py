"""Numeric checks of the Lipschitz-constrained optima: clipped gains and inverse filters."""

from __future__ import annotations

import numpy as np

from invlin.verify.checks._gains import gaussian_problem, population_evidence, population_gains, \
    predicted
from invlin.verify.evidence import FigureSpec, NumericEvidence, Series
from invlin.verify.registry import numeric_check
from theory import claims

LIPSCHITZ = 0.3
PRIOR_STD, DELTA = 0.8, 0.3


def _loss_form(key):
    """'gain_logdet_z_weighted' -> ('logdet', 'z-weighted')."""
    loss, form = key[len("gain_"):].split("_", 1)
    return loss, form.replace("_", "-")


@numeric_check("lipschitz-clipping")
def clipping(rng, quick):
    """DiagonalLinear(lipschitz=0.3) trained on every loss and form: gains equal the clipped
    predictions, with singular values chosen so that some gains clip low, some high and some
    stay inside [1 - L, 1 + L]."""
    problem = gaussian_problem([1.5, 1.0, 0.6], PRIOR_STD, DELTA)
    evidence = []
    for key, expr in claims.get("lipschitz-clipping").prediction.items():
        loss, form = _loss_form(key)
        k_star = predicted(expr, problem, L=LIPSCHITZ)
        evidence.append(population_evidence(f"{loss} {form}-form, L = {LIPSCHITZ}", loss, form,
                                            problem, k_star, lipschitz=LIPSCHITZ))
    return evidence


@numeric_check("lipschitz-approximation-filter")
def approximation_filter(rng, quick):
    """Approximation-trained (z-form) inverse filters under slopes in [1 - L, 1 + L] against
    1/max(sigma^2, 1 - L), over singular values with sigma^2 <= 1 + L."""
    prediction = claims.get("lipschitz-approximation-filter").prediction
    sigmas = np.linspace(0.3, np.sqrt(1 + LIPSCHITZ), 6 if quick else 12)
    problem = gaussian_problem(sigmas[::-1], PRIOR_STD, DELTA)
    gains, gradient_norm = population_gains(problem, "approximation", "z", lipschitz=LIPSCHITZ)
    filters = 1.0 / gains
    stated = predicted(prediction["inverse_filter_z_stated"], problem, L=LIPSCHITZ)
    derived = predicted(prediction["inverse_filter_z"], problem, L=LIPSCHITZ)
    fine = np.linspace(sigmas[0], sigmas[-1], 200)
    figure = FigureSpec(
        "learned-vs-predicted", f"Approximation-trained inverse filter, L = {LIPSCHITZ}",
        r"singular value $\sigma$", r"inverse filter $1/k$",
        [Series("learned", problem.singular_values, filters, "marker"),
         Series(r"1/max(sigma^2, 1-L)", fine, 1.0 / np.maximum(fine**2, 1 - LIPSCHITZ)),
         Series("unconstrained 1/sigma^2", fine, 1.0 / fine**2, "dashed")])
    return [
        NumericEvidence(
            "max_j |1/k_j - 1/max(sigma_j^2, 1 - L)| / (1/max(sigma_j^2, 1 - L)) (relative)",
            float(np.max(np.abs(filters - stated) / stated)),
            float(2 * gradient_norm / (2 * PRIOR_STD**2) / (1 - LIPSCHITZ) + 1e-14),
            "strong convexity of the approximation loss (l'' = 2 s^2): |k - k*| <= |projected "
            "gradient| / s^2, relative to k >= 1 - L; + 1e-14 rounding",
            details={"sigmas": problem.singular_values, "learned": filters, "stated": stated,
                     "derived": derived}, figure=figure),
        NumericEvidence(
            "max_j |theory's derived filter - stated 1/max(sigma^2, 1-L)| (evaluated)",
            float(np.max(np.abs(derived - stated))), 1e-15 * np.max(stated) * 10,
            "floating point: the two expressions agree exactly for sigma^2 <= 1 + L"),
    ]
