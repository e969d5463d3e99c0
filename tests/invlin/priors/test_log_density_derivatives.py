"""log_density_derivatives (l, l', l'', l''') of every 1-D prior, and the Gumbel prior.

Derivatives are checked against central differences of the row below (step H = 1e-5): the error
is H^2 |l^(k+2)|/6 + eps |l^(k)|/H ~ 1e-10 for the unit-scale priors here, so the tolerance
1e-6 (relative to 1 + |value|) has four orders of margin and still fails for a wrong formula
(the negative control shifts l''' by 1e-3).
"""

import numpy as np
import pytest

from invlin.priors import Gaussian, GaussianMixture, Gumbel, LogisticProduct

H = 1e-5
FD_RTOL = 1e-6

PRIORS = {
    "gaussian": Gaussian([0.3], [[1.7]]),
    "symmetric-mixture": GaussianMixture.symmetric_bimodal([1.5], 0.6),
    "asymmetric-mixture": GaussianMixture([0.3, 0.7], [[-1.0], [1.5]], [[[0.5]], [[0.8]]]),
    "logistic": LogisticProduct([0.7], loc=[0.2]),
    "gumbel": Gumbel(0.4, 0.8),
}
POINTS = np.linspace(-3.0, 4.0, 29)


def central(prior, t, row):
    plus = prior.log_density_derivatives(t + H)[row]
    minus = prior.log_density_derivatives(t - H)[row]
    return (plus - minus) / (2 * H)


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_rows_are_successive_derivatives(name):
    prior = PRIORS[name]
    values = prior.log_density_derivatives(POINTS)
    assert values.shape == (4, POINTS.size)
    for row in range(3):
        np.testing.assert_allclose(
            values[row + 1], central(prior, POINTS, row), rtol=FD_RTOL, atol=FD_RTOL
        )


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_rows_agree_with_logpdf_score_hessian(name):
    # Same formulas evaluated in a different order: rounding only (1e-12 relative).
    prior = PRIORS[name]
    values = prior.log_density_derivatives(POINTS)
    x = POINTS[:, None]
    np.testing.assert_allclose(values[0], prior.logpdf(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(values[1], prior.score(x)[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(values[2], prior.hessian(x)[:, 0, 0], rtol=1e-12, atol=1e-12)


def test_wrong_third_derivative_fails_the_check():
    # Negative control: a third derivative off by 1e-3 is caught by the same tolerance.
    prior = PRIORS["gumbel"]
    wrong = prior.log_density_derivatives(POINTS)[3] + 1e-3
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(wrong, central(prior, POINTS, 2), rtol=FD_RTOL, atol=FD_RTOL)


def test_order_and_shape_handling():
    prior = PRIORS["logistic"]
    assert prior.log_density_derivatives(0.5, order=1).shape == (2,)
    assert prior.log_density_derivatives(POINTS, order=0).shape == (1, POINTS.size)
    with pytest.raises(ValueError, match="order"):
        prior.log_density_derivatives(POINTS, order=4)
    with pytest.raises(ValueError, match="1-D array"):
        prior.log_density_derivatives(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        prior.log_density_derivatives([np.nan])
    with pytest.raises(ValueError, match="1-D prior"):
        LogisticProduct([1.0, 2.0]).log_density_derivatives(POINTS)


def test_gumbel_density_integrates_to_one_with_its_mean_and_variance():
    # Trapezoidal rule on [-6, 40] (density < 1e-17 outside) with 2e5 cells: error < 1e-9.
    prior = Gumbel(0.4, 0.8)
    t = np.linspace(-6.0, 40.0, 200_001)
    p = np.exp(prior.logpdf(t[:, None]))
    mass = np.trapezoid(p, t)
    mean = np.trapezoid(t * p, t)
    var = np.trapezoid((t - mean) ** 2 * p, t)
    assert abs(mass - 1.0) < 1e-9
    assert abs(mean - prior.mean[0]) < 1e-9
    assert abs(var - prior.covariance[0, 0]) < 1e-9


def test_gumbel_samples_have_its_mean_and_variance():
    # 2e5 samples: the standard error of the mean is sqrt(var/n) ~ 2.3e-3; 5 standard errors.
    prior = Gumbel(0.4, 0.8)
    x = prior.sample(200_000, np.random.default_rng(3))[:, 0]
    se_mean = np.sqrt(prior.covariance[0, 0] / x.size)
    assert abs(x.mean() - prior.mean[0]) < 5 * se_mean
    # Variance: SE = sqrt((mu4 - sigma^4)/n), mu4 = 5.4 sigma^4 for a Gumbel (excess kurtosis 2.4).
    se_var = np.sqrt(4.4 * prior.covariance[0, 0] ** 2 / x.size)
    assert abs(x.var() - prior.covariance[0, 0]) < 5 * se_var


def test_gumbel_is_skewed_and_log_concave():
    prior = Gumbel(0.0, 1.0)
    values = prior.log_density_derivatives(np.linspace(-3, 10, 50))
    assert np.all(values[2] < 0)  # strictly log-concave
    assert np.all(values[3] > 0)  # l''' > 0: PM and MAP differ at order delta^4 everywhere
    assert prior.mean[0] > prior.mode_candidates()[0, 0]


def test_gumbel_validation():
    with pytest.raises(ValueError, match="scale"):
        Gumbel(0.0, 0.0)
    with pytest.raises(ValueError, match="scalar"):
        Gumbel([0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="finite"):
        Gumbel(np.inf, 1.0)
    with pytest.raises(TypeError, match="Generator"):
        Gumbel(0.0, 1.0).sample(3, 0)
    with pytest.raises(NotImplementedError, match="reflected"):
        Gumbel(0.0, 1.0).marginal([-1.0])
    assert Gumbel(0.0, 1.0).marginal([1.0]).scale == 1.0
