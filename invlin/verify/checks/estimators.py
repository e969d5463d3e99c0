"""Numeric checks of the estimator identities: Tweedie's formula, Gaussian PM = MAP."""

from __future__ import annotations

import numpy as np

import theory.linear

from invlin.estimators import map_estimate, posterior_mean, tweedie_residual
from invlin.priors import Gaussian, GaussianMixture
from invlin.problem import LinearInverseProblem
from invlin.verify.checks._discrimination import discrimination_evidence
from invlin.verify.checks._tolerances import rounding
from invlin.verify.derivations import derived
from invlin.verify.evidence import NumericEvidence
from invlin.verify.registry import numeric_check
from theory import symbols


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
    # discriminating: at delta = 0.7 the bimodal PM and MAP differ by about a tenth of the
    # prior's scale; Tweedie's x = A^+ (y + delta^2 grad log p_Y) must be the PM, not the MAP
    x_tweedie = np.linalg.lstsq(A, (y + delta**2 * law_y.score(y)).T, rcond=None)[0].T
    evidence.append(discrimination_evidence(
        f"Tweedie x = A^+(y + delta^2 grad log p_Y), bimodal prior, delta = {delta}", x_tweedie,
        pm, pm, map_estimate(problem, y), predicted_name="the PM", accuracy=tol * scale,
        over=f"{len(y)} measurements", subject="Tweedie's estimate"))
    return evidence


def _theory_affine(operator, problem, prior):
    """theory.linear's ``operator(A, Sigma, mu) = (W, w)`` at the problem's noise level, as
    float arrays: the estimator x(y) = W y + w."""
    W, w = derived(operator, problem.A.tolist(), prior.covariance.tolist(), prior.mean.tolist())
    values = {symbols.delta: problem.delta}
    return (np.array(W.subs(values).evalf(), dtype=float),
            np.array(w.subs(values).evalf(), dtype=float).ravel())


@numeric_check("gaussian-pm-equals-map")
def gaussian_pm_map(rng, quick):
    """PM and MAP of a Gaussian problem equal theory's closed forms: the conditioning formula
    (``theory.linear.pm_operator``) and the prior-based normal equation
    (``theory.linear.map_operator``), which the symbolic check proves equal."""
    n, m, delta = 3, 4, 0.4
    mean = rng.standard_normal(n)
    cov = _random_spd(rng, n)
    prior = Gaussian(mean, cov)
    problem = LinearInverseProblem(rng.standard_normal((m, n)), delta, prior)
    y = problem.sample(100 if quick else 1000, rng).y
    normal = problem.A.T @ problem.A + delta**2 * np.linalg.inv(cov)
    condition = float(np.linalg.cond(normal) * np.linalg.cond(cov))
    tol, reason = rounding(condition)
    evidence = []
    for name, estimate, operator in (
            ("posterior_mean", posterior_mean(problem, y), theory.linear.pm_operator),
            ("map_estimate", map_estimate(problem, y), theory.linear.map_operator)):
        W, w = _theory_affine(operator, problem, prior)
        closed = y @ W.T + w
        error = np.abs(estimate - closed).max() / np.abs(closed).max()
        evidence.append(NumericEvidence(
            f"max |{name} - theory.linear.{operator.__name__}| / max|x|",
            float(error), tol, reason, details={"n": len(y), "condition": condition}))
    # power: on a two-component mixture with the same mean and covariance the same estimators
    # must differ by far more than the tolerance above (else PM = MAP would pass for any prior)
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    shift = 0.9 * np.sqrt(eigenvalues[-1]) * eigenvectors[:, -1]
    mixture = GaussianMixture([0.5, 0.5], [mean + shift, mean - shift],
                              [cov - np.outer(shift, shift)] * 2)
    other = LinearInverseProblem(problem.A, delta, mixture)
    difference = (np.abs(posterior_mean(other, y) - map_estimate(other, y)).max()
                  / np.abs(posterior_mean(other, y)).max())
    evidence.append(NumericEvidence(
        "tolerance of PM = MAP above / max|PM - MAP| / max|x| on a bimodal prior with the same "
        "mean and covariance (the check can tell the two apart)", float(tol / difference),
        0.1, "discrimination: the non-Gaussian PM-MAP difference is >= 10x what the Gaussian "
        "check tolerates", details={"non_gaussian_difference": float(difference)}))
    return evidence
