"""Every bad input gets a clear error naming the parameter and the violated condition."""

import numpy as np
import pytest

from invlin._validation import finite_scalar
from invlin.errors import NotInjectiveError
from invlin.estimators import data_score, map_estimate, posterior_mean, tweedie_residual
from invlin.priors import Gaussian, GaussianMixture, LogisticProduct
from invlin.problem import LinearInverseProblem

G2 = Gaussian(np.zeros(2), np.eye(2))
MIX2 = GaussianMixture.symmetric_bimodal([1.0, 0.0], 0.5)


def problem2(prior=MIX2):
    return LinearInverseProblem(np.eye(2), 0.5, prior)


# -- problem ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "A, delta, prior, error, match",
    [
        (np.eye(3), 0.5, G2, ValueError, "prior.dim"),
        (np.ones(2), 0.5, G2, ValueError, "A must be 2-dimensional"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), 0.5, G2, ValueError, "A must contain only finite"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), 0.5, G2, ValueError, "A must contain only finite"),
        (np.eye(2), 0.0, G2, ValueError, "delta must be finite and > 0"),
        (np.eye(2), -1.0, G2, ValueError, "delta must be finite and > 0"),
        (np.eye(2), np.inf, G2, ValueError, "delta must be finite and > 0"),
        (np.eye(2), "0.5", G2, TypeError, "delta must be a real number"),
        (np.eye(2), 0.5, "gaussian", TypeError, "prior must be"),
        (np.zeros((0, 2)), 0.5, G2, ValueError, "A must have at least one row"),
    ],
)
def test_problem_rejects(A, delta, prior, error, match):
    with pytest.raises(error, match=match):
        LinearInverseProblem(A, delta, prior)


def test_diagonal_rejects_negative_singular_values_and_bad_basis():
    with pytest.raises(ValueError, match="singular_values must be >= 0"):
        LinearInverseProblem.diagonal([1.0, -1.0], 0.5, G2)
    with pytest.raises(ValueError, match="basis must be orthonormal"):
        LinearInverseProblem.diagonal([1.0, 1.0], 0.5, G2, basis=[[1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"basis must have shape \(2, 2\)"):
        LinearInverseProblem.diagonal([1.0, 1.0], 0.5, G2, basis=np.eye(3))


def test_sample_rejects_bad_arguments():
    problem = problem2()
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        problem.sample(3, 0)
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        problem.sample(0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        problem.sample(2.5, np.random.default_rng(0))


def test_rank_deficient_A_where_injectivity_is_required():
    problem = LinearInverseProblem([[1.0, 1.0], [1.0, 1.0]], 0.5, G2)
    with pytest.raises(NotInjectiveError, match="numerical rank is 1"):
        problem.normal_operator_inverse()


# -- priors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cov, match",
    [
        ([[1.0, 0.5], [0.0, 1.0]], "not symmetric"),
        ([[1.0, 2.0], [2.0, 1.0]], "Cholesky"),
        ([[0.0, 0.0], [0.0, 1.0]], "Cholesky"),
        ([[1.0, 0.0], [0.0, np.nan]], "finite"),
        (np.eye(3), r"shape \(2, 2\)"),
    ],
)
def test_gaussian_rejects_bad_covariance(cov, match):
    with pytest.raises(ValueError, match=f"cov.*{match}"):
        Gaussian(np.zeros(2), cov)


def test_gaussian_rejects_bad_mean():
    with pytest.raises(ValueError, match="mean must be 1-dimensional"):
        Gaussian(np.zeros((2, 1)), np.eye(2))
    with pytest.raises(ValueError, match="mean must contain only finite"):
        Gaussian([np.inf, 0.0], np.eye(2))


@pytest.mark.parametrize(
    "weights, match",
    [
        ([-0.1, 1.1], "weights must be >= 0"),
        ([0.5, 0.6], "weights must sum to 1"),
        ([0.5, 0.5 - 1e-9], "weights must sum to 1"),
        ([np.nan, 1.0], "weights must contain only finite"),
    ],
)
def test_mixture_rejects_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(weights, np.zeros((2, 2)), np.stack([np.eye(2)] * 2))


def test_mixture_rejects_bad_shapes_and_covariances():
    with pytest.raises(ValueError, match=r"means must have shape \(2, n\)"):
        GaussianMixture([0.5, 0.5], np.zeros((3, 2)), np.stack([np.eye(2)] * 2))
    with pytest.raises(ValueError, match=r"covs must have shape \(2, 2, 2\)"):
        GaussianMixture([0.5, 0.5], np.zeros((2, 2)), np.stack([np.eye(3)] * 2))
    with pytest.raises(ValueError, match=r"covs\[1\] must be symmetric positive definite"):
        GaussianMixture([0.5, 0.5], np.zeros((2, 2)), np.stack([np.eye(2), -np.eye(2)]))
    with pytest.raises(ValueError, match="std must be finite and > 0"):
        GaussianMixture.symmetric_bimodal([1.0, 0.0], 0.0)


def test_logistic_rejects_bad_input():
    with pytest.raises(ValueError, match="scales must be > 0"):
        LogisticProduct([1.0, 0.0])
    with pytest.raises(ValueError, match="basis must be orthonormal"):
        LogisticProduct([1.0, 1.0], basis=2 * np.eye(2))
    with pytest.raises(ValueError, match="loc must have length 2"):
        LogisticProduct([1.0, 1.0], loc=[0.0])


@pytest.mark.parametrize("prior", [G2, MIX2, LogisticProduct([1.0, 1.0])])
def test_prior_methods_reject_bad_points(prior):
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\)"):
        prior.logpdf(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="x must contain only finite"):
        prior.score(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="v must be a unit vector"):
        prior.marginal([1.0, 1.0])
    with pytest.raises(ValueError, match="v must have length 2"):
        prior.marginal([1.0])
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        prior.sample(3, rng=None)


# -- estimators -------------------------------------------------------------------------------
@pytest.mark.parametrize("estimator", [posterior_mean, map_estimate, tweedie_residual, data_score])
def test_estimators_reject_bad_measurements(estimator):
    problem = problem2()
    with pytest.raises(ValueError, match=r"y must have shape \(N, 2\)"):
        estimator(problem, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="y must contain only finite"):
        estimator(problem, np.array([[np.inf, 0.0]]))


def test_unknown_and_invalid_options():
    problem = problem2()
    y = np.zeros((1, 2))
    with pytest.raises(TypeError, match="unexpected keyword argument 'tolerance'"):
        map_estimate(problem, y, tolerance=1e-3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'method'"):
        posterior_mean(problem, y, method="mc")
    with pytest.raises(ValueError, match="tol must be finite and > 0"):
        map_estimate(problem, y, tol=0.0)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        map_estimate(problem, y, max_iter=0)
    with pytest.raises(TypeError, match="return_info must be a bool"):
        map_estimate(problem, y, return_info="yes")
    with pytest.raises(ValueError, match="tail_widths must be finite and > 0"):
        posterior_mean(problem, y, tail_widths=-1.0)


def test_closed_forms_unavailable_for_logistic_prior():
    problem = LinearInverseProblem(np.eye(2), 0.5, LogisticProduct([1.0, 1.0]))
    with pytest.raises(NotImplementedError, match="closed form only for Gaussian"):
        tweedie_residual(problem, np.zeros(2))


def test_logistic_quadrature_dimension_limit():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    problem = LinearInverseProblem(A, 0.5, LogisticProduct(np.ones(4)))
    with pytest.raises(NotImplementedError, match="dimension <= 3"):
        posterior_mean(problem, np.zeros(4))


@pytest.mark.parametrize("value", [0.5, -2, np.float64(3.0), np.array(1.5)])
def test_finite_scalar_accepts_one_real_number(value):
    assert finite_scalar(value, "loc") == float(value)


@pytest.mark.parametrize("value, error, match", [
    ([1.0, 2.0], ValueError, "loc must be a scalar, got shape"),
    (np.nan, ValueError, "finite"),
    (np.inf, ValueError, "finite"),
    ("a", TypeError, "convertible"),
])
def test_finite_scalar_rejects(value, error, match):
    with pytest.raises(error, match=match):
        finite_scalar(value, "loc")
