"""Shared machinery of the scalar-gain checks: train DiagonalLinear, compare with theory.

Two comparisons per (loss, form):

- population: projected Newton on the exact expected loss (closed form, difference Hessian of
  its exact gradient) until the projected gradient norm is below 1e-12; the tolerance is the
  strong-convexity bound |k - k*| <= 2 |grad| / l''(k), with l'' the second derivative of
  ``theory.expected_loss`` (the theory's own curvature), plus rounding;
- samples: the minimiser of the empirical loss on n fresh samples (L-BFGS on the loss's exact
  gradient) must lie within 4 standard errors of the prediction, the standard error from the
  sandwich formula SE_j = sd(mean gradient_j) / l''_j with the gradient's spread estimated from
  50 batch means.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import sympy as sp

import theory
from invlin.losses import Loss
from invlin.models.diagonal_linear import DiagonalLinear
from invlin.priors import Gaussian
from invlin.problem import LinearInverseProblem, Samples
from invlin.prediction import evaluate
from invlin.training import train
from invlin.verify.checks._tolerances import EPS, K_SIGMA
from invlin.verify.evidence import NumericEvidence
from theory import symbols

#: Convergence threshold of population training (projected gradient norm).
POPULATION_TOL = 1e-12
#: Sample checks start the optimiser this many standard errors away from the prediction.
START_DISTANCE = 10.0
#: Newton iterations allowed in population training (2-17 measured, from the identity).
NEWTON_STEPS = 100


def gaussian_problem(singular_values, prior_std, delta) -> LinearInverseProblem:
    """A = diag(singular values), prior N(0, prior_std^2 I), noise level delta."""
    n = len(singular_values)
    return LinearInverseProblem.diagonal(np.asarray(singular_values, dtype=float), delta,
                                         Gaussian(np.zeros(n), prior_std**2 * np.eye(n)))


#: Population training is deterministic (no sampling), so results are cached per process and
#: shared by the checks that train the same (problem, loss, form, weight, bound).
_TRAINED: dict = {}


def population_model(problem, loss, form, *, weight=None, lipschitz=None):
    """DiagonalLinear (basis: right singular vectors) trained on the exact expected loss, and
    the final projected gradient norm."""
    prior = problem.prior
    key = (problem.A.tobytes(), prior.mean.tobytes(), prior.covariance.tobytes(), problem.delta,
           loss, form, weight, lipschitz)
    if key not in _TRAINED:
        model = DiagonalLinear(problem.right_singular_vectors, lipschitz=lipschitz)
        result = train(model, problem, loss, form=form, weight=weight, population=True,
                       optimizer="newton", steps=NEWTON_STEPS, tol=POPULATION_TOL, seed=0,
                       progress=False)
        _TRAINED[key] = (model.get_parameters(), result.final_gradient_norm)
    parameters, gradient_norm = _TRAINED[key]
    model = DiagonalLinear(problem.right_singular_vectors, lipschitz=lipschitz)
    model.set_parameters(parameters)
    return model, gradient_norm


def population_gains(problem, loss, form, *, weight=None, lipschitz=None):
    """Gains k_j (ordered like ``problem.singular_values``) after population training, and the
    final projected gradient norm."""
    model, gradient_norm = population_model(problem, loss, form, weight=weight,
                                            lipschitz=lipschitz)
    return model.get_parameters(), gradient_norm


def curvature(loss, form, problem, gains, weight=None):
    """l''(k_j) per component, from ``theory.expected_loss`` (per component: a = sigma_j)."""
    c = None if weight is None else symbols.c
    second = sp.diff(theory.expected_loss(loss, form, symbols.k, c), symbols.k, 2)
    values = dict(a=problem.singular_values, s=np.sqrt(problem.prior.covariance[0, 0]),
                  delta=problem.delta, k=gains)
    if weight is not None:
        values["c"] = weight
    result = evaluate(second, **values)
    if np.any(result <= 0):
        raise ArithmeticError(f"expected loss not locally convex at the learned gains: {result}")
    return result


def predicted(expr, problem, **extra):
    """Evaluate a prediction at the problem's singular values, prior std and noise level."""
    values = dict(a=problem.singular_values, s=np.sqrt(problem.prior.covariance[0, 0]),
                  delta=problem.delta, **extra)
    names = {str(sym) for sym in sp.sympify(expr).free_symbols}
    return evaluate(expr, **{k: v for k, v in values.items() if k in names}) + np.zeros(
        len(problem.singular_values))


def convergence_bound(loss, form, problem, gains, gradient_norm, weight=None):
    """Absolute bound on |k_j - k*_j| after population training (strong convexity + rounding)."""
    return 2.0 * gradient_norm / curvature(loss, form, problem, gains, weight) + 1e2 * EPS * gains


def population_evidence(label, loss, form, problem, prediction, *, weight=None, lipschitz=None):
    """Evidence: gains from population training against the predicted gains."""
    gains, gradient_norm = population_gains(problem, loss, form, weight=weight,
                                            lipschitz=lipschitz)
    bound = convergence_bound(loss, form, problem, gains, gradient_norm, weight)
    ratio = np.abs(gains - prediction) / bound
    return NumericEvidence(
        f"{label}: max_j |k_j - k*_j| / convergence bound (population training)",
        float(ratio.max()), 1.0,
        "strong convexity: |k - k*| <= 2|projected gradient| / l''(k) (+100 eps k); the ratio "
        "to this rigorous bound must be <= 1",
        details={"learned": gains, "predicted": prediction, "bound": bound,
                 "gradient_norm": gradient_norm, "singular_values": problem.singular_values,
                 "delta": problem.delta, "weight": weight, "lipschitz": lipschitz})


def sample_evidence(label, loss, form, problem, prediction, rng, n, *, weight=None):
    """Evidence: the empirical-loss minimiser on n samples, in standard errors from prediction.

    L-BFGS starts START_DISTANCE standard errors away from the prediction (so that a stalled
    optimiser cannot read as agreement) and must converge: a run that stops early gives an
    infinite error (FAIL), with the optimiser's message in the details.
    """
    samples = problem.sample(n, rng)
    loss_obj = Loss(loss, form=form, weight=weight)
    model = DiagonalLinear(problem.right_singular_vectors)

    def value_and_grad(theta, batch=samples):
        model.set_parameters(theta)
        return loss_obj.value_and_grad(model, batch, problem)

    n_batches = 50
    batches = [Samples(*(part[idx] for part in samples))
               for idx in np.array_split(np.arange(n), n_batches)]
    gradients = np.array([value_and_grad(prediction, batch)[1] for batch in batches])
    # each batch gradient is a mean over n / n_batches samples: their spread / sqrt(n_batches)
    # is the standard error of the full-sample mean gradient
    se = (gradients.std(axis=0, ddof=1) / np.sqrt(n_batches)
          / curvature(loss, form, problem, prediction, weight))
    # alternate directions per component; the lower bound 1e-3 of the gains is far below
    # prediction - 10 SE for every setting here (SE << k / 10)
    start = prediction + START_DISTANCE * se * (-1.0) ** np.arange(len(prediction))
    fit = scipy.optimize.minimize(value_and_grad, start, jac=True, method="L-BFGS-B",
                                  bounds=[(1e-3, None)] * len(prediction),
                                  options={"gtol": 1e-14, "ftol": 0.0, "maxiter": 2000})
    # converged: L-BFGS's own test, or a remaining optimisation error |grad_j| / l''_j below a
    # tenth of the statistical error SE_j (L-BFGS may end on line searches that cannot improve
    # further at rounding level, which then does not matter)
    optimisation_error = np.abs(fit.jac) / curvature(loss, form, problem, fit.x, weight)
    converged = bool(fit.success or np.all(optimisation_error <= 0.1 * se))
    z = np.abs(fit.x - prediction) / se
    return NumericEvidence(
        f"{label}: max_j |k_hat_j - k*_j| / SE_j (empirical minimiser, n = {n}, started "
        f"{START_DISTANCE:g} SE away; inf if L-BFGS did not converge)",
        float(z.max()) if converged else float("inf"), K_SIGMA,
        f"{K_SIGMA:g} standard errors; SE_j = sd of the mean gradient (from {n_batches} batch "
        f"means of n = {n} samples) / l''(k*_j) (sandwich formula)",
        details={"learned": fit.x, "predicted": prediction, "start": start,
                 "standard_error": se, "n": n, "optimizer_converged": converged,
                 "optimizer_message": str(fit.message), "final_gradient": fit.jac})
