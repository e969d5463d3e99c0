"""Fits on fixed samples: randomised quasi-Monte Carlo samples of a problem with a
Gaussian-mixture prior, and the empirical-loss minimiser of a model on them."""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from invlin.problem import Samples


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
