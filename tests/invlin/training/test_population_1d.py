"""Population training of MonotoneSpline on the quadrature loss reaches the function-space optima.

The acceptance criterion (issue 8, build item 2): on the central 98% of the data, the learned
inverse is within 1% of max|PM - MAP| of its function-space optimum, in the sup norm over a fine
grid of the data, where max|PM - MAP| is taken over the same grid. The references are the
project's estimators (posterior_mean, map_estimate), independent of the training code.
"""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

import theory
from invlin import LinearInverseProblem, map_estimate, posterior_mean
from invlin.models import MonotoneSpline
from invlin.prediction import divergence_optimum
from invlin.priors import Gaussian, GaussianMixture, LogisticProduct
from invlin.training import fit_population_1d, train
from theory.symbols import a as a_sym
from theory.symbols import delta as delta_sym
from theory.symbols import s as s_sym

# The discriminating setting: an asymmetric two-component mixture (standard deviation 0.82),
# a = 1, delta = 0.4, where max|PM - MAP| over the central 98% of y is 0.13.
ASYMMETRIC = GaussianMixture([0.75, 0.25], [[0.0], [1.5]], [[[0.25]], [[0.25]]])
SYMMETRIC = GaussianMixture.symmetric_bimodal(np.array([0.8]), 0.5)
LOGISTIC = LogisticProduct(np.array([0.6]))
# The acceptance fraction: the learned inverse's error <= 1% of the PM-MAP separation.
SEPARATION = 0.01


def central_data(prior, a, delta, n_points=801):
    """A uniform grid of y over the central 98% of the data law, by a 1-D quantile solve.

    Gaussian mixtures: p_Y is the mixture with means a mu_k and variances a^2 s_k^2 + delta^2
    (closed form CDF). Other priors: the 1% and 99% quantiles of 400000 samples of y
    (standard error of a 1% quantile ~2.5e-4 of the data scale: immaterial for a grid).
    """
    if isinstance(prior, GaussianMixture):
        means = a * prior.means[:, 0]
        stds = np.sqrt(a**2 * prior.covs[:, 0, 0] + delta**2)

        def cdf(y):
            return float(np.sum(prior.weights * norm.cdf(y, means, stds)))

        lo = brentq(lambda y: cdf(y) - 0.01, -50.0, 50.0, xtol=1e-12)
        hi = brentq(lambda y: cdf(y) - 0.99, -50.0, 50.0, xtol=1e-12)
    else:
        rng = np.random.default_rng(0)
        y = a * prior.sample(400_000, rng)[:, 0] + delta * rng.standard_normal(400_000)
        lo, hi = np.quantile(y, [0.01, 0.99])
    return np.linspace(lo, hi, n_points)[:, None]


def references(prior, a, delta, y):
    problem = LinearInverseProblem(np.array([[a]]), delta, prior)
    return posterior_mean(problem, y), map_estimate(problem, y)


def sup(u):
    return float(np.max(np.abs(u)))


@pytest.fixture(scope="module")
def asymmetric_refs():
    y = central_data(ASYMMETRIC, 1.0, 0.4)
    pm, map_ = references(ASYMMETRIC, 1.0, 0.4, y)
    return y, pm, map_


def test_the_setting_discriminates(asymmetric_refs):
    _, pm, map_ = asymmetric_refs
    # |PM - MAP| ~ 0.1 of the prior scale (the brief's setting), far above the target 1e-3.
    assert 0.1 < sup(pm - map_) / np.sqrt(ASYMMETRIC.covariance[0, 0]) < 0.3


@pytest.mark.parametrize("loss, predicted", [("reconstruction", "PM"), ("divergence", "MAP")])
def test_inverse_is_the_predicted_estimator(asymmetric_refs, loss, predicted):
    y, pm, map_ = asymmetric_refs
    model, info = fit_population_1d(ASYMMETRIC, 1.0, 0.4, loss, form="y")
    assert info.converged and info.quadrature_error.total < 1e-6
    learned = model.inverse(y)
    target, other = (pm, map_) if predicted == "PM" else (map_, pm)
    assert sup(learned - target) <= SEPARATION * sup(pm - map_)
    # Negative control: the same learned inverse measured against the other estimator fails
    # by far.
    assert sup(learned - other) > 50 * SEPARATION * sup(pm - map_)


def test_divergence_with_half_the_weight_misses_the_map(asymmetric_refs):
    """Negative control: c = delta^2 instead of 2 delta^2 is far outside the tolerance."""
    y, pm, map_ = asymmetric_refs
    model, info = fit_population_1d(ASYMMETRIC, 1.0, 0.4, "divergence", form="y", weight=0.16)
    assert info.converged
    assert sup(model.inverse(y) - map_) > 10 * SEPARATION * sup(pm - map_)


def test_logdet_on_a_gaussian_prior_is_theorys_gain():
    std, a, delta = 0.8, 1.3, 0.5
    model, info = fit_population_1d(Gaussian(np.zeros(1), np.array([[std**2]])), a, delta,
                                    "logdet", form="y", n_knots=25)
    assert info.converged
    gain = float(theory.numeric(theory.optimal_gain("logdet", "y"), a_sym, s_sym, delta_sym)(
        a, std, delta))
    # The optimum is linear, inside the spline class; a converged Newton (gradient 1e-11) on a
    # loss of curvature ~ the prior mass leaves ~1e-10; the quadrature error (< 1e-7) moves the
    # minimiser of a smooth convex loss by the same order: 1e-6 relative is a loose bound.
    x = np.linspace(-2.0, 2.0, 41)[:, None]
    np.testing.assert_allclose(model.forward(x), gain * x, rtol=0, atol=1e-6 * gain)
    wrong = float(theory.numeric(theory.optimal_gain("reconstruction", "y"), a_sym, s_sym,
                                 delta_sym)(a, std, delta))
    assert abs(wrong - gain) > 1e-3  # negative control: the PM gain is a distinct prediction
    assert np.max(np.abs(model.forward(x) - wrong * x)) > 1e-4


def test_train_on_a_diagonal_product_problem_reaches_the_divergence_optimum():
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    sigma, delta = np.array([1.4, 0.8]), 0.3
    prior = LogisticProduct(np.array([0.5, 1.0]), basis=basis)
    problem = LinearInverseProblem.diagonal(sigma, delta, prior, basis=basis)
    knots = np.stack([np.linspace(-8.0, 8.0, 97), np.linspace(-15.0, 15.0, 97)])
    model = MonotoneSpline(knots, basis=basis)
    result = train(model, problem, "divergence", form="z", population=True, optimizer="newton",
                   steps=50, tol=1e-10, seed=0)
    assert result.converged
    x = prior.sample(2000, rng)
    expected = divergence_optimum(sigma, basis, delta, x, prior.score(x))
    # The optimum sigma^2 t + (delta^2/s) tanh(t/(2s)) is smooth; 97 knots over +-16 scales
    # leave an approximation error O(h^3) (measured 1.4e-5, one Newton step): 1e-4 is the
    # acceptance bound (1e-4 of the prior scale), not a precision bound.
    assert sup(model.forward(x) - expected) < 1e-4
    # Negative control: the prediction with the wrong singular values is far off.
    assert sup(model.forward(x) - divergence_optimum(sigma[::-1], basis, delta, x,
                                                     prior.score(x))) > 0.1


def test_lbfgs_reaches_the_newton_optimum():
    prior = ASYMMETRIC
    newton, _ = fit_population_1d(prior, 1.0, 0.4, "logdet", form="z", n_knots=17)
    lbfgs, info = fit_population_1d(prior, 1.0, 0.4, "logdet", form="z", n_knots=17,
                                    optimizer="lbfgs", steps=5000, tol=1e-9)
    # L-BFGS-B ends where its line search can no longer decrease the loss at rounding level;
    # where that is depends on the BLAS kernel (measured gradient norms 8e-10 with Haswell's,
    # 3.5e-9 with Sandybridge's), so the flag for tol = 1e-9 is not portable: require 1e-7.
    assert info.final_gradient_norm <= 1e-7
    x = np.linspace(-1.0, 2.5, 51)[:, None]
    # Both stop near the minimiser of a strictly convex loss; the maps must agree to 1e-4 of
    # the prior scale (the acceptance bound of the population fits; measured 3e-9 to 8e-9).
    assert sup(newton.forward(x) - lbfgs.forward(x)) < 1e-4


SLOW_CASES = [(prior, a, delta, form) for prior in (SYMMETRIC, LOGISTIC, ASYMMETRIC)
              for a, delta, form in ((1.0, 0.5, "y"), (1.5, 0.4, "z"))]


@pytest.mark.slow
@pytest.mark.parametrize("prior,a,delta,form", SLOW_CASES)
def test_reconstruction_and_divergence_optima_on_more_priors(prior, a, delta, form):
    y = central_data(prior, a, delta)
    pm, map_ = references(prior, a, delta, y)
    data = y if form == "y" else a * y  # z = a y in 1-D
    model, info = fit_population_1d(prior, a, delta, "reconstruction", form=form)
    assert info.converged
    assert sup(model.inverse(data) - pm) <= SEPARATION * sup(pm - map_)
    if form == "z":  # the z-form divergence optimum a^2 x - delta^2 l'(x) inverts to the MAP
        model, info = fit_population_1d(prior, a, delta, "divergence", form=form)
        assert info.converged
        assert sup(model.inverse(data) - map_) <= SEPARATION * sup(pm - map_)


def test_lbfgs_trains_a_diagonal_net_on_the_quadrature_loss():
    """The generic path: any box-constrained diagonal model, here DiagonalNet (tanh units)."""
    from invlin.models import DiagonalNet

    problem = LinearInverseProblem(np.array([[1.0]]), 0.4, LOGISTIC)
    model = DiagonalNet(1, n_units=1)
    result = train(model, problem, "divergence", form="z", population=True, optimizer="lbfgs",
                   steps=2000, tol=1e-9, seed=0)
    assert result.converged
    # One unit holds the logistic optimum a^2 t + (delta^2/s) tanh(t/(2s)) exactly
    # (DiagonalNet's docstring); a converged convex-near-optimum fit lands within 1e-5.
    x = np.linspace(-2.0, 2.0, 41)[:, None]
    expected = divergence_optimum(np.ones(1), np.eye(1), 0.4, x, LOGISTIC.score(x))
    assert sup(model.forward(x) - expected) < 1e-5
    with pytest.raises(ValueError, match="box"):
        DiagonalNet(1, lipschitz=0.5).parameter_bounds()


def test_adam_population_training_of_diagonal_linear_on_a_logistic_prior():
    """population=True on a non-Gaussian prior routes an affine diagonal model to quadrature."""
    from invlin.models import DiagonalLinear

    sigma = np.array([1.3, 0.6])
    problem = LinearInverseProblem.diagonal(sigma, 0.3, LogisticProduct(np.array([0.5, 1.0])))
    model = DiagonalLinear(2)
    result = train(model, problem, "approximation", form="z", population=True, steps=20000,
                   learning_rate=1e-2, tol=1e-10, seed=0)
    assert result.converged
    gain = theory.numeric(theory.optimal_gain("approximation", "z"), a_sym)(sigma)
    # Projected gradient 1e-10 over a curvature 2 E x_j^2 >= 0.5: gains within 1e-9.
    np.testing.assert_allclose(model.gains, gain, rtol=0, atol=1e-9)
    assert np.max(np.abs(model.gains - sigma)) > 0.1  # negative control: the y-form gain


def test_lipschitz_form_keeps_the_slopes_in_the_box():
    """The iResNet form: L-constrained training ends on the box and is stationary there."""
    model, info = fit_population_1d(ASYMMETRIC, 1.0, 0.4, "divergence", form="y",
                                    lipschitz=0.5, n_knots=49)
    assert info.converged and model.lipschitz() <= 0.5
    slopes = model.get_parameters()[1:]
    # The unconstrained optimum's slope 1 - delta^2 (log p)'' reaches 0.2 < 1 - L between the
    # modes, so the lower bound 0.5 is active there; a wrong box would leave it inactive.
    assert slopes.min() == 0.5 and slopes.max() <= 1.5
    free, _ = fit_population_1d(ASYMMETRIC, 1.0, 0.4, "divergence", form="y", n_knots=49)
    assert free.get_parameters()[1:].min() < 0.5
