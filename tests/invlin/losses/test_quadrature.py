"""PopulationQuadrature: exact expected losses of diagonal models by quadrature, on any prior."""

import numpy as np
import pytest
from scipy.stats import norm

from invlin import LinearInverseProblem, Loss
from invlin.gradient_check import central_difference_gradient, taylor_test
from invlin.losses import PopulationQuadrature, prior_support
from invlin.losses.quadrature import design_hessian
from invlin.models import DiagonalNet, MonotoneSpline
from invlin.priors import Gaussian, GaussianMixture, LogisticProduct

LOSS_FORMS = [("approximation", "y"), ("approximation", "z"), ("approximation", "z-weighted"),
              ("reconstruction", "y"), ("reconstruction", "z"),
              ("logdet", "y"), ("logdet", "z"), ("logdet", "z-weighted"),
              ("divergence", "y"), ("divergence", "z"), ("divergence", "z-weighted")]
PRIOR = GaussianMixture([0.7, 0.3], [[0.0], [2.0]], [[[0.25]], [[0.25]]])
# Monte Carlo: 20 batches of 20000 samples; 4 standard errors of the batch mean leave a false
# alarm probability of 6e-5 per comparison (normal batch means).
N_BATCHES, BATCH, K_SE = 20, 20_000, 4.0


def spline(seed=1, knots=np.linspace(-2.0, 4.0, 13)):
    rng = np.random.default_rng(seed)
    model = MonotoneSpline(knots)
    theta = np.concatenate([[0.2], rng.uniform(0.7, 2.5, knots.size)])
    model.set_parameters(theta)
    return model


def problem(delta=0.4, a=1.3, prior=PRIOR):
    return LinearInverseProblem(np.array([[a]]), delta, prior)


def monte_carlo(model, prob, loss, seed=2, batch=BATCH):
    rng = np.random.default_rng(seed)
    means = [loss.value_and_grad(model, prob.sample(batch, rng), prob)[0] for _ in range(N_BATCHES)]
    return np.mean(means), np.std(means, ddof=1) / np.sqrt(N_BATCHES)


@pytest.mark.parametrize("name,form", LOSS_FORMS)
def test_quadrature_loss_matches_monte_carlo(name, form):
    model, prob, loss = spline(), problem(), Loss(name, form=form)
    value, _ = PopulationQuadrature(model, prob, loss).value_and_grad(model)
    mean, se = monte_carlo(model, prob, loss)
    assert abs(value - mean) <= K_SE * se
    # Negative control: a wrong prediction (regulariser weight halved, else the noise level
    # 0.8 delta) is far outside the band.
    if loss.regulariser is None:
        wrong_problem, wrong_loss = problem(delta=0.32), loss
    else:
        wrong_problem, wrong_loss = prob, Loss(name, form=form, weight=prob.delta**2)
    wrong, _ = PopulationQuadrature(model, wrong_problem, wrong_loss).value_and_grad(model)
    assert abs(wrong - mean) > K_SE * se


@pytest.mark.parametrize("name,form", LOSS_FORMS)
def test_quadrature_gradient_ladder(name, form):
    model, prob = spline(), problem()
    quadrature = PopulationQuadrature(model, prob, Loss(name, form=form), n_panels=50)
    theta = model.get_parameters()

    def f(p):
        model.set_parameters(p)
        return quadrature.value_and_grad(model)[0]

    def grad(p):
        model.set_parameters(p)
        return quadrature.value_and_grad(model)[1]

    g = grad(theta)
    # Central differences, h = 1e-6: truncation O(h^2 |f'''|) ~ 1e-11, rounding
    # eps |f| / h ~ 1e-16 * 10 / 1e-6 = 1e-9.
    np.testing.assert_allclose(central_difference_gradient(f, theta), g, rtol=0, atol=1e-7)
    assert taylor_test(f, grad, theta, rng=np.random.default_rng(0)).passed()
    wrong = lambda p: 1.2 * grad(p)  # noqa: E731  negative control: a 20% wrong gradient
    assert not taylor_test(f, wrong, theta, rng=np.random.default_rng(0)).passed()


@pytest.mark.parametrize("name,form", [("approximation", "y"), ("logdet", "z"),
                                       ("logdet", "z-weighted"), ("divergence", "z")])
def test_hessian_matches_differences_of_the_gradient(name, form):
    model, prob = spline(), problem()
    quadrature = PopulationQuadrature(model, prob, Loss(name, form=form), n_panels=50)
    theta = model.get_parameters()
    hess = quadrature.hessian(model)

    def grad_component(i):
        return lambda p: (model.set_parameters(p), quadrature.value_and_grad(model)[1][i])[1]

    numeric = np.array([central_difference_gradient(grad_component(i), theta)
                        for i in range(theta.size)])
    model.set_parameters(theta)
    # Same error budget as the gradient check (h = 1e-6 on O(10) values): 1e-7.
    np.testing.assert_allclose(hess, numeric, rtol=0, atol=1e-7)


def test_gauss_newton_hessian_of_the_reconstruction_loss():
    """PSD and equal to 2 J^T diag(u P0) J, checked against differences of g = f^{-1}."""
    model, prob = spline(), problem()
    quadrature = PopulationQuadrature(model, prob, Loss("reconstruction", form="y"), n_panels=50)
    hess = quadrature.hessian(model)
    assert np.linalg.eigvalsh(hess).min() >= -1e-12 * np.abs(hess).max()
    rule = quadrature._rule
    theta = model.get_parameters()

    def inverse(p):
        model.set_parameters(p)
        return model._maps_inverse(rule.t, 0.0, 0)[0][:, 0]

    eps = 1e-6
    jac = np.stack([(inverse(theta + eps * e) - inverse(theta - eps * e)) / (2 * eps)
                    for e in np.eye(theta.size)], axis=1)
    model.set_parameters(theta)
    expected = 2.0 * jac.T @ (jac * (rule.u[:, 0] * rule.moments[0, :, 0])[:, None])
    # Differences of the exact inverse: truncation O(eps^2) and rounding 1e-16 / eps = 1e-10
    # per entry of J, summed against weights of total mass ~1: 1e-8 absolute.
    np.testing.assert_allclose(hess, expected, rtol=0, atol=1e-8)


ERROR_CASES = [pytest.param("reconstruction", "z", marks=pytest.mark.slow),
               ("logdet", "y"), ("divergence", "z-weighted")]


@pytest.mark.parametrize("name,form", ERROR_CASES)
def test_error_estimate_covers_the_difference_to_a_much_finer_rule(name, form):
    model, prob, loss = spline(), problem(), Loss(name, form=form)
    fine = PopulationQuadrature(model, prob, loss, n_panels=400, nodes_per_panel=16,
                                tail_tol=1e-25)
    reference = fine.value_and_grad(model)[0]
    for n_panels, nodes in [(12, 3), (20, 4), (50, 4), (200, 8)]:
        quadrature = PopulationQuadrature(model, prob, loss, n_panels=n_panels,
                                          nodes_per_panel=nodes)
        error = quadrature.error(model)
        assert abs(quadrature.value_and_grad(model)[0] - reference) <= error.total
    default = PopulationQuadrature(model, prob, loss)
    assert default.error(model).total < 1e-6
    # Negative control: a coarse rule is wrong by far more than the default rule's estimate.
    # (2 nodes on 12 panels: since the support is cut at the prior's own tail masses, which is
    # narrower than the concavity bound's cut, 3 nodes on 12 panels are only ~70-100x worse.)
    coarse = PopulationQuadrature(model, prob, loss, n_panels=12, nodes_per_panel=2)
    assert abs(coarse.value_and_grad(model)[0] - reference) > 100 * default.error(model).total


def test_prior_support_bounds_the_tail_mass():
    lo, hi, mass = prior_support(Gaussian(np.array([1.0]), np.array([[4.0]])), tail_tol=1e-12)
    exact = norm.cdf(lo, 1.0, 2.0) + norm.sf(hi, 1.0, 2.0)
    assert exact <= mass <= 2e-12
    # Negative control of the bound's tightness: the exact tail mass is not negligible against it.
    assert exact > 1e-3 * mass
    with pytest.raises(ValueError, match="1-D"):
        prior_support(Gaussian(np.zeros(2), np.eye(2)))


def test_diagonal_problem_is_the_sum_of_its_components():
    rng = np.random.default_rng(5)
    basis = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    scales, sigma, delta = np.array([0.5, 1.2]), np.array([1.5, 0.7]), 0.3
    prob = LinearInverseProblem.diagonal(sigma, delta, LogisticProduct(scales, basis=basis),
                                         basis=basis)
    knots = np.linspace(-4.0, 4.0, 9)
    model = MonotoneSpline(knots, basis=basis)
    model.set_parameters(np.concatenate([[0.1], rng.uniform(0.5, 2.0, 9),
                                         [-0.2], rng.uniform(0.5, 2.0, 9)]))
    for name, form in [("reconstruction", "z"), ("logdet", "z-weighted"), ("divergence", "y")]:
        loss = Loss(name, form=form)
        total = PopulationQuadrature(model, prob, loss).value_and_grad(model)[0]
        parts = 0.0
        for j in range(2):
            part = MonotoneSpline(knots)
            part.set_parameters(model.get_parameters()[10 * j : 10 * (j + 1)])
            sub = LinearInverseProblem(np.array([[sigma[j]]]), delta,
                                       LogisticProduct(scales[j : j + 1]))
            parts += PopulationQuadrature(part, sub, loss).value_and_grad(part)[0]
        # Two evaluations of the same sums (up to the order of the basis products): rounding.
        assert abs(total - parts) <= 1e-12 * abs(total)
        mean, se = monte_carlo(model, prob, loss)
        assert abs(total - mean) <= K_SE * se


def test_basis_must_diagonalise_the_problem():
    rng = np.random.default_rng(6)
    basis = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    prob = LinearInverseProblem(np.diag([1.0, 2.0]), 0.3, LogisticProduct(np.ones(2)))
    with pytest.raises(ValueError, match="diagonalise"):
        PopulationQuadrature(MonotoneSpline(np.linspace(-1, 1, 3), basis=basis), prob, "divergence")


def test_diagonal_net_has_a_quadrature_loss_too():
    model = DiagonalNet(1, n_units=3)
    prob, loss = problem(), Loss("reconstruction", form="y")
    value = PopulationQuadrature(model, prob, loss).value_and_grad(model)[0]
    mean, se = monte_carlo(model, prob, loss, batch=2000)
    assert abs(value - mean) <= K_SE * se


class _HiddenKinkLaplace(__import__("invlin").priors.Laplace):
    """The Laplace prior without its declared kink (a negative control for the panel break)."""

    def kinks(self):
        return np.empty(0)


def test_panel_break_at_the_prior_kink_keeps_the_error_estimate():
    from invlin.models import MonotoneSpline
    from invlin.priors import Laplace
    from invlin.problem import LinearInverseProblem
    from invlin.losses import PopulationQuadrature

    a, delta, loc, scale = 1.3, 0.4, 0.37, 1.0
    # identity map, knots that avoid the kink at loc; z-form approximation loss
    # E(x - a(a x + delta eta))^2 = (1 - a^2)^2 E[x^2] + a^2 delta^2, E[x^2] = loc^2 + 2 b^2
    exact = (1 - a**2) ** 2 * (loc**2 + 2 * scale**2) + a**2 * delta**2
    errors = {}
    for prior in (Laplace(loc, scale), _HiddenKinkLaplace(loc, scale)):
        model = MonotoneSpline(np.linspace(-3.05, 2.95, 9))
        problem = LinearInverseProblem([[a]], delta, prior)
        # 41 panels: the support is centred on the mean = the kink, so an odd count puts the
        # kink inside a panel unless it is declared
        quadrature = PopulationQuadrature(model, problem, "approximation", n_panels=41,
                                          nodes_per_panel=4)
        value, _ = quadrature.value_and_grad(model)
        errors[type(prior).__name__] = (abs(value - exact), quadrature.error(model).total)
    actual, estimate = errors["Laplace"]
    assert actual <= estimate  # the stated estimate holds with the break
    hidden, _ = errors["_HiddenKinkLaplace"]
    assert hidden > 1e3 * max(actual, 1e-15)  # without the break the kink costs accuracy


def _direct_design_hessian(model, points, weights, metric, logdet_weight, gauss_newton):
    """The Gram sums of design_hessian's Notes, summed point by point over the full design."""
    hess = np.zeros((model.n_parameters, model.n_parameters))
    slopes = model._maps(points)[1]
    for j in range(model.dim):
        block = model._component_slice(j)
        design, design_slope = model._design(points[:, j], j)
        weight = weights[:, j]
        if gauss_newton:
            scaled = design / slopes[:, j, None]
            hess[block, block] = 2.0 * scaled.T @ (scaled * weight[:, None])
            continue
        hess[block, block] = 2.0 * metric[j] * design.T @ (design * weight[:, None])
        if logdet_weight is not None:
            scaled = design_slope * (weight / slopes[:, j] ** 2)[:, None]
            hess[block, block] += logdet_weight * design_slope.T @ scaled
    return hess


@pytest.mark.parametrize("mode", ["data", "logdet", "gauss_newton"])
def test_design_hessian_sums_the_design_piece_by_piece(mode):
    # points in both tails, inside every interval and exactly on the knots
    rng = np.random.default_rng(7)
    knots = np.sort(rng.standard_normal((2, 9)), axis=1)
    model = MonotoneSpline(knots)
    theta = model.get_parameters() + 0.5 * np.abs(rng.standard_normal(model.n_parameters))
    model.set_parameters(theta)
    points = np.concatenate([3.0 * rng.standard_normal((2000, 2)), knots.T])
    weights = rng.random(points.shape) / points.shape[0]
    metric = np.array([0.5, 2.0])
    logdet_weight = 0.3 if mode == "logdet" else None
    got = design_hessian(model, points, weights, metric=metric, logdet_weight=logdet_weight,
                         gauss_newton=mode == "gauss_newton")
    expected = _direct_design_hessian(model, points, weights, metric, logdet_weight,
                                      mode == "gauss_newton")
    # the same sums in another order (moments of v up to v^4, tails out to ~10 widths): a few
    # hundred ulps of the largest entry
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
