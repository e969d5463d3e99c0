"""diagonal_optima: per-component references against the project's n-D formulas.

Tolerances: the stated accuracies of the references plus rounding of the n-D evaluation (a few
eps of terms below 1e2: 1e-13).
"""

import numpy as np
import pytest

from invlin.errors import NotInjectiveError
from invlin.estimators import posterior_mean
from invlin.prediction import divergence_optimum
from invlin.priors import LogisticProduct
from invlin.problem import LinearInverseProblem
from invlin.references import diagonal_optima

ROUNDING = 1e-13


def rotated_problem():
    angle = 0.4
    basis = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    prior = LogisticProduct([0.7, 1.3], basis=basis, loc=[0.2, -0.1])
    return LinearInverseProblem.diagonal([1.6, 0.8], 0.4, prior, basis=basis), basis


def _divergence_components(reverse=False):
    """The componentwise divergence optima mapped back to R^n (components in reverse order if
    ``reverse``), the n-D closed form at the same points, and the references' stated accuracy."""
    problem, _ = rotated_problem()
    refs = diagonal_optima(problem, "divergence", "z")
    if reverse:
        refs = refs[::-1]
    x = problem.prior.sample(20, np.random.default_rng(0))
    V = problem.right_singular_vectors
    expected = divergence_optimum(problem.singular_values, V, problem.delta, x,
                                  problem.prior.score(x))
    coordinates = x @ V
    got = np.stack([ref.forward(coordinates[:, j]) for j, ref in enumerate(refs)], axis=1) @ V.T
    return got, expected, max(ref.forward_accuracy for ref in refs)


def test_divergence_components_match_the_nd_closed_form():
    got, expected, accuracy = _divergence_components()
    np.testing.assert_allclose(got, expected, rtol=0, atol=accuracy + ROUNDING)


def test_reconstruction_components_are_the_posterior_mean_of_a_product_prior():
    # A product prior and an operator diagonal in its basis: the posterior factorises, so the
    # marginal posterior means are the coordinates of the full one.
    problem, _ = rotated_problem()
    refs = diagonal_optima(problem, "reconstruction", "y")
    y = problem.sample(15, np.random.default_rng(1)).y
    U, V = problem.left_singular_vectors, problem.right_singular_vectors
    data = y @ U
    got = np.stack([ref.inverse(data[:, j]) for j, ref in enumerate(refs)], axis=1) @ V.T
    tolerance = max(ref.inverse_accuracy for ref in refs) + ROUNDING
    np.testing.assert_allclose(got, posterior_mean(problem, y), rtol=0, atol=tolerance)


def test_swapped_components_fail():
    # Negative control: pairing each component with the other's singular value breaks the match.
    got, expected, _ = _divergence_components(reverse=True)
    assert np.max(np.abs(got - expected)) > 1e-2


def test_validation():
    problem, _ = rotated_problem()
    with pytest.raises(TypeError, match="LinearInverseProblem"):
        diagonal_optima("problem", "divergence")
    singular = LinearInverseProblem.diagonal([1.0, 0.0], 0.4, problem.prior)
    with pytest.raises(NotInjectiveError):
        diagonal_optima(singular, "divergence")
    tall = LinearInverseProblem(np.vstack([problem.A, np.ones((1, 2))]), 0.4, problem.prior)
    with pytest.raises(ValueError, match="square"):
        diagonal_optima(tall, "divergence", "y")
