"""TransformLogisticProduct against LogisticProduct with the dense basis matrix."""

import numpy as np
import pytest

from invlin.operators import DCTBasis
from invlin.priors import LogisticProduct, TransformLogisticProduct


def pair(scales=(1.0, 0.5, 0.3, 0.2, 0.7)):
    basis = DCTBasis(len(scales))
    return TransformLogisticProduct(scales, basis), LogisticProduct(scales, basis.matrix())


def assert_same_density(fast, dense, x):
    # same formulas, coefficients by transform instead of matrix product: rounding ~1e-15
    np.testing.assert_allclose(fast.logpdf(x), dense.logpdf(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast.score(x), dense.score(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast.hessian(x), dense.hessian(x), rtol=1e-12, atol=1e-12)


def test_density_score_hessian_and_moments_agree_with_the_dense_prior():
    fast, dense = pair()
    x = np.random.default_rng(0).standard_normal((7, 5))
    assert_same_density(fast, dense, x)
    np.testing.assert_allclose(fast.covariance, dense.covariance, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(fast.mean, dense.mean)
    assert fast.is_log_concave and fast.mode_candidates().shape == (1, 5)


def test_density_comparison_detects_wrong_scales():
    # negative control: another scale profile is a different density
    fast, _ = pair()
    _, dense = pair((1.0, 0.5, 0.3, 0.2, 0.71))
    with pytest.raises(AssertionError):
        assert_same_density(fast, dense, np.random.default_rng(0).standard_normal((7, 5)))


def test_sampling_uses_the_same_stream_as_the_dense_prior():
    fast, dense = pair()
    np.testing.assert_allclose(fast.sample(20, np.random.default_rng(3)),
                               dense.sample(20, np.random.default_rng(3)), rtol=0, atol=1e-14)


def test_power_law_scales_and_marginals():
    basis = DCTBasis(50)
    prior = TransformLogisticProduct.power_law(basis, 0.75, scale=2.0)
    np.testing.assert_allclose(prior.scales, 2.0 * (1.0 + np.arange(50)) ** -0.75, rtol=1e-15)
    v = basis.adjoint(np.eye(50)[7])
    assert prior.marginal(v).scales == pytest.approx([prior.scales[7]], rel=1e-15)
    assert prior.marginal(-v).scales == pytest.approx([prior.scales[7]], rel=1e-15)
    with pytest.raises(NotImplementedError, match="basis vector"):
        prior.marginal(np.ones(50) / np.sqrt(50) + 0.1 * v)


def test_coefficient_functions_are_derivatives_of_each_other():
    prior = TransformLogisticProduct([0.4, 2.0], DCTBasis(2))
    c = np.array([[-3.0, 0.5], [0.2, 7.0]])
    h = 1e-6
    # central differences: truncation h^2 |f'''| ~ 1e-12 / s^3, rounding eps |f| / h ~ 1e-10
    np.testing.assert_allclose(prior.coefficient_score(c),
                               (prior.coefficient_logpdf(c + h) - prior.coefficient_logpdf(c - h))
                               / (2 * h), rtol=0, atol=1e-8)
    np.testing.assert_allclose(prior.coefficient_curvature(c),
                               (prior.coefficient_score(c + h) - prior.coefficient_score(c - h))
                               / (2 * h), rtol=0, atol=1e-8)


def test_bad_input_is_rejected():
    basis = DCTBasis(3)
    with pytest.raises(TypeError, match="OrthonormalBasis"):
        TransformLogisticProduct([1.0, 1.0, 1.0], np.eye(3))
    with pytest.raises(ValueError, match="length"):
        TransformLogisticProduct([1.0, 1.0], basis)
    with pytest.raises(ValueError, match="> 0"):
        TransformLogisticProduct([1.0, 0.0, 1.0], basis)
    with pytest.raises(ValueError, match="exponent"):
        TransformLogisticProduct.power_law(basis, -1.0)
    with pytest.raises(ValueError, match="scale"):
        TransformLogisticProduct.power_law(basis, 1.0, scale=0.0)


def test_derivative_check_detects_a_wrong_derivative():
    # negative control: the score is not the derivative of the curvature (orders swapped)
    prior = TransformLogisticProduct([0.4, 2.0], DCTBasis(2))
    c = np.array([[-3.0, 0.5], [0.2, 7.0]])
    h = 1e-6
    difference = (prior.coefficient_curvature(c + h) - prior.coefficient_curvature(c - h)) / (2 * h)
    assert np.max(np.abs(prior.coefficient_score(c) - difference)) > 1e-2
