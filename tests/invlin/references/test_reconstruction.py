"""The reconstruction reference: its inverse is the posterior mean; forward inverts it.

Tolerances: the stated accuracies (PM_ACCURACY = 1e-11 for the inverse, checked against
30-digit quadrature in test_bayes; forward's bound divided by the PM's slope) plus 1e-14 of
rounding in the comparison itself.
"""

import numpy as np
import pytest

import theory
from invlin.prediction import evaluate
from invlin.priors import Gaussian, GaussianMixture, Gumbel, LogisticProduct
from invlin.references import exact_map, exact_posterior_mean, function_space_optimum

PRIORS = {
    "gumbel": Gumbel(0.3, 0.8),
    "logistic": LogisticProduct([0.7], loc=[0.2]),
    "asymmetric-mixture": GaussianMixture([0.3, 0.7], [[-1.0], [1.5]], [[[0.5]], [[0.8]]]),
    "symmetric-mixture": GaussianMixture.symmetric_bimodal([2.0], 0.5),
}
DATA = np.linspace(-3.0, 3.0, 13)


@pytest.mark.parametrize("name", sorted(PRIORS))
@pytest.mark.parametrize("form", ["y", "z"])
def test_inverse_is_the_posterior_mean_and_forward_inverts_it(name, form):
    prior = PRIORS[name]
    a, delta = 1.4, 0.6
    ref = function_space_optimum(prior, a, delta, "reconstruction", form)
    pm = exact_posterior_mean(prior, a, delta, DATA, form)
    np.testing.assert_array_equal(ref.inverse(DATA), pm)  # the same computation
    x = np.linspace(-2.0, 2.0, 9)
    data = ref.forward(x)
    np.testing.assert_allclose(ref.inverse(data), x, rtol=0, atol=ref.inverse_accuracy + 1e-14)
    assert np.all(np.diff(data) > 0)


@pytest.mark.parametrize("form", ["y", "z"])
def test_gaussian_prior_gives_theorys_pm_gain(form):
    a, delta, s = 1.4, 0.6, 1.1
    ref = function_space_optimum(Gaussian([0.0], [[s**2]]), a, delta, "reconstruction", form)
    gain = evaluate(theory.optimal_gain("reconstruction", form), a=a, s=s, delta=delta)
    x = np.linspace(-2.0, 2.0, 9)
    np.testing.assert_allclose(ref.forward(x), gain * x, rtol=0, atol=ref.forward_accuracy)


def test_reconstruction_is_not_the_map_on_a_skewed_prior():
    # Negative control: the MAP in place of the reconstruction optimum's inverse misses it by
    # far more than its accuracy (Gumbel prior, delta = 0.6: |PM - MAP| ~ 0.1).
    prior = PRIORS["gumbel"]
    ref = function_space_optimum(prior, 1.4, 0.6, "reconstruction", "y")
    distance = np.max(np.abs(ref.inverse(DATA) - exact_map(prior, 1.4, 0.6, DATA, "y")))
    assert distance > 1e4 * ref.inverse_accuracy
