"""Diagonal models through a fast transform: agreement with the dense basis, units, gradients."""

import importlib.util
import pathlib

import numpy as np
import pytest

from invlin.gradient_check import central_difference_gradient, loss_of_parameters, taylor_test
from invlin.losses import Loss
from invlin.models import DiagonalLinear, DiagonalNet
from invlin.operators import DCTBasis, binomial_blur_spectrum
from invlin.priors import TransformLogisticProduct
from invlin.problem import TransformDiagonalProblem

_spec = importlib.util.spec_from_file_location("naive", pathlib.Path(__file__).parents[2] / "naive.py")
naive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(naive)

DIM = 7


def transform_problem(dim=DIM, delta=0.2):
    basis = DCTBasis(dim)
    prior = TransformLogisticProduct.power_law(basis, 0.5)
    return TransformDiagonalProblem(basis, binomial_blur_spectrum(dim, 1), delta, prior)


def randomised(model, seed):
    rng = np.random.default_rng(seed)
    model.set_parameters(model.get_parameters() + 0.2 * np.abs(rng.standard_normal(model.n_parameters)))
    return model


def assert_models_agree(a, b, problem, x):
    # same kernel on coefficients computed by transform vs matrix product: rounding ~1e-15
    # relative, amplified at most by the slopes (O(1) here)
    tol = dict(rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(a.forward(x), b.forward(x), **tol)
    np.testing.assert_allclose(a.inverse(x, tol=1e-12), b.inverse(x, tol=1e-12), **tol)
    np.testing.assert_allclose(a.logdet(x), b.logdet(x), **tol)
    np.testing.assert_allclose(a.divergence(x), b.divergence(x), **tol)
    samples = problem.sample(16, np.random.default_rng(5))
    for name, form in (("reconstruction", "z"), ("logdet", "y"), ("divergence", "z"),
                       ("approximation", "y")):
        value_a, grad_a = Loss(name, form).value_and_grad(a, samples, problem)
        value_b, grad_b = Loss(name, form).value_and_grad(b, samples, problem)
        assert value_a == pytest.approx(value_b, rel=1e-11)
        np.testing.assert_allclose(grad_a, grad_b, **tol)


@pytest.mark.parametrize("kind", ["net", "linear"])
def test_transform_basis_agrees_with_the_dense_matrix(kind):
    problem = transform_problem()
    make = (lambda basis: DiagonalNet(basis, n_units=2)) if kind == "net" else \
        (lambda basis: DiagonalLinear(basis, bias=True))
    fast = randomised(make(problem.basis), 1)
    dense = make(problem.basis.matrix())
    dense.set_parameters(fast.get_parameters())
    x = np.random.default_rng(2).standard_normal((5, DIM))
    assert_models_agree(fast, dense, problem, x)
    np.testing.assert_allclose(fast.jacobian(x), dense.jacobian(x), rtol=0, atol=1e-12)


def test_agreement_check_detects_a_different_basis():
    # negative control: the same parameters in the standard basis are a different map
    problem = transform_problem()
    fast = randomised(DiagonalNet(problem.basis, n_units=2), 1)
    other = DiagonalNet(DIM, n_units=2)
    other.set_parameters(fast.get_parameters())
    with pytest.raises(AssertionError):
        assert_models_agree(fast, other, problem, np.random.default_rng(2).standard_normal((5, DIM)))


def scaled_model(problem, seed=3):
    rng = np.random.default_rng(seed)
    r = np.exp(rng.uniform(-2, 1, DIM))
    q = np.exp(rng.uniform(-1, 2, DIM))
    return randomised(DiagonalNet(problem.basis, n_units=2, input_scales=r, output_scales=q),
                      seed), r, q


def test_units_define_f_from_the_normalised_map():
    problem = transform_problem()
    model, r, q = scaled_model(problem)
    x = np.random.default_rng(4).standard_normal((3, DIM))
    t = problem.basis.forward(x)
    table = model.get_parameters().reshape(DIM, -1)
    expected = np.array([[q[j] * naive.scalar_map(table[j], t[i, j] / r[j])[0]
                          for j in range(DIM)] for i in range(3)])
    # the kernel vs the textbook loop on the same numbers: rounding only
    np.testing.assert_allclose(problem.basis.forward(model.forward(x)), expected, rtol=1e-12,
                               atol=1e-12)
    slopes = np.array([[q[j] / r[j] * naive.scalar_map(table[j], t[i, j] / r[j])[1]
                        for j in range(DIM)] for i in range(3)])
    np.testing.assert_allclose(model.logdet(x), np.log(slopes).sum(axis=1), rtol=1e-12)
    u = model.forward(x)
    np.testing.assert_allclose(model.inverse(u, tol=1e-11), x, rtol=0, atol=1e-9)
    values, derivative = model.scalar_map(2, t[:, 2])
    np.testing.assert_allclose(values, expected[:, 2], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(derivative, slopes[:, 2], rtol=1e-12)


@pytest.mark.parametrize("name,form", [("reconstruction", "z"), ("reconstruction", "y"),
                                       ("logdet", "y"), ("logdet", "z"), ("divergence", "z"),
                                       ("approximation", "z")])
def test_gradient_with_units_passes_the_ladder(name, form):
    problem = transform_problem()
    model, _, _ = scaled_model(problem)
    samples = problem.sample(16, np.random.default_rng(6))
    loss = Loss(name, form)
    value, grad = loss.value_and_grad(model, samples, problem)
    f, _, theta = loss_of_parameters(model, loss, samples, problem)
    # central differences at h = 1e-6: truncation ~h^2 |f'''|, rounding ~eps |f| / h ~ 1e-10 |f|
    np.testing.assert_allclose(grad, central_difference_gradient(f, theta), rtol=0,
                               atol=1e-6 * (1.0 + abs(value)))
    result = taylor_test(f, grad, theta, rng=np.random.default_rng(7),
                         steps=2.0 ** -np.arange(4, 14))
    # a right gradient gives remainder orders 1 and 2; a wrong one leaves order 1
    assert abs(result.first_order_rate - 1.0) < 0.2, result
    assert result.second_order_rate > 1.8, result


def test_taylor_ladder_rejects_a_gradient_without_the_units():
    # negative control: dropping the output units q from the gradient breaks second order
    problem = transform_problem()
    model, _, q = scaled_model(problem)
    samples = problem.sample(16, np.random.default_rng(6))
    loss = Loss("divergence", "z")
    f, grad_f, theta = loss_of_parameters(model, loss, samples, problem)
    scale = np.repeat(1.0 / q, model.n_parameters // DIM)

    def wrong(th):
        return grad_f(th) * scale

    result = taylor_test(f, wrong, theta, rng=np.random.default_rng(7),
                         steps=2.0 ** -np.arange(4, 14))
    assert result.second_order_rate < 1.5, result


def test_bad_units_are_rejected():
    with pytest.raises(ValueError, match="input_scales"):
        DiagonalNet(DCTBasis(3), input_scales=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="output_scales"):
        DiagonalNet(DCTBasis(3), output_scales=[1.0, 1.0])
    with pytest.raises(ValueError, match="finite"):
        DiagonalNet(DCTBasis(3), output_scales=[1.0, np.inf, 1.0])
    with pytest.raises(ValueError, match="unit scales"):
        DiagonalNet(DCTBasis(3), lipschitz=0.5, input_scales=[1.0, 2.0, 1.0])


def test_unit_comparison_detects_swapped_units():
    # negative control: input and output units exchanged give another map
    problem = transform_problem()
    model, r, q = scaled_model(problem)
    swapped = DiagonalNet(problem.basis, n_units=2, input_scales=q, output_scales=r)
    swapped.set_parameters(model.get_parameters())
    x = np.random.default_rng(4).standard_normal((3, DIM))
    assert np.max(np.abs(model.forward(x) - swapped.forward(x))) > 1e-2
