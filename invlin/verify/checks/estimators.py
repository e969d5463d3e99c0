"""Numeric checks of the estimator identities: Tweedie's formula, Gaussian PM = MAP."""

from __future__ import annotations

import numpy as np

from invlin.estimators import map_estimate, posterior_mean, tweedie_residual
from invlin.priors import Gaussian, GaussianMixture
from invlin.problem import LinearInverseProblem
from invlin.verify.checks._tolerances import rounding
from invlin.verify.evidence import NumericEvidence
from invlin.verify.registry import numeric_check


def _random_spd(rng, n, low=0.3, high=2.0):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * rng.uniform(low, high, n)) @ q.T


def _bimodal_problem(rng, delta):
    """A tall 3x2 operator with a two-component, anisotropic mixture prior."""
    A = rng.standard_normal((3, 2))
    prior = GaussianMixture([0.35, 0.65], [[1.5, -0.5], [-1.0, 1.0]],
                            [_random_spd(rng, 2, 0.1, 0.5), _random_spd(rng, 2, 0.1, 0.5)])
    return LinearInverseProblem(A, delta, prior)


@numeric_check("tweedie-linear")
def tweedie_mixture(rng, quick):
    """A x_PM(y) - y - delta^2 grad log p_Y(y) = 0 on a bimodal problem.

    p_Y is built independently of the estimators as the Gaussian mixture
    sum_k w_k N(A mu_k, A Sigma_k A^T + delta^2 I) (the definition (A_# p_X) * N(0, delta^2 I)
    for a mixture), and its score is taken from :class:`GaussianMixture`; the posterior mean
    comes from :func:`posterior_mean`. ``tweedie_residual`` (the estimators' own consistency
    residual) is reported alongside.
    """
    evidence = []
    for delta in (0.1, 0.7):
        problem = _bimodal_problem(rng, delta)
        A, prior = problem.A, problem.prior
        law_y = GaussianMixture(prior.weights, prior.means @ A.T,
                                A @ prior.covs @ A.T + delta**2 * np.eye(A.shape[0]))
        y = problem.sample(200 if quick else 2000, rng).y
        pm = posterior_mean(problem, y)
        residual = pm @ A.T - y - delta**2 * law_y.score(y)
        scale = np.abs(y).max() + delta**2 * np.abs(law_y.score(y)).max()
        condition = max(np.linalg.cond(c) for c in law_y.covs)
        tol, reason = rounding(condition)
        evidence.append(NumericEvidence(
            f"max |A x_PM - y - delta^2 grad log p_Y| / scale (delta = {delta})",
            float(np.abs(residual).max() / scale), tol, reason,
            details={"delta": delta, "n": len(y), "scale": scale,
                     "tweedie_residual_max": float(np.abs(tweedie_residual(problem, y)).max())}))
    return evidence


@numeric_check("gaussian-pm-equals-map")
def gaussian_pm_map(rng, quick):
    """PM and MAP of a Gaussian problem both equal the Tikhonov closed form."""
    n, m, delta = 3, 4, 0.4
    mean = rng.standard_normal(n)
    cov = _random_spd(rng, n)
    problem = LinearInverseProblem(rng.standard_normal((m, n)), delta, Gaussian(mean, cov))
    y = problem.sample(100 if quick else 1000, rng).y
    A, precision = problem.A, np.linalg.inv(cov)
    normal = A.T @ A + delta**2 * precision
    closed = np.linalg.solve(normal, (y @ A + delta**2 * precision @ mean).T).T
    condition = float(np.linalg.cond(normal) * np.linalg.cond(cov))
    tol, reason = rounding(condition)
    evidence = []
    for name, estimate in (("posterior_mean", posterior_mean(problem, y)),
                           ("map_estimate", map_estimate(problem, y))):
        error = np.abs(estimate - closed).max() / np.abs(closed).max()
        evidence.append(NumericEvidence(
            f"max |{name} - (A^T A + delta^2 Sigma^-1)^-1 (A^T y + delta^2 Sigma^-1 mu)| / max|x|",
            float(error), tol, reason, details={"n": len(y), "condition": condition}))
    return evidence
