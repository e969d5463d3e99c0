"""TransformDiagonalProblem against the dense LinearInverseProblem at small d."""

import numpy as np
import pytest

from invlin.errors import NotInjectiveError
from invlin.losses import Loss
from invlin.models import DiagonalNet
from invlin.operators import DCTBasis, binomial_blur_spectrum
from invlin.priors import Gaussian, LogisticProduct, TransformLogisticProduct
from invlin.problem import LinearInverseProblem, TransformDiagonalProblem


def pair(dim=6, delta=0.3):
    basis = DCTBasis(dim)
    prior = TransformLogisticProduct.power_law(basis, 0.5)
    fast = TransformDiagonalProblem(basis, binomial_blur_spectrum(dim, 1), delta, prior)
    dense = LinearInverseProblem(fast.dense_operator(), delta,
                                 LogisticProduct(prior.scales, basis.matrix()))
    return fast, dense


def assert_same_samples(a, b):
    # same random stream, same arithmetic up to the order of operations (transform vs matrix
    # product): rounding of O(n) terms of size O(1), ~1e-15
    for name in ("x", "y", "z"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-12)


def test_sampling_agrees_with_the_dense_problem():
    fast, dense = pair()
    assert_same_samples(fast.sample(50, np.random.default_rng(7)),
                        dense.sample(50, np.random.default_rng(7)))


def test_sampling_comparison_detects_a_wrong_noise_level():
    # negative control: a dense problem with another delta draws the same x but another y
    fast, _ = pair()
    _, dense = pair(delta=0.31)
    with pytest.raises(AssertionError):
        assert_same_samples(fast.sample(50, np.random.default_rng(7)),
                            dense.sample(50, np.random.default_rng(7)))


def test_apply_is_the_dense_operator():
    fast, dense = pair(9)
    x = np.random.default_rng(0).standard_normal((4, 9))
    np.testing.assert_allclose(fast.apply(x), x @ dense.A.T, rtol=0, atol=1e-13)
    assert fast.m == fast.dim == 9 and fast.is_injective
    np.testing.assert_allclose(np.sort(fast.singular_values)[::-1], dense.singular_values,
                               rtol=0, atol=1e-13)


def test_loss_on_a_transform_problem_never_needs_the_dense_metric():
    fast, _ = pair()
    model = DiagonalNet(fast.basis, n_units=1)
    samples = fast.sample(8, np.random.default_rng(0))
    for form in ("y", "z"):
        value, grad = Loss("logdet", form).value_and_grad(model, samples, fast)
        assert np.isfinite(value) and np.all(np.isfinite(grad))
    with pytest.raises(NotImplementedError, match="z-weighted"):
        Loss("logdet", "z-weighted").value_and_grad(model, samples, fast)


def test_bad_input_is_rejected():
    basis = DCTBasis(3)
    prior = TransformLogisticProduct([1.0, 1.0, 1.0], basis)
    with pytest.raises(TypeError, match="OrthonormalBasis"):
        TransformDiagonalProblem(np.eye(3), [1, 1, 1], 0.1, prior)
    with pytest.raises(ValueError, match="length"):
        TransformDiagonalProblem(basis, [1, 1], 0.1, prior)
    with pytest.raises(ValueError, match=">= 0"):
        TransformDiagonalProblem(basis, [1, -1, 1], 0.1, prior)
    with pytest.raises(ValueError, match="delta"):
        TransformDiagonalProblem(basis, [1, 1, 1], 0.0, prior)
    with pytest.raises(ValueError, match="finite"):
        TransformDiagonalProblem(basis, [1, np.nan, 1], 0.1, prior)
    with pytest.raises(ValueError, match="prior.dim"):
        TransformDiagonalProblem(basis, [1, 1, 1], 0.1, Gaussian(np.zeros(2), np.eye(2)))
    with pytest.raises(NotInjectiveError):
        TransformDiagonalProblem(basis, [1, 0, 1], 0.1, prior).require_injective()
    with pytest.raises(TypeError, match="Generator"):
        TransformDiagonalProblem(basis, [1, 1, 1], 0.1, prior).sample(2, 0)


def test_operator_comparison_detects_another_blur():
    # negative control: the radius-2 blur is another operator than the radius-1 blur
    fast, _ = pair(9)
    other = TransformDiagonalProblem(fast.basis, binomial_blur_spectrum(9, 2), fast.delta,
                                     fast.prior)
    x = np.random.default_rng(0).standard_normal((4, 9))
    assert np.max(np.abs(fast.apply(x) - other.apply(x))) > 1e-2


def test_dense_only_code_fails_with_a_clear_error():
    from invlin.estimators import map_estimate

    fast, _ = pair()
    y = fast.sample(2, np.random.default_rng(0)).y
    with pytest.raises(NotImplementedError, match="componentwise_map"):
        map_estimate(fast, y)
