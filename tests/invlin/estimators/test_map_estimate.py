"""MAP estimates: closed form (Gaussian), first-order condition, and global optimality against
dense grid searches written independently here (scipy.stats densities, scipy.optimize polish)."""

import numpy as np
import pytest
from scipy import optimize
from scipy.special import logsumexp

from invlin.estimators import map_estimate, map_gradient, map_hessian, map_objective, posterior_mean
from invlin.priors import Gaussian, GaussianMixture, LogisticProduct
from invlin.problem import LinearInverseProblem

# First-order condition: |A^T A x - delta^2 grad log p(x) - z| relative to the size of its
# terms; the acceptance bound is 1e-9 (the solver stops at 1e-12).
FOC_RTOL = 1e-9


class ReferenceObjective:
    """f(x; y) = 1/2 |A x - y|^2 - delta^2 log p(x) for a Gaussian-mixture prior, written out
    with explicit inverses and log-determinants (independent of invlin's Cholesky code)."""

    def __init__(self, A, delta, prior):
        self.A, self.delta = A, delta
        self.terms = [(np.log(w), m, np.linalg.inv(c), np.linalg.slogdet(2 * np.pi * c)[1])
                      for w, m, c in zip(prior.weights, prior.means, prior.covs)]

    def log_prior(self, x):
        x = np.atleast_2d(x)
        logs = [lw - 0.5 * np.einsum("ni,ij,nj->n", x - m, p, x - m) - 0.5 * ld for lw, m, p, ld in self.terms]
        return logsumexp(np.stack(logs), axis=0)

    def __call__(self, x, y, log_prior=None):
        x = np.atleast_2d(x)
        log_prior = self.log_prior(x) if log_prior is None else log_prior
        return 0.5 * np.sum((x @ self.A.T - y) ** 2, axis=1) - self.delta**2 * log_prior


def first_order_residual(problem, x, y):
    """|grad f| / (|A^T A x| + |A^T y| + delta^2 |grad log p(x)|), computed from the prior's score."""
    A = problem.A
    normal = x @ A.T @ A
    data = y @ A
    prior_term = problem.delta**2 * problem.prior.score(x)
    residual = normal - data - prior_term
    scale = np.linalg.norm(normal, axis=1) + np.linalg.norm(data, axis=1) + np.linalg.norm(prior_term, axis=1)
    return np.linalg.norm(residual, axis=1) / scale


class GridSearch:
    """Global minimum of f(., y) by a dense grid followed by a local scipy polish."""

    def __init__(self, f, lo, hi, n_per_axis):
        axes = [np.linspace(a, b, n_per_axis) for a, b in zip(lo, hi)]
        self.f = f
        self.grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(lo))
        self.log_prior = f.log_prior(self.grid)

    def __call__(self, y):
        return _polish(self.f, y, self.grid, self.f(self.grid, y, self.log_prior))


def _polish(f, y, grid, values):
    start = grid[np.argmin(values)]
    result = optimize.minimize(lambda x: f(x, y)[0], start, method="Nelder-Mead",
                               options=dict(xatol=1e-10, fatol=1e-14, maxiter=4000))
    return min(result.fun, values.min()), result.x


def test_gaussian_map_equals_closed_form():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 2))
    mean, cov = np.array([1.0, -0.5]), np.array([[1.0, 0.4], [0.4, 0.5]])
    delta = 0.3
    problem = LinearInverseProblem(A, delta, Gaussian(mean, cov))
    y = problem.sample(20, rng).y
    precision = np.linalg.inv(cov)
    expected = np.linalg.solve(A.T @ A + delta**2 * precision, (y @ A + delta**2 * precision @ mean).T).T
    x, info = map_estimate(problem, y, return_info=True)
    # Algebraically equal formulas; condition number of the normal matrix ~10: rounding 1e-14.
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(x, posterior_mean(problem, y), rtol=1e-12, atol=1e-13)
    assert np.all(info.unique) and np.all(info.n_local_minima == 1)
    assert np.all(first_order_residual(problem, x, y) <= FOC_RTOL)


@pytest.mark.parametrize("delta", [0.05, 0.4, 1.0])
def test_mixture_map_satisfies_first_order_condition(delta):
    rng = np.random.default_rng(1)
    prior = GaussianMixture([0.3, 0.3, 0.4], [[1.0, 1.0, 0.0], [-1.0, 0.5, 0.5], [0.0, -1.0, 1.0]],
                            np.stack([0.3 * np.eye(3), 0.5 * np.eye(3), np.diag([0.2, 0.4, 0.6])]))
    A = rng.standard_normal((3, 3)) @ np.diag([1.0, 0.1, 0.01])
    problem = LinearInverseProblem(A, delta, prior)
    y = problem.sample(200, rng).y
    x, info = map_estimate(problem, y, return_info=True)
    assert np.all(info.converged)
    assert np.all(first_order_residual(problem, x, y) <= FOC_RTOL)
    np.testing.assert_allclose(info.objective, map_objective(problem, x, y), rtol=1e-15)


def test_map_1d_bimodal_high_noise_not_beaten_by_grid():
    prior = GaussianMixture([0.4, 0.6], [[-2.0], [1.5]], [[[0.25]], [[0.5]]])
    A, delta = np.array([[0.8]]), 1.0
    problem = LinearInverseProblem(A, delta, prior)
    y = np.linspace(-3, 3, 61)[:, None]
    x, info = map_estimate(problem, y, return_info=True)
    f = ReferenceObjective(A, delta, prior)
    search = GridSearch(f, [-6.0], [6.0], 20001)
    for xi, yi, fi in zip(x, y, info.objective):
        best, where = search(yi)
        # Objective values are O(1); rounding in evaluating them ~1e-15: a grid point may tie the
        # MAP only to rounding, 1e-12.
        assert fi <= best + 1e-12, (yi, xi, where, fi, best)
    # At this noise level the MAP jumps from one mode to the other as y grows.
    jumps = np.abs(np.diff(x[:, 0]))
    assert jumps.max() > 1.0 and np.sum(jumps > 1.0) == 1
    assert np.all(first_order_residual(problem, x, y) <= FOC_RTOL)


def assert_not_beaten_by_2d_grid(problem, y):
    """MAP at each y; assert no point of a 401^2 grid on [-4, 4]^2 (polished) is lower."""
    x, info = map_estimate(problem, y, return_info=True)
    search = GridSearch(ReferenceObjective(problem.A, problem.delta, problem.prior),
                        [-4.0, -4.0], [4.0, 4.0], 401)
    for xi, yi, fi in zip(x, y, info.objective):
        best, where = search(yi)
        # objective values O(1), rounding ~1e-15: a grid point may tie the MAP only to 1e-12
        assert fi <= best + 1e-12, (yi, xi, where, fi, best)
    return x


@pytest.mark.parametrize("condition", [1.0, 20.0])
def test_map_2d_bimodal_high_noise_not_beaten_by_grid(condition):
    rng = np.random.default_rng(2)
    prior = GaussianMixture.symmetric_bimodal([1.5, 0.5], 0.5)
    q, _ = np.linalg.qr(rng.standard_normal((2, 2)))
    A = q @ np.diag([1.0, 1.0 / condition])
    delta = 1.0
    problem = LinearInverseProblem(A, delta, prior)
    # Measurements along a line through the symmetry centre: the MAP must switch modes.
    direction = A @ np.array([1.5, 0.5])
    y = np.linspace(-1.5, 1.5, 31)[:, None] * direction + 0.05 * rng.standard_normal((31, 2))
    x = assert_not_beaten_by_2d_grid(problem, y)
    assert np.abs(np.diff(x[:, 0])).max() > 1.0  # the jump between the modes
    assert np.all(first_order_residual(problem, x, y) <= FOC_RTOL)


def test_map_2d_random_problems_not_beaten_by_grid():
    rng = np.random.default_rng(3)
    prior = GaussianMixture([0.2, 0.5, 0.3], [[1.5, 0.5], [-1.0, 1.0], [0.0, -1.5]],
                            np.array([[[0.4, 0.1], [0.1, 0.3]], [[0.25, -0.05], [-0.05, 0.5]], [[0.3, 0.0], [0.0, 0.3]]]))
    for delta in (0.1, 0.7):
        A = rng.standard_normal((2, 2))
        problem = LinearInverseProblem(A, delta, prior)
        y = problem.sample(8, rng).y
        assert_not_beaten_by_2d_grid(problem, y)


def test_non_unique_map_is_flagged():
    prior = GaussianMixture.symmetric_bimodal([1.5, 0.0], 0.5)
    problem = LinearInverseProblem(np.eye(2), 1.0, prior)
    y = np.array([[0.0, 0.3], [1.0, 0.0], [-1.0, 0.2]])
    x, info = map_estimate(problem, y, return_info=True)
    # y on the symmetry plane: two mirror-image minima with equal objective.
    assert not info.unique[0] and info.n_local_minima[0] == 2
    assert abs(x[0, 0]) > 0.5  # one of the two modes, not the saddle at x_1 = 0
    assert info.unique[1] and info.unique[2]
    assert x[1, 0] > 0 > x[2, 0]


def test_rank_deficient_operator():
    prior = GaussianMixture.symmetric_bimodal([1.0, 1.0], 0.6)
    A = np.array([[1.0, 1.0]]) / np.sqrt(2)
    problem = LinearInverseProblem(A, 0.5, prior)
    assert not problem.is_injective
    y = np.linspace(-2, 2, 9)[:, None]
    x, info = map_estimate(problem, y, return_info=True)
    assert np.all(first_order_residual(problem, x, y) <= FOC_RTOL)
    f = ReferenceObjective(A, 0.5, prior)
    search = GridSearch(f, [-4.0, -4.0], [4.0, 4.0], 401)
    for yi, fi in zip(y, info.objective):
        best, _ = search(yi)
        assert fi <= best + 1e-12


def test_logistic_map_first_order_condition_and_uniqueness():
    rng = np.random.default_rng(4)
    prior = LogisticProduct([0.3, 1.0, 2.0], np.linalg.qr(rng.standard_normal((3, 3)))[0], [0.5, 0.0, -0.5])
    problem = LinearInverseProblem(rng.standard_normal((3, 3)), 0.5, prior)
    y = problem.sample(100, rng).y
    x, info = map_estimate(problem, y, return_info=True)
    assert np.all(first_order_residual(problem, x, y) <= FOC_RTOL)
    # Log-concave prior: strictly convex objective, one minimum.
    assert np.all(info.unique) and np.all(info.n_local_minima == 1)


def test_map_gradient_matches_central_differences():
    prior = GaussianMixture.symmetric_bimodal([1.0, -0.5], 0.5)
    problem = LinearInverseProblem(np.array([[1.0, 0.2], [0.1, 0.7]]), 0.4, prior)
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    h = 1e-6
    fd = np.stack([(map_objective(problem, x + h * e, y) - map_objective(problem, x - h * e, y)) / (2 * h)
                   for e in np.eye(2)], axis=1)
    # Central differences: h^2 |f'''| + eps |f| / h ~ 1e-10 for unit-scale f.
    np.testing.assert_allclose(map_gradient(problem, x, y), fd, atol=1e-7)


def test_measurements_are_solved_independently_across_chunks():
    # More measurements than one internal chunk: each result must not depend on the others.
    prior = GaussianMixture([0.4, 0.6], [[-2.0], [1.5]], [[[0.25]], [[0.5]]])
    problem = LinearInverseProblem(np.array([[0.8]]), 1.0, prior)
    y = problem.sample(4100, np.random.default_rng(6)).y
    x, info = map_estimate(problem, y, return_info=True)
    x_tail, info_tail = map_estimate(problem, y[-5:], return_info=True)
    # Independent, not bitwise: BLAS may round a batch of 4100 and one of 5 differently, and
    # Newton then stops at a slightly different iterate. Each answer is within
    # |grad f| / lambda_min(H) of the exact minimiser (strong convexity near it), so two answers
    # differ by at most the sum of those bounds, + 10 eps |x| rounding.
    curvature = np.linalg.eigvalsh(map_hessian(problem, x[-5:]))[:, 0]
    bound = (info.gradient_norm[-5:] + info_tail.gradient_norm) / curvature
    np.testing.assert_array_less(np.abs(x[-5:] - x_tail)[:, 0],
                                 bound + 10 * np.finfo(float).eps * np.abs(x_tail[:, 0]))
    # the count of distinct local minima is discrete and robust: distinct posterior modes lie
    # O(1) posterior widths apart, against the 1e-4 widths that identify two Newton runs
    np.testing.assert_array_equal(info.n_local_minima[-5:], info_tail.n_local_minima)
    assert x.shape == (4100, 1) and info.objective.shape == (4100,)


@pytest.mark.parametrize("prior", [Gaussian(np.zeros(2), np.eye(2)),
                                   GaussianMixture.symmetric_bimodal([1.0, 0.0], 0.5),
                                   LogisticProduct([0.5, 0.7])])
def test_overflowing_measurement_names_y_and_the_overflow(prior):
    problem = LinearInverseProblem(np.diag([1.0, 0.5]), 0.3, prior)
    with pytest.raises(ValueError, match=r"y is too large: \|y\|\^2 overflows float64"):
        map_estimate(problem, np.array([[0.5, 0.1], [1e200, 0.0]]))
    # negative control: a large but representable y (|y|^2 = 1e300 < max float64) is solved
    assert np.all(np.isfinite(map_estimate(problem, np.array([1e150, 0.0]))))


def test_gaussian_map_converges_for_an_ill_conditioned_operator():
    """A case hypothesis found (cond(A) = 999, delta = 0.03): the closed form's rounding left
    one relative gradient just above tol = 1e-12; Newton refinement brings every point below."""
    prior = GaussianMixture([1.0], [[-0.423169398126197, -0.7172235741796851]],
                            [[[0.9002936728408872, 0.0236248540154822],
                              [0.0236248540154822, 0.5951337572094115]]])
    A = [[0.38245551085101814, 0.13802352106283697], [0.18820060478817813, 0.06794922273501944],
         [0.8377342286511809, 0.3047016401160134]]
    y = np.array([[-0.03676016384889241, -0.0098961405990741, 0.018004660782030966],
                  [-0.16997534879771614, -0.11021249035708988, -0.2953576405868306]])
    problem = LinearInverseProblem(A, 0.03162277660168379, prior)
    x, info = map_estimate(problem, y, return_info=True)
    assert np.all(info.converged)
    # PM = MAP for a Gaussian prior; rounding ~ eps cond(A) = 2e-13 relative, bound 1e-9
    np.testing.assert_allclose(x, posterior_mean(problem, y), rtol=1e-9, atol=1e-12)
