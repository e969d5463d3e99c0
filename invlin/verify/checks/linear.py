"""Numeric checks of the general linear Gaussian claims: Linear models trained on the exact
expected loss against ``theory.linear``'s optimal operators.

Setting: a non-symmetric, non-diagonal 3x3 operator, a correlated prior N(mu, Sigma) with
non-zero mean, delta = 0.4. The convergence tolerance is the strong-convexity bound
|theta - theta*| <= 2 |grad| / lambda_min(H), with H the Hessian of the exact expected loss at the
trained parameters (central differences of its exact gradient; exact for quadratic losses).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import theory.linear
from invlin.estimators import map_estimate, posterior_mean
from invlin.losses import Loss, population_value_and_grad
from invlin.losses.population import AffinePopulation
from invlin.models.linear import Linear
from invlin.priors import Gaussian, GaussianMixture
from invlin.problem import LinearInverseProblem
from invlin.training import train
from invlin.verify.checks._discrimination import discrimination_evidence, rms
from invlin.verify.checks._sample_fit import fit_empirical, rqmc_samples
from invlin.verify.checks._tolerances import EPS
from invlin.verify.derivations import derived
from invlin.verify.evidence import NumericEvidence
from invlin.verify.registry import numeric_check
from theory import symbols

A = np.array([[1.2, 0.4, 0.0], [-0.3, 0.9, 0.2], [0.1, 0.0, 0.6]])
MEAN = np.array([0.5, -0.3, 0.2])
COV = np.array([[0.6, 0.2, 0.0], [0.2, 0.5, -0.1], [0.0, -0.1, 0.4]])
DELTA = 0.4


def _problem():
    return LinearInverseProblem(A, DELTA, Gaussian(MEAN, COV))


def _theory_operator(loss, form):
    """theory.linear.optimal_operator at this setting, as float arrays (K, b)."""
    K, b = derived(theory.linear.optimal_operator, loss, form, A.tolist(), COV.tolist(),
                   MEAN.tolist())
    values = {symbols.delta: DELTA}
    return (np.array(K.subs(values).evalf(), dtype=float),
            np.array(b.subs(values).evalf(), dtype=float).ravel())


def _train(problem, loss, form, start=None):
    model = Linear(problem.dim)
    if start is not None:
        model.set_parameters(start)
    result = train(model, problem, loss, form=form, population=True, steps=100_000,
                   learning_rate=1e-2, tol=1e-11, seed=0, progress=False)
    return model, result.final_gradient_norm


def _hessian_min_eigenvalue(model, problem, loss, form):
    """Smallest eigenvalue of the exact expected loss's Hessian at the model's parameters
    (central differences of the exact gradient, :meth:`AffinePopulation.hessian`)."""
    hessian = AffinePopulation(model, problem, Loss(loss, form=form)).hessian()
    return float(np.linalg.eigvalsh(hessian)[0])


def operator_evidence(loss, form):
    """Trained (K, b) against theory's optimal operator, relative to the convergence bound."""
    problem = _problem()
    model, gradient_norm = _train(problem, loss, form)
    K_star, b_star = _theory_operator(loss, form)
    theta_star = np.concatenate([K_star.ravel(), b_star])
    mu = _hessian_min_eigenvalue(model, problem, loss, form)
    if mu <= 0:
        raise ArithmeticError(f"expected loss not strongly convex at the trained point (mu={mu})")
    bound = 2 * gradient_norm / mu + 1e3 * EPS * np.linalg.norm(theta_star)
    error = np.linalg.norm(model.get_parameters() - theta_star)
    return model, NumericEvidence(
        f"{loss} {form}-form: |(K, b) - theory's (K*, b*)| / convergence bound",
        float(error / bound), 1.0,
        "strong convexity: |theta - theta*| <= 2|grad| / lambda_min(Hessian) (+1000 eps "
        "|theta*| rounding); the ratio to this bound must be <= 1",
        details={"K": model.get_parameters()[:9].reshape(3, 3), "K_theory": K_star,
                 "b": model.get_parameters()[9:], "b_theory": b_star,
                 "gradient_norm": gradient_norm, "hessian_min_eigenvalue": mu, "bound": bound})


@numeric_check("linear-divergence-operator")
def divergence_operator(rng, quick):
    return [operator_evidence("divergence", form)[1] for form in ("z", "y", "z-weighted")]


@numeric_check("linear-reconstruction-operator")
def reconstruction_operator(rng, quick):
    evidence = []
    problem = _problem()
    for form in ("y", "z"):
        model, item = operator_evidence("reconstruction", form)
        evidence.append(item)
        samples = problem.sample(500, rng)
        data = samples.y if form == "y" else samples.z
        pm = posterior_mean(problem, samples.y)
        bound = item.details["bound"]
        # |phi^-1(t) - PM(y)| <= |K^-1| |dK| |phi^-1(t)| + |K^-1| |db|: first order in the bound
        inverse = model.inverse(data)
        K_inv = np.linalg.norm(np.linalg.inv(model.get_parameters()[:9].reshape(3, 3)), 2)
        tol = 2 * K_inv * bound * (1 + np.abs(inverse).max()) + 1e3 * EPS * np.abs(pm).max()
        evidence.append(NumericEvidence(
            f"reconstruction {form}-form: max |phi^-1(t) - x_PM(y)| (learned inverse vs PM)",
            float(np.abs(inverse - pm).max()), float(tol),
            "first-order propagation of the parameter bound through K^-1(t - b), doubled, "
            "+ rounding"))
    return evidence


@numeric_check("linear-logdet-operator")
def logdet_operator(rng, quick):
    """Trained (K, b) equal theory's closed form; the first-order residual of theory vanishes;
    two different starting points reach the same optimum (uniqueness)."""
    evidence = []
    problem = _problem()
    for form in ("y", "z", "z-weighted"):
        model, item = operator_evidence("logdet", form)
        evidence.append(item)
        theta = model.get_parameters()
        R_K, R_b = theory.linear.logdet_residual(sp.Matrix(theta[:9].reshape(3, 3).tolist()),
                                                 sp.Matrix(theta[9:].tolist()), form,
                                                 A.tolist(), COV.tolist(), MEAN.tolist())
        residual = max(float(abs(v)) for v in list(R_K.subs(symbols.delta, DELTA).evalf())
                       + list(R_b.subs(symbols.delta, DELTA).evalf()))
        scale = np.linalg.norm(theta) ** 2 * np.linalg.norm(COV, 2) * 2 * np.abs(A).max() ** 2
        evidence.append(NumericEvidence(
            f"logdet {form}-form: max |theory.logdet_residual(K, b)| at the trained operator",
            residual, float(item.details["bound"] * scale * 4 + 1e3 * EPS * scale),
            "the residual 2M(K - T) Sigma K^T - cI is Lipschitz in K with constant "
            "<= 4 |M| |T| |Sigma| |K|: parameter bound x that constant, + rounding"))
    start = np.concatenate([np.diag([2.0, 0.5, 1.5]).ravel(), [1.0, -1.0, 0.5]])
    other, _ = _train(problem, "logdet", "y", start=start)
    first, _ = _train(problem, "logdet", "y")
    bound = evidence[0].details["bound"]
    evidence.append(NumericEvidence(
        "logdet y-form: |theta(start 1) - theta(start 2)| / (2 x convergence bound)",
        float(np.linalg.norm(first.get_parameters() - other.get_parameters()) / (2 * bound)),
        1.0, "two minimisers within their convergence bounds coincide (uniqueness)"))
    return evidence


def spurious_root(c):
    """The negative root r = (1 - sqrt(1 + 2c))/2 of r^2 - r - c/2 = 0, the stationarity
    condition of K = r I for A = Sigma = I (y-form): the claimed saddle."""
    return 0.5 * (1 - np.sqrt(1 + 2 * c))


@numeric_check("linear-logdet-spurious-stationary-points")
def spurious_stationary_point(rng, quick):
    """A = Sigma = I (n = 2), y-form, c = 2 delta^2: K = r I with the negative root
    r = (1 - sqrt(1 + 2c))/2 has det K > 0 and zero gradient of the exact expected loss, but a
    negative Hessian eigenvalue (a saddle) and a higher loss than the trained minimiser, whose
    K Sigma T^T is positive definite."""
    delta = 0.5
    c = 2 * delta**2
    problem = LinearInverseProblem(np.eye(2), delta, Gaussian(np.zeros(2), np.eye(2)))
    r = spurious_root(c)
    spurious = Linear(2)
    spurious.set_parameters(np.concatenate([(r * np.eye(2)).ravel(), np.zeros(2)]))
    loss_obj = Loss("logdet", form="y")
    value, grad = population_value_and_grad(spurious, problem, loss_obj)
    mu = _hessian_min_eigenvalue(spurious, problem, "logdet", "y")
    trained, _ = _train(problem, "logdet", "y")
    trained_value = population_value_and_grad(trained, problem, loss_obj)[0]
    K = trained.get_parameters()[:4].reshape(2, 2)
    return [
        NumericEvidence(
            "|gradient of the exact expected loss| at K = r I (r < 0, det K > 0)",
            float(np.linalg.norm(grad)), float(1e2 * EPS * (1 + c / r**2)),
            "floating point: 100 eps x the size of the gradient's terms (|K| and c/|r|)",
            details={"r": r, "det K": r**2}),
        NumericEvidence(
            "max(0, smallest Hessian eigenvalue) at K = r I (a saddle: must be negative)",
            max(0.0, mu), 0.0, "exact sign test (central differences of the exact gradient; "
            "the eigenvalue is of order c/r^2, far from rounding)",
            details={"smallest_eigenvalue": mu}),
        NumericEvidence(
            "max(0, loss(trained minimiser) - loss(K = r I)) and min eig(K Sigma T^T) of the "
            "minimiser must be > 0",
            max(0.0, trained_value - value) + max(0.0, -np.linalg.eigvalsh(0.5 * (K + K.T))[0]),
            0.0, "exact comparison: the loss gap is of order 1",
            details={"loss_spurious": value, "loss_minimiser": trained_value}),
    ]


# -- on a non-Gaussian prior ------------------------------------------------------------------

def _mixture_problem():
    """The same A and delta with a two-component mixture of mean MEAN and covariance COV
    (components shifted by 0.9 standard deviations along the leading principal axis): affine
    optima depend on the prior's first two moments only, so theory's operators still apply,
    while the PM and the MAP of this prior are not affine and differ."""
    values, vectors = np.linalg.eigh(COV)
    shift = 0.9 * np.sqrt(values[-1]) * vectors[:, -1]
    prior = GaussianMixture([0.5, 0.5], [MEAN + shift, MEAN - shift],
                            [COV - np.outer(shift, shift)] * 2)
    return LinearInverseProblem(A, DELTA, prior)


def non_gaussian_evidence(loss, rng, quick):
    """An affine model trained on samples of the mixture prior (two independent RQMC samples)
    against theory's operator, on the scale d(PM, MAP) of that prior."""
    problem = _mixture_problem()
    n = 2**15 if quick else 2**18
    models = []
    for _ in range(2):
        model = Linear(3)
        fit = fit_empirical(model, Loss(loss, form="z"), rqmc_samples(problem, n, rng), problem)
        models.append(model if fit.success else None)
    K_star, b_star = _theory_operator(loss, "z")
    samples = problem.sample(500 if quick else 2000, rng)
    predicted = np.linalg.solve(K_star, (samples.z - b_star).T).T
    learned = [np.full_like(predicted, np.nan) if m is None else m.inverse(samples.z)
               for m in models]
    return discrimination_evidence(
        f"affine {loss} z-form optimum on a bimodal prior with the same mean and covariance "
        f"(n = {n})", learned[0], predicted, posterior_mean(problem, samples.y),
        map_estimate(problem, samples.y), predicted_name="theory's operator (K*, b*)",
        accuracy=1e-10, over=f"{len(samples.z)} measurements",
        statistical_error=2 * rms(learned[0], learned[1]) / np.sqrt(2))


@numeric_check("linear-divergence-operator")
def divergence_operator_non_gaussian(rng, quick):
    return non_gaussian_evidence("divergence", rng, quick)


@numeric_check("linear-reconstruction-operator")
def reconstruction_operator_non_gaussian(rng, quick):
    return non_gaussian_evidence("reconstruction", rng, quick)
