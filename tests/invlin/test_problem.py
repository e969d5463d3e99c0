"""LinearInverseProblem: SVD, injectivity, the diagonal constructor and sampling."""

import numpy as np
import pytest

from invlin.errors import NotInjectiveError
from invlin.priors import Gaussian, GaussianMixture
from invlin.problem import LinearInverseProblem, Samples


def gaussian(n):
    return Gaussian(np.zeros(n), np.eye(n))


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (2, 3)])
def test_svd_reconstructs_A(shape):
    rng = np.random.default_rng(0)
    A = rng.standard_normal(shape)
    problem = LinearInverseProblem(A, 0.1, gaussian(shape[1]))
    s, U, V = problem.singular_values, problem.left_singular_vectors, problem.right_singular_vectors
    assert s.shape == (shape[1],) and U.shape == (shape[0], shape[1]) and V.shape == (shape[1],) * 2
    assert np.all(np.diff(s) <= 0)
    # A = U diag(s) V^T to rounding of an SVD (~n eps |A|); 1e-12 absolute for unit-scale A.
    np.testing.assert_allclose((U * s) @ V.T, A, atol=1e-12)
    np.testing.assert_allclose(V.T @ V, np.eye(shape[1]), atol=1e-12)
    np.testing.assert_allclose(problem.normal_operator, A.T @ A, atol=1e-12)
    assert problem.dim == shape[1] and problem.m == shape[0]


def test_wide_operator_is_not_injective():
    problem = LinearInverseProblem(np.ones((1, 2)), 0.1, gaussian(2))
    assert not problem.is_injective
    assert problem.singular_values[1] == 0.0
    assert problem.condition_number == np.inf
    with pytest.raises(NotInjectiveError, match="injective"):
        problem.require_injective()
    with pytest.raises(NotInjectiveError):
        problem.normal_operator_inverse()


def test_rank_deficient_square_operator():
    A = np.array([[1.0, 2.0], [2.0, 4.0]])
    problem = LinearInverseProblem(A, 0.1, gaussian(2))
    assert not problem.is_injective
    assert problem.singular_values[1] == 0.0


def test_normal_operator_inverse_and_condition_number():
    A = np.array([[2.0, 1.0], [0.0, 0.5], [1.0, 0.0]])
    problem = LinearInverseProblem(A, 0.1, gaussian(2))
    # Inverse of a 2x2 SPD matrix with condition ~30: rounding ~1e-14.
    np.testing.assert_allclose(problem.normal_operator_inverse(), np.linalg.inv(A.T @ A), rtol=1e-12)
    s = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(problem.condition_number, s[0] / s[-1], rtol=1e-12)


def test_diagonal_constructor():
    theta = 0.3
    V = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    problem = LinearInverseProblem.diagonal([0.5, 2.0], 0.1, gaussian(2), basis=V)
    np.testing.assert_allclose(problem.A, V @ np.diag([0.5, 2.0]) @ V.T, atol=1e-15)
    np.testing.assert_allclose(problem.singular_values, [2.0, 0.5], rtol=1e-14)
    assert problem.is_diagonal_in(V)
    assert not problem.is_diagonal_in(np.eye(2))
    plain = LinearInverseProblem.diagonal([1.0, 0.0], 0.1, gaussian(2))
    np.testing.assert_array_equal(plain.A, np.diag([1.0, 0.0]))
    assert not plain.is_injective


def test_sample_statistics():
    A = np.array([[1.0, 0.5], [0.0, 2.0], [1.0, 1.0]])
    delta = 0.3
    prior = GaussianMixture.symmetric_bimodal([1.0, -0.5], 0.4)
    problem = LinearInverseProblem(A, delta, prior)
    n = 100_000
    samples = problem.sample(n, np.random.default_rng(3))
    assert isinstance(samples, Samples)
    assert samples.x.shape == (n, 2) and samples.y.shape == (n, 3) and samples.z.shape == (n, 2)
    np.testing.assert_allclose(samples.z, samples.y @ A, rtol=1e-15)
    noise = samples.y - samples.x @ A.T
    # Noise mean: standard error delta / sqrt(n); 5 standard errors. Noise variance: standard
    # error delta^2 sqrt(2 / n); 5 standard errors.
    assert np.all(np.abs(noise.mean(axis=0)) < 5 * delta / np.sqrt(n))
    assert np.all(np.abs(noise.var(axis=0) - delta**2) < 5 * delta**2 * np.sqrt(2 / n))
    again = problem.sample(n, np.random.default_rng(3))
    np.testing.assert_array_equal(again.y, samples.y)
