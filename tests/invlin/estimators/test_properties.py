"""Property tests over random valid problems (hypothesis, profile loaded in tests/conftest.py).

Problems: dimension n in 1..4, m in {n, n + 1}, condition number of A in [1, 1e3], Gaussian
mixtures of 1-3 components (component covariances with eigenvalues in [0.1, 1]), noise level
delta in [1e-3, 1].
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

from invlin.estimators import map_estimate, map_objective, posterior_mean, tweedie_residual
from invlin.priors import GaussianMixture
from invlin.problem import LinearInverseProblem


def random_operator(rng, m, n, condition):
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    k = min(m, n)
    return (u[:, :k] * np.geomspace(1.0, 1.0 / condition, k)) @ v[:, :k].T


@st.composite
def problems(draw):
    n = draw(st.integers(1, 4))
    m = draw(st.sampled_from([n, n + 1]))
    condition = draw(st.floats(1.0, 1e3))
    delta = 10.0 ** draw(st.floats(-3.0, 0.0))
    k = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weights = rng.dirichlet(np.ones(k))
    weights[-1] = 1.0 - weights[:-1].sum()
    means = 1.5 * rng.standard_normal((k, n))
    covs = []
    for _ in range(k):
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        covs.append((q * rng.uniform(0.1, 1.0, n)) @ q.T)
    prior = GaussianMixture(weights, means, np.stack(covs))
    problem = LinearInverseProblem(random_operator(rng, m, n, condition), delta, prior)
    return problem, problem.sample(6, rng).y


def relative_first_order_residual(problem, x, y):
    A = problem.A
    terms = [x @ A.T @ A, -(y @ A), -problem.delta**2 * problem.prior.score(x)]
    scale = sum(np.linalg.norm(t, axis=1) for t in terms)
    return np.linalg.norm(sum(terms), axis=1) / scale


@given(problems())
def test_tweedie_residual_below_tolerance(case):
    problem, y = case
    residual = tweedie_residual(problem, y)
    # Acceptance bound 1e-8 relative to |y| + 1 (exact identity; rounding ~1e-15 * cond).
    assert np.all(np.linalg.norm(residual, axis=1) / (np.linalg.norm(y, axis=1) + 1) < 1e-8)


@given(problems())
def test_map_is_a_global_stationary_minimum(case):
    problem, y = case
    x, info = map_estimate(problem, y, return_info=True)
    assert np.all(info.converged)
    # Acceptance bound on the first-order condition (the solver's stopping tolerance is 1e-12).
    assert np.all(relative_first_order_residual(problem, x, y) <= 1e-9)
    # Not beaten by an independent local search (scipy BFGS, numerical gradients) from three
    # prior draws: objectives are O(1) to O(|y|^2), rounding ~1e-15 relative, hence 1e-12.
    rng = np.random.default_rng(0)
    for xi, yi, fi in zip(x, y, info.objective):
        for start in problem.prior.sample(3, rng):
            found = optimize.minimize(lambda v: map_objective(problem, v, yi), start, method="BFGS")
            assert fi <= found.fun + 1e-12 * (1 + abs(found.fun))


@given(problems())
def test_single_component_map_equals_pm(case):
    problem, y = case
    prior = problem.prior
    k = int(np.argmax(prior.weights))
    single = LinearInverseProblem(problem.A, problem.delta, GaussianMixture([1.0], prior.means[k:k + 1], prior.covs[k:k + 1]))
    pm = posterior_mean(single, y)
    x, info = map_estimate(single, y, return_info=True)
    # A Gaussian posterior has one mode: the starts must not be counted as distinct minima, even
    # for the flattest (condition 1e3, delta 1e-3) posteriors.
    assert np.all(info.n_local_minima == 1) and np.all(info.unique)
    # For a Gaussian posterior the objective is quadratic with Hessian H, so
    # |x - x_PM| <= |grad f(x)| / lambda_min(H) exactly; twice that, plus rounding of the closed
    # form (eps * cond(H) ~ 1e-10 relative at worst here).
    A = single.A
    H = A.T @ A + single.delta**2 * np.linalg.inv(prior.covs[k])
    grad = (x @ A.T - y) @ A + single.delta**2 * (x - prior.means[k]) @ np.linalg.inv(prior.covs[k])
    bound = 2 * np.linalg.norm(grad, axis=1) / np.linalg.eigvalsh(H)[0]
    assert np.all(np.linalg.norm(x - pm, axis=1) <= bound + 1e-9 * (np.linalg.norm(pm, axis=1) + 1))


@given(problems())
def test_splitting_a_component_leaves_the_pm_unchanged(case):
    problem, y = case
    prior = problem.prior
    split = GaussianMixture(
        np.concatenate([prior.weights[:1] / 2, prior.weights[:1] / 2, prior.weights[1:]]),
        np.concatenate([prior.means[:1], prior.means]),
        np.concatenate([prior.covs[:1], prior.covs]),
    )
    twin = LinearInverseProblem(problem.A, problem.delta, split)
    # The same posterior written with one more component: rounding ~1e-15 * cond.
    np.testing.assert_allclose(posterior_mean(twin, y), posterior_mean(problem, y), rtol=1e-9, atol=1e-9)
