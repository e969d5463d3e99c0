"""Numeric checks of the function-space results: Stein identity, invertibility, log-det series."""

from __future__ import annotations

import numpy as np

from invlin.estimators import map_hessian
from invlin.models.iresnet import IResNet
from invlin.prediction import divergence_optimum, evaluate
from invlin.priors import Gaussian, GaussianMixture, LogisticProduct
from invlin.problem import LinearInverseProblem
from invlin.verify.checks._tolerances import EPS, batch_standard_error, standard_errors
from invlin.verify.evidence import FigureSpec, NumericEvidence, Series
from invlin.verify.registry import numeric_check
from theory import claims


@numeric_check("divergence-stein-identity")
def stein_identity(rng, quick):
    """E|phi - z|^2 - 2 delta^2 E div phi - E|phi - (A^T A x - delta^2 grad log p)|^2 does not
    depend on phi: its difference between two random iResNets vanishes (Monte Carlo).

    The per-sample difference d_i has mean zero only through integration by parts
    (E <phi, grad log p> = -E div phi), so this tests the Stein step itself; the tolerance is
    4 standard errors of the mean of d from the sample size.
    """
    delta = 0.5
    prior = GaussianMixture([0.5, 0.5], [[1.0, 0.5], [-1.0, -0.5]],
                            [0.3 * np.eye(2), [[0.4, 0.1], [0.1, 0.2]]])
    problem = LinearInverseProblem([[1.2, 0.3], [0.0, 0.7]], delta, prior)
    n = 20_000 if quick else 200_000
    samples = problem.sample(n, rng)
    target = divergence_optimum(problem.singular_values, problem.right_singular_vectors, delta,
                                samples.x, prior.score(samples.x))
    phis = [IResNet(2, 2, 8, lipschitz=0.8, rng=rng) for _ in range(2)]
    left, right = [], []
    for phi in phis:
        u = phi.forward(samples.x)
        left.append(np.sum((u - samples.z) ** 2, axis=1) - 2 * delta**2 * phi.divergence(samples.x))
        right.append(np.sum((u - target) ** 2, axis=1))
    d = (left[0] - left[1]) - (right[0] - right[1])
    tol, reason = standard_errors(batch_standard_error(d), n)
    divergence_term = 2 * delta**2 * np.mean(phis[0].divergence(samples.x)
                                             - phis[1].divergence(samples.x))
    return NumericEvidence(
        "|mean over samples of [L_div(phi1) - L_div(phi2)] - [L_MAP(phi1) - L_MAP(phi2)]|",
        float(abs(d.mean())), tol, reason,
        details={"n": n, "delta": delta, "divergence_term_difference": float(divergence_term),
                 "loss_difference": float(np.mean(left[0] - left[1]))})


def _min_eigenvalue(problem, points):
    """min over points of the smallest eigenvalue of A^T A - delta^2 Hess log p(x) (the Jacobian
    of the divergence optimum, which is the Hessian of the MAP objective)."""
    return float(np.linalg.eigvalsh(map_hessian(problem, points))[:, 0].min())


def _grid(half_width, n):
    t = np.linspace(-half_width, half_width, n)
    return np.stack(np.meshgrid(t, t), axis=-1).reshape(-1, 2)


@numeric_check("divergence-invertibility")
def invertibility(rng, quick):
    """The divergence optimum F(x) = A^T A x - delta^2 grad log p(x): invertible for log-concave
    priors (A^T A - delta^2 Hess log p >= A^T A > 0), not for a bimodal prior at high noise (a
    value of F with two preimages on the axis through the modes)."""
    grid = _grid(4.0, 41 if quick else 161)
    evidence = []
    A = np.array([[1.0, 0.0], [0.0, 0.8]])
    for name, prior in (("Gaussian", Gaussian([0.3, -0.2], [[0.5, 0.2], [0.2, 0.4]])),
                        ("logistic product", LogisticProduct([0.4, 0.7],
                                                             basis=[[0.6, -0.8], [0.8, 0.6]]))):
        problem = LinearInverseProblem(A, 1.0, prior)
        points = np.concatenate([grid, prior.sample(500, rng)])
        sigma_min2 = float(problem.singular_values.min() ** 2)
        lam = _min_eigenvalue(problem, points)
        evidence.append(NumericEvidence(
            f"{name} prior, delta = 1: shortfall of min eig(A^T A - delta^2 Hess log p) below "
            f"sigma_min^2 (log-concave => none)",
            max(0.0, sigma_min2 - lam), 1e2 * EPS * np.abs(problem.normal_operator).max(),
            "floating point: 100 eps x |A^T A| (the bound lambda_min >= sigma_min^2 is exact)",
            details={"min_eigenvalue": lam, "sigma_min^2": sigma_min2, "points": len(points)}))
    modes, width = 2.0, 0.5
    prior = GaussianMixture.symmetric_bimodal([modes, 0.0], width)
    t = np.linspace(-4.0, 4.0, 2001 if quick else 20001)  # odd count: t = 0 is a grid point
    axis = np.stack([t, np.zeros_like(t)], axis=1)
    min_slope = claims.get("divergence-invertibility").prediction["mixture_min_slope"]
    curves = []
    for delta in (0.05, 0.5):
        problem = LinearInverseProblem(A, delta, prior)
        # the slope of the optimum along the modes (a = A[0, 0] = 1) is the (0, 0) entry of
        # A^T A - delta^2 Hess log p on the axis; its infimum (at t = 0) is theory's prediction
        slopes = map_hessian(problem, axis)[:, 0, 0]
        predicted_slope = float(evaluate(min_slope, a=A[0, 0], delta=delta, m=modes, tau=width))
        scale = A[0, 0] ** 2 + delta**2 * modes**2 / width**4
        evidence.append(NumericEvidence(
            f"bimodal prior, delta = {delta}: |min over the mode axis of the optimum's slope - "
            f"theory's inf phi*' (mixture_min_slope)|", float(abs(slopes.min() - predicted_slope)),
            1e2 * EPS * scale, "floating point: 100 eps x the size of the slope's terms "
            "(a^2 + delta^2 m^2/tau^4); the infimum is attained at t = 0, a grid point",
            details={"measured": float(slopes.min()), "predicted": predicted_slope}))
        f = divergence_optimum(problem.singular_values, problem.right_singular_vectors, delta,
                               axis, prior.score(axis))[:, 0]
        step = max(1, t.size // 1000)  # the figure needs ~1000 points, not the whole grid
        curves.append(Series(f"delta = {delta}", t[::step], f[::step]))
        lam = _min_eigenvalue(problem, np.concatenate([grid, axis]))
        if delta < 0.1:
            evidence.append(NumericEvidence(
                f"bimodal prior, low noise delta = {delta}: max(0, -min eig(A^T A - delta^2 "
                f"Hess log p)) (predicted invertible)", max(0.0, -lam), 0.0,
                "exact sign test on a grid and on the axis through the modes",
                details={"min_eigenvalue": lam}))
            continue
        # a level strictly between the first local maximum and the following local minimum of
        # f has >= 3 preimages (a quarter of the way down avoids the symmetric level 0 = f(0))
        rising = np.diff(f) > 0
        peak = int(np.argmax(~rising))  # first index where f stops increasing
        trough = peak + int(np.argmax(rising[peak:]))
        level = f[peak] - 0.25 * (f[peak] - f[trough])
        preimages = int(np.count_nonzero(np.diff(np.sign(f - level)) != 0))
        evidence.append(NumericEvidence(
            f"bimodal prior, high noise delta = {delta}: max(0, 2 - number of preimages of one "
            f"value of F on the mode axis) (predicted not injective)", max(0.0, 2.0 - preimages),
            0.0, "exact count of sign changes on a grid",
            details={"preimages": preimages, "level": float(level), "min_eigenvalue": lam},
            figure=FigureSpec("learned-vs-predicted",
                              "Divergence optimum on the mode axis, bimodal prior",
                              r"$t$ (coordinate along the modes)",
                              r"$[A^TA x - \delta^2\nabla\log p(x)]_1$", curves)))
    return evidence


def _series_partial_sums(J, terms):
    """Partial sums of log det(I + J) = sum_k (-1)^(k+1) tr(J^k)/k, k = 1..terms."""
    sums, power, total = [], np.eye(J.shape[0]), 0.0
    for k in range(1, terms + 1):
        power = power @ J
        total += (-1) ** (k + 1) * np.trace(power) / k
        sums.append(total)
    return np.array(sums)


@numeric_check("iresnet-logdet-series")
def logdet_series(rng, quick):
    """log det(I + J) against its power series truncated after K terms, for random contractions
    ||J||_2 = L < 1 and for the Jacobians of one-block iResNets; the first term is div g."""
    n, lip, terms = 4, 0.6, 12
    ks = np.arange(1, terms + 1)
    # truncation bound: |sum_{k>K} tr(J^k)/k| <= n sum_{k>K} L^k/k <= n L^(K+1)/((K+1)(1-L))
    bound = n * lip ** (ks + 1) / ((ks + 1) * (1 - lip))
    worst, errors_at_k = 0.0, np.zeros(terms)
    for _ in range(20 if quick else 200):
        J = rng.standard_normal((n, n))
        J *= lip / np.linalg.norm(J, 2)
        sign, exact = np.linalg.slogdet(np.eye(n) + J)
        errors = np.abs(_series_partial_sums(J, terms) - exact)
        errors_at_k = np.maximum(errors_at_k, errors)
        worst = max(worst, float(np.max(errors / (bound + 1e2 * EPS * n))))
    evidence = [NumericEvidence(
        f"max over random J (||J|| = {lip}) and K = 1..{terms} of |series_K - slogdet| / bound_K",
        worst, 1.0, "the truncation bound n L^(K+1)/((K+1)(1-L)) (plus 100 n eps rounding) is a "
        "rigorous bound, so the ratio must be <= 1",
        figure=FigureSpec("generic", "log-det power series: truncation error",
                          "terms K", "error", [Series("max |series_K - log det|", ks, errors_at_k,
                                                      "marker"),
                                               Series("bound n L^(K+1)/((K+1)(1-L))", ks, bound,
                                                      "dashed")], logy=True))]
    model = IResNet(n, 1, 16, lipschitz=0.5, rng=rng)
    x = rng.standard_normal((50 if quick else 500, n))
    Jg = model.jacobian(x) - np.eye(n)
    first = np.trace(Jg, axis1=1, axis2=2)
    second = -0.5 * np.einsum("nij,nji->n", Jg, Jg)
    evidence.append(NumericEvidence(
        "max |div phi - n - tr J_g| over points (one-block iResNet): the divergence is the "
        "series' first term", float(np.abs(model.divergence(x) - n - first).max()),
        1e2 * EPS * n, "floating point: 100 n eps"))
    # remainder after two terms: <= n L^3 / (3 (1 - L))
    remainder = n * 0.5**3 / (3 * (1 - 0.5))
    evidence.append(NumericEvidence(
        "max |logdet - (tr J_g - tr J_g^2 / 2)| / (n L^3/(3(1-L))) over points (one-block "
        "iResNet, L = 0.5)", float(np.abs(model.logdet(x) - first - second).max() / remainder),
        1.0, "rigorous truncation bound of the series after two terms (ratio must be <= 1)"))
    return evidence
