"""Fits on fixed samples: randomised quasi-Monte Carlo samples of a problem with a
Gaussian-mixture prior, and the empirical-loss minimiser of a model on them."""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from invlin.losses.quadrature import design_hessian, hessian_is_constant
from invlin.models._diagonal import RECONSTRUCTION_MAX_ITER, RECONSTRUCTION_TOL
from invlin.problem import Samples
from invlin.progress import ProgressBar
from invlin.training.newton import minimise_newton
from invlin.training.train import _projected_gradient_norm

#: Projected-gradient tolerance of the Newton fits. The smallest curvature of the checks' fits
#: is >= 1e-5 (measured at 2^16 samples: 1.6e-5 reconstruction, 1e-4 divergence), so the
#: parameters end within |g| / lambda_min <= 1e-5 of the empirical minimiser, and the inverse
#: within ~1e-5 of it: 1e-4 of the PM-MAP distances (~0.08) the checks compare with. Tighter is
#: not reliable: the gradient of a mean over 2^17 samples stalls at ~1e-11 (rounding, and the
#: Levenberg shift of the Newton step).
NEWTON_TOL = 1e-10
NEWTON_STEPS = 100


def rqmc_samples(problem, n, rng):
    """Randomised quasi-Monte Carlo samples of (x, y, z) for a Gaussian-mixture prior.

    One scrambled Sobol point per sample (n a power of 2): its first coordinate picks the
    mixture component by the cumulative weights, the others give the standard normals of the
    prior component and of the noise through the normal quantile function. Averages of smooth
    functions then converge like (log n)^d / n instead of n^-1/2, and independent scrambles give
    independent, unbiased replicates (their spread is the error).
    """
    prior, A, delta = problem.prior, problem.A, problem.delta
    sobol = scipy.stats.qmc.Sobol(1 + prior.dim + A.shape[0], scramble=True, seed=rng)
    points = sobol.random_base2(int(np.log2(n)))
    labels = np.searchsorted(np.cumsum(prior.weights)[:-1], points[:, 0], side="right")
    normals = scipy.special.ndtri(points[:, 1:])
    chols = np.linalg.cholesky(prior.covs)
    x = prior.means[labels] + np.einsum("nij,nj->ni", chols[labels], normals[:, :prior.dim])
    y = x @ A.T + delta * normals[:, prior.dim:]
    return Samples(x, y, y @ A)


def fit_empirical(model, loss, samples, problem, bounds=None):
    """Minimise ``loss`` (a :class:`~invlin.losses.Loss`) of ``model`` on fixed ``samples``
    by L-BFGS-B (in ``bounds``, if given); the model is left at the minimiser. Returns scipy's
    OptimizeResult (``success`` says whether it converged)."""

    def value_and_grad(theta):
        model.set_parameters(theta)
        return loss.value_and_grad(model, samples, problem)

    fit = scipy.optimize.minimize(value_and_grad, model.get_parameters(), jac=True,
                                  method="L-BFGS-B", bounds=bounds,
                                  options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-15})
    model.set_parameters(fit.x)
    return fit


def spline_sample_hessian(model, loss, samples, problem):
    r"""Block-diagonal curvature of a z-form loss of a model linear in its parameters
    (:class:`~invlin.models.MonotoneSpline`) on fixed samples: the exact Hessian of the
    approximation, divergence and log-det losses, Gauss-Newton for reconstruction
    (:func:`invlin.losses.quadrature.design_hessian` with the sample mean's weights 1/N, as
    :meth:`~invlin.losses.PopulationQuadrature.hessian` uses it with its quadrature rule).

    It only steers :func:`fit_spline_empirical`'s Newton steps: values, gradients and the
    stopping rule come from the model's own loss code, so a Hessian that missed a coupling of
    the components would slow the fit, not move its result.
    """
    if loss.form != "z":
        raise ValueError(f"spline_sample_hessian takes the z form, got {loss.form!r}")
    weights = np.full(samples.x.shape, 1.0 / samples.x.shape[0])
    if loss.name == "reconstruction":
        points, _ = model._maps_inverse(model._coords(samples.z), RECONSTRUCTION_TOL,
                                        RECONSTRUCTION_MAX_ITER)
        return design_hessian(model, points, weights, gauss_newton=True)
    logdet_weight = loss.resolved_weight(problem) if loss.regulariser == "logdet" else None
    return design_hessian(model, model._coords(samples.x), weights, logdet_weight=logdet_weight)


def fit_spline_empirical(model, loss, samples, problem):
    """Minimise a z-form ``loss`` of a MonotoneSpline ``model`` on fixed ``samples`` by
    projected Newton in its parameter box (:func:`invlin.training.newton.minimise_newton`,
    curvature from :func:`spline_sample_hessian`); the model is left at the minimiser.

    Returns
    -------
    converged : bool
        Whether the projected gradient norm of the loss reached :data:`NEWTON_TOL`.
    final_gradient_norm : float
    """

    def objective():
        return loss.value_and_grad(model, samples, problem)

    if hessian_is_constant(loss):  # one evaluation serves every Newton step
        constant = spline_sample_hessian(model, loss, samples, problem)

        def hessian():
            return constant
    else:
        def hessian():
            return spline_sample_hessian(model, loss, samples, problem)

    with ProgressBar(NEWTON_STEPS, f"fit {loss.name} on samples", enabled=False) as bar:
        _, norms, converged = minimise_newton(
            model, objective, hessian,
            steps=NEWTON_STEPS, tol=NEWTON_TOL, bar=bar,
            projected_norm=lambda theta, grad: _projected_gradient_norm(model, theta, grad))
    return converged, norms[-1]
