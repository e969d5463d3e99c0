"""Numeric checks of the diagonal-model claims: trained on a NON-product prior, each component
learns from the MARGINAL prior of its coefficient.

A :class:`~invlin.models.MonotoneSpline` (one increasing spline per basis direction) is trained
on samples of the full 2-D prior (randomised quasi-Monte Carlo, :func:`rqmc_samples`), through
the model's own 2-D loss code (divergence or reconstruction, z-form), by projected Newton on a
fixed sample (:func:`fit_spline_empirical`, to a projected gradient of ``NEWTON_TOL`` = 1e-10).
Theory predicts that component j then inverts to the 1-D estimator of the marginal problem
z_j = sigma_j^2 t_j + noise with prior p_j, the law of t_j = <x, v_j>: the marginal MAP
(divergence) or the marginal PM (reconstruction), computed exactly by :mod:`invlin.references`
from ``prior.marginal(v_j)``.
Nothing in the training sees a marginal, so a wrong marginal formula (or a loss that couples
the components) shows.

Each item is d(learned, predicted) / d(marginal PM, marginal MAP) on the central 98% of z_j
(:mod:`invlin.verify.checks._discrimination`), with the learned inverse's statistical error
counted against it: the fit is repeated on an independently scrambled sample and twice the
replicate standard error is added to the distance.

Setting: A = diag(1, 0.9), delta = 0.5, the correlated asymmetric two-component mixture below
(not a product in any basis). Both marginals are skewed, their PM and MAP differ by 0.08 and
0.1 (RMS), and both marginal divergence optima are increasing (min slope 0.28 and 0.13), so the
marginal MAP is the inverse of the divergence optimum everywhere.
"""

from __future__ import annotations

import numpy as np

from invlin.losses import Loss
from invlin.models import MonotoneSpline
from invlin.priors import GaussianMixture
from invlin.problem import LinearInverseProblem
from invlin.references import exact_map, exact_posterior_mean
from invlin.verify.checks._discrimination import CENTRAL, GRID_POINTS, discrimination_evidence, rms
from invlin.verify.checks._sample_fit import fit_spline_empirical, rqmc_samples
from invlin.verify.registry import numeric_check

DELTA = 0.5
SINGULAR_VALUES = (1.0, 0.9)
#: Knots per component, on the sample's 0.1%..99.9% range (linear tails beyond).
N_KNOTS = 17


def _problem():
    prior = GaussianMixture([0.35, 0.65], [[1.0, 0.9], [-0.6, -0.5]],
                            [[[0.3, 0.12], [0.12, 0.25]], [[0.35, -0.1], [-0.1, 0.3]]])
    return LinearInverseProblem.diagonal(SINGULAR_VALUES, DELTA, prior)


def _n(loss, quick):
    """Samples per fit (a power of 2): the reconstruction loss differentiates through the
    inverse and is smoother in the parameters, so it needs fewer."""
    if loss == "reconstruction":
        return 2**16 if quick else 2**17
    return 2**17 if quick else 2**18


def fit_on_samples(problem, loss, samples):
    """A MonotoneSpline minimising ``loss`` (z-form) on ``samples`` (projected Newton in its
    box), and (converged, final projected gradient norm)."""
    t = samples.x @ problem.right_singular_vectors
    knots = np.quantile(t, np.linspace(0.001, 0.999, N_KNOTS), axis=0).T
    model = MonotoneSpline(knots, problem.right_singular_vectors)
    return model, fit_spline_empirical(model, Loss(loss, form="z"), samples, problem)


def _component_inverse(model, v, z_grid):
    """Coefficient j of phi^-1 at the points z_grid v_j (a diagonal model's component j
    depends only on <z, v_j>)."""
    return model.inverse(np.outer(z_grid, v), tol=1e-12) @ v


def marginal_items(loss, predicted, rng, quick):
    """One item per component: the trained component inverse against the marginal
    ``predicted`` estimator ("PM" or "MAP")."""
    problem = _problem()
    V, n = problem.right_singular_vectors, _n(loss, quick)
    fits = [fit_on_samples(problem, loss, rqmc_samples(problem, n, rng)) for _ in range(2)]
    z = problem.sample(200_000, rng).z @ V
    evidence = []
    for j, sigma in enumerate(problem.singular_values):
        marginal = problem.prior.marginal(V[:, j])
        grid = np.quantile(z[:, j], np.linspace(*CENTRAL, GRID_POINTS))
        learned = [_component_inverse(model, V[:, j], grid) for model, _ in fits]
        pm = exact_posterior_mean(marginal, sigma, DELTA, grid, form="z")
        x_map = exact_map(marginal, sigma, DELTA, grid, form="z")
        target = pm if predicted == "PM" else x_map
        # two independent fits: their difference has twice the variance of one
        standard_error = rms(learned[0], learned[1]) / np.sqrt(2)
        converged = all(converged for _, (converged, _) in fits)
        evidence.append(discrimination_evidence(
            f"diagonal spline trained on the 2-D non-product prior, component {j} "
            f"(sigma = {sigma:g}, {loss} z-form, n = {n})",
            learned[0] if converged else np.full_like(grid, np.nan), target, pm, x_map,
            predicted_name=f"the marginal {predicted}", accuracy=1e-10,
            statistical_error=2 * standard_error,
            details={"replicate_standard_error": standard_error,
                     "final_gradient_norms": [norm for _, (_, norm) in fits]}))
    return evidence


@numeric_check("diagonal-marginal-divergence")
def marginal_divergence(rng, quick):
    """Divergence loss: component j inverts to the MAP of the marginal problem."""
    return marginal_items("divergence", "MAP", rng, quick)


@numeric_check("diagonal-marginal-reconstruction")
def marginal_reconstruction(rng, quick):
    """Reconstruction loss: component j inverts to the PM of the marginal problem,
    E[x_j | z_j]."""
    return marginal_items("reconstruction", "PM", rng, quick)
