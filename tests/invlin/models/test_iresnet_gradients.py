"""Gradient ladder of the IResNet training objectives: central differences and Taylor remainders.

Every loss (approximation, reconstruction, logdet, divergence) in every form (y, z, z-weighted)
on the bimodal toy problem, for both activations. The networks are small so that the same tests
run with NUMBA_DISABLE_JIT=1 (the kernels as plain Python) in reasonable time.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

from invlin.gradient_check import (central_difference_gradient, loss_of_parameters,
                                   taylor_test)
from invlin.losses import FORMS, LOSSES, Loss
from invlin.models.iresnet import IResNet

_spec = importlib.util.spec_from_file_location(
    "iresnet_cases", pathlib.Path(__file__).with_name("_iresnet_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


# every loss x form the loss layer defines (reconstruction has no z-weighted form)
LOSS_FORMS = [(name, form) for name in LOSSES for form in FORMS
              if not (name == "reconstruction" and form == "z-weighted")]


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
@pytest.mark.parametrize(("name", "form"), LOSS_FORMS)
def test_gradient_matches_central_differences(name, form, activation):
    problem = cases.bimodal_problem()
    samples = problem.sample(6, np.random.default_rng(11))
    model = cases.small_iresnet(activation)
    # a non-default weight so that the regulariser is not negligible next to the data term
    loss = Loss(name, form=form, weight=0.7 if name in ("logdet", "divergence") else None)
    f, grad, theta = loss_of_parameters(model, loss, samples, problem)
    exact = grad(theta)
    approx = central_difference_gradient(f, theta, h=1e-6)
    # central differences with h = 1e-6 on an O(1) objective: truncation h^2 |f'''| / 6 ~ 1e-12
    # plus rounding eps |f| / h ~ 2e-10 per entry; 1e-8 leaves a factor 50.
    scale = max(1.0, np.max(np.abs(exact)))
    np.testing.assert_allclose(exact, approx, rtol=0, atol=1e-8 * scale)


@pytest.mark.parametrize(("name", "form"), LOSS_FORMS)
def test_taylor_remainder_orders(name, form):
    problem = cases.bimodal_problem()
    samples = problem.sample(6, np.random.default_rng(12))
    model = cases.small_iresnet("tanh", seed=5)
    loss = Loss(name, form=form, weight=0.7 if name in ("logdet", "divergence") else None)
    f, grad, theta = loss_of_parameters(model, loss, samples, problem)
    result = taylor_test(f, grad, theta, rng=np.random.default_rng(13),
                         steps=0.1 * 2.0 ** -np.arange(0, 10))
    # first-order remainder O(h), second-order O(h^2) exactly when the gradient is right; a
    # wrong gradient leaves the second remainder at order 1. 0.15 allows curvature changes
    # over the step range.
    assert abs(result.first_order_rate - 1.0) < 0.15, result
    assert abs(result.second_order_rate - 2.0) < 0.15, result


def test_wrong_gradient_fails_the_taylor_test():
    # the ladder can fail: a gradient with one entry perturbed is caught at order h
    problem = cases.bimodal_problem()
    samples = problem.sample(6, np.random.default_rng(12))
    model = cases.small_iresnet("tanh", seed=5)
    f, grad, theta = loss_of_parameters(model, Loss("divergence", form="z", weight=0.7), samples,
                                        problem)
    wrong = grad(theta)
    wrong[0] += 0.1
    result = taylor_test(f, wrong, theta, direction=np.eye(theta.size)[0],
                         steps=0.1 * 2.0 ** -np.arange(0, 10))
    assert result.second_order_rate < 1.2


def test_metric_weights_the_data_term():
    # z-weighted with M = I equals the unweighted objective, M = 2 I doubles the data term
    model = cases.small_iresnet()
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    v0, g0 = model._objective(x, t, None, None, 0.0)
    v1, g1 = model._objective(x, t, np.eye(2), None, 0.0)
    v2, g2 = model._objective(x, t, 2.0 * np.eye(2), None, 0.0)
    direct = np.mean(np.sum((model.forward(x) - t) ** 2, axis=1))
    # all are sums of a few O(1) terms: agreement to a few ulp
    np.testing.assert_allclose([v0, v1, v2], [direct, direct, 2 * direct], rtol=1e-14)
    np.testing.assert_allclose(g1, g0, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(g2, 2 * g0, rtol=1e-14, atol=1e-15)


def test_regularised_value_matches_the_public_methods():
    model = cases.small_iresnet(blocks=3)
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    data = np.mean(np.sum((model.forward(x) - t) ** 2, axis=1))
    for reg, values in (("logdet", model.logdet(x)), ("divergence", model.divergence(x))):
        value, _ = model._objective(x, t, None, reg, 0.3)
        # same arithmetic up to summation order: a few ulp of O(1)
        assert value == pytest.approx(data - 0.3 * np.mean(values), rel=1e-13)


def test_objective_rejects_bad_input():
    model = cases.small_iresnet()
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="regulariser"):
        model._objective(x, x, None, "trace", 1.0)
    with pytest.raises(ValueError, match="metric"):
        model._objective(x, x, np.eye(3), None, 1.0)
    with pytest.raises(ValueError, match="target"):
        model._objective(x, np.zeros((4, 2)), None, None, 1.0)
    with pytest.raises(ValueError, match="x must have the shape of u"):
        model._reconstruction_objective(x, np.zeros((4, 2)))


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
@pytest.mark.parametrize("regulariser", [None, "logdet", "divergence"])
def test_objective_gradient_in_dimension_three(regulariser, activation):
    # the objective kernel loops over the dimension generically; the losses above are 2-D, so
    # check a 3-D network (with a metric) directly against central differences
    model = IResNet(3, 2, 4, lipschitz=0.8, activation=activation, rng=21)
    rng = np.random.default_rng(22)
    x, t = rng.standard_normal((7, 3)), rng.standard_normal((7, 3))
    metric = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])
    theta0 = model.get_parameters()

    def value_and_grad(theta):
        model.set_parameters(theta)
        try:
            return model._objective(x, t, metric, regulariser, 0.7)
        finally:
            model.set_parameters(theta0)

    exact = value_and_grad(theta0)[1]
    approx = central_difference_gradient(lambda th: value_and_grad(th)[0], theta0, h=1e-6)
    # as in test_gradient_matches_central_differences: truncation ~1e-12 plus rounding
    # eps |f| / h ~ 2e-10 per entry; 1e-8 leaves a factor 50
    scale = max(1.0, np.max(np.abs(exact)))
    np.testing.assert_allclose(exact, approx, rtol=0, atol=1e-8 * scale)


def _embedded_in_three_dimensions(model2):
    """A 3-D network that acts as ``model2`` on the first two coordinates and as the identity
    on the third (zero third column of W1, zero third row of W2, zero third entry of b2), and
    the indices of ``model2``'s parameters in the 3-D flat layout."""
    B, m = model2.blocks, model2.width
    model3 = IResNet(3, B, m, lipschitz=model2.lipschitz_bound, activation=model2.activation,
                     rng=0)
    W1, b1, W2, b2 = (np.array(v) for v in model2._views(model2.get_parameters()))
    theta3 = np.zeros(model3.n_parameters)
    index3 = np.arange(model3.n_parameters)
    V1, c1, V2, c2 = model3._views(theta3)
    I1, j1, I2, j2 = model3._views(index3)
    V1[:, :, :2], c1[...], V2[:, :2, :], c2[:, :2] = W1, b1, W2, b2
    model3.set_parameters(theta3)
    embedded = np.concatenate([I1[:, :, :2].ravel(), j1.ravel(), I2[:, :2, :].ravel(),
                               j2[:, :2].ravel()])
    return model3, embedded


@pytest.mark.parametrize("activation", ["tanh", "softplus", "softclip"])
@pytest.mark.parametrize("regulariser", [None, "logdet", "divergence"])
def test_two_dimensional_loops_agree_with_the_general_ones(regulariser, activation):
    # the objective kernel writes out the loops over the samples for n = 2; the same network
    # embedded in 3-D (identity on the third coordinate) runs the general loops
    model2 = IResNet(2, 3, 8, lipschitz=0.8, activation=activation, rng=31)
    model3, embedded = _embedded_in_three_dimensions(model2)
    rng = np.random.default_rng(32)
    x2, t2 = rng.standard_normal((300, 2)), rng.standard_normal((300, 2))
    z = rng.standard_normal((300, 1))
    x3, t3 = np.hstack([x2, z]), np.hstack([t2, z])  # no residual in the third coordinate
    c = 0.7
    value2, grad2 = model2._objective(x2, t2, None, regulariser, c)
    value3, grad3 = model3._objective(x3, t3, None, regulariser, c)
    # the third coordinate adds 1 to every divergence and 0 to every log-det
    shift = c if regulariser == "divergence" else 0.0
    # the two sum the same terms in other orders (reassociated sums over 300 samples and the
    # hidden units): rounding of order 300 eps relative to the sums' magnitudes; 1e-12 bounds it
    np.testing.assert_allclose(value3, value2 - shift, rtol=1e-12)
    scale = np.max(np.abs(grad2))
    np.testing.assert_allclose(grad3[embedded], grad2, rtol=0, atol=1e-12 * scale)
    # negative control: a network that differs in one weight by 1e-6 is told apart
    theta = model2.get_parameters()
    theta[5] *= 1.0 + 1e-6
    model2.set_parameters(theta)
    _, other = model2._objective(x2, t2, None, regulariser, c)
    assert np.max(np.abs(other - grad3[embedded])) > 1e-12 * scale
