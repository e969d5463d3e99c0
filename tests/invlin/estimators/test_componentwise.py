"""Componentwise PM and MAP against the dense and the 1-D estimators of invlin."""

import numpy as np
import pytest

from invlin.estimators import (componentwise_map, componentwise_posterior_mean, map_estimate,
                               posterior_mean)
from invlin.operators import DCTBasis, DenseBasis, binomial_blur_spectrum
from invlin.priors import LogisticProduct, TransformLogisticProduct
from invlin.problem import LinearInverseProblem, TransformDiagonalProblem


def problem(dim, delta=0.3, exponent=0.5):
    basis = DCTBasis(dim)
    prior = TransformLogisticProduct.power_law(basis, exponent)
    return TransformDiagonalProblem(basis, binomial_blur_spectrum(dim, 1), delta, prior)


def dense(fast, delta=None):
    prior = LogisticProduct(fast.prior.scales, fast.basis.matrix())
    return LinearInverseProblem(fast.dense_operator(), delta or fast.delta, prior)


def test_map_agrees_with_the_dense_map_estimate():
    fast = problem(6)
    y = fast.sample(40, np.random.default_rng(0)).y
    x, info = componentwise_map(fast, y, return_info=True)
    # both solve the same strictly convex problem to a relative gradient of 1e-12; the
    # minimiser moves by |grad| / lambda_min(H) with lambda_min >= sigma_min^2 ~ 0.3: ~1e-11
    np.testing.assert_allclose(x, map_estimate(dense(fast), y), rtol=0, atol=1e-9)
    assert info.unique.all() and info.converged.all() and (info.n_local_minima == 1).all()
    _, dense_info = map_estimate(dense(fast), y, return_info=True)
    np.testing.assert_allclose(info.objective, dense_info.objective, rtol=1e-12)


def test_pm_agrees_with_the_dense_posterior_mean():
    fast = problem(6)
    y = fast.sample(40, np.random.default_rng(1)).y
    # two implementations of the same exact quadrature rule (error ~1e-15 relative each)
    np.testing.assert_allclose(componentwise_posterior_mean(fast, y),
                               posterior_mean(dense(fast), y), rtol=0, atol=1e-10)


def test_pm_comparison_detects_a_wrong_noise_level_and_the_map():
    # negative controls: the dense PM at delta 0.31 instead of 0.3, and the MAP instead of the
    # PM, both miss the 1e-10 agreement of the test above by orders of magnitude
    fast = problem(6)
    y = fast.sample(40, np.random.default_rng(1)).y
    pm = componentwise_posterior_mean(fast, y)
    assert np.max(np.abs(pm - posterior_mean(dense(fast, 0.31), y))) > 1e-4
    assert np.max(np.abs(pm - componentwise_map(fast, y))) > 1e-2


def test_high_dimensional_estimators_match_the_1d_estimators_per_component():
    fast = problem(2000, delta=0.05)
    y = fast.sample(3, np.random.default_rng(2)).y
    pm = fast.basis.forward(componentwise_posterior_mean(fast, y))
    mapx = fast.basis.forward(componentwise_map(fast, y))
    b = fast.basis.forward(y)
    sigma, scales = fast.singular_values, fast.prior.scales
    for j in (0, 17, 600, 1400, 1999):
        sub = LinearInverseProblem([[sigma[j]]], fast.delta, LogisticProduct([scales[j]]))
        data = b[:, j : j + 1]
        # exact 1-D references (quadrature / Newton to 1e-12 relative) on the same data
        np.testing.assert_allclose(pm[:, j], posterior_mean(sub, data)[:, 0], rtol=1e-9,
                                   atol=1e-12 * scales[j])
        np.testing.assert_allclose(mapx[:, j], map_estimate(sub, data)[:, 0], rtol=1e-9,
                                   atol=1e-12 * scales[j])


def test_high_dimensional_map_solves_the_prior_based_normal_equation():
    fast = problem(10000, delta=0.05)
    y = fast.sample(2, np.random.default_rng(3)).y

    def residual(x):
        # A^T (A x - y) - delta^2 grad log p(x), relative to the size of its terms
        data = fast.apply(fast.apply(x) - y)
        prior_term = fast.delta**2 * fast.prior.score(x)
        scale = np.linalg.norm(fast.apply(fast.apply(x)), axis=1) + np.linalg.norm(prior_term, axis=1)
        return np.max(np.linalg.norm(data - prior_term, axis=1) / scale)

    # Newton to 1e-12 relative per component; the transforms add ~log2(n) eps of rounding
    assert residual(componentwise_map(fast, y)) < 1e-10
    # negative control: the PM is a different point and fails the MAP equation
    assert residual(componentwise_posterior_mean(fast, y)) > 1e-4


def test_single_point_and_bad_priors():
    fast = problem(5)
    y = fast.sample(1, np.random.default_rng(4)).y[0]
    assert componentwise_map(fast, y).shape == (5,)
    assert componentwise_posterior_mean(fast, y).shape == (5,)
    x, info = componentwise_map(fast, y, return_info=True)
    assert x.shape == (5,) and bool(info.unique)
    other = TransformDiagonalProblem(fast.basis, fast.singular_values, 0.3,
                                     TransformLogisticProduct(fast.prior.scales,
                                                              DenseBasis(np.eye(5))))
    with pytest.raises(TypeError, match="product prior in the problem's basis"):
        componentwise_map(other, y)
    with pytest.raises(ValueError, match="shape"):
        componentwise_posterior_mean(fast, np.zeros(4))


def test_zero_singular_value_gives_the_prior_mode_and_mean():
    basis = DCTBasis(3)
    fast = TransformDiagonalProblem(basis, [1.0, 0.0, 0.5], 0.2,
                                    TransformLogisticProduct([1.0, 1.0, 1.0], basis))
    y = np.array([[0.3, -0.2, 0.4]])
    for estimate in (componentwise_map(fast, y), componentwise_posterior_mean(fast, y)):
        # the component without data keeps the prior's mode = mean = 0 (to rounding)
        assert abs(basis.forward(estimate)[0, 1]) < 1e-12


def test_map_comparison_detects_a_wrong_noise_level():
    # negative control: the dense MAP at delta 0.31 misses the 1e-9 agreement by far
    fast = problem(6)
    y = fast.sample(40, np.random.default_rng(0)).y
    assert np.max(np.abs(componentwise_map(fast, y) - map_estimate(dense(fast, 0.31), y))) > 1e-4


def test_1d_comparison_detects_the_neighbouring_component():
    # negative control: component j's estimates against the 1-D problem of component j + 1
    fast = problem(2000, delta=0.05)
    y = fast.sample(3, np.random.default_rng(2)).y
    pm = fast.basis.forward(componentwise_posterior_mean(fast, y))
    b = fast.basis.forward(y)
    j = 600
    sub = LinearInverseProblem([[fast.singular_values[j + 1]]], fast.delta,
                               LogisticProduct([fast.prior.scales[j + 1]]))
    reference = posterior_mean(sub, b[:, j : j + 1])[:, 0]
    assert np.max(np.abs(pm[:, j] - reference) / np.abs(reference)) > 1e-6
