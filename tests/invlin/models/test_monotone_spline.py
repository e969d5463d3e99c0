"""MonotoneSpline: kernels against naive quadrature, exact inverse, gradients, constraints."""

import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invlin import LinearInverseProblem, Loss
from invlin.errors import NotInvertibleError
from invlin.gradient_check import central_difference_gradient, loss_of_parameters, taylor_test
from invlin.models import MonotoneSpline
from invlin.priors import GaussianMixture

_spec = importlib.util.spec_from_file_location("naive", pathlib.Path(__file__).parents[2] / "naive.py")
naive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(naive)


def random_spline(seed, n=1, n_knots=9, lipschitz=None):
    """A spline with random knots and random slopes strictly inside its box."""
    rng = np.random.default_rng(seed)
    knots = np.sort(rng.uniform(-3.0, 3.0, (n, n_knots)), axis=1)
    basis = np.linalg.qr(rng.standard_normal((n, n)))[0] if n > 1 else 1
    model = MonotoneSpline(knots, basis=basis, lipschitz=lipschitz)
    table = np.column_stack([rng.standard_normal(n),
                             rng.uniform(0.25, 1.75 if lipschitz else 3.0, (n, n_knots))])
    model.set_parameters(table.ravel())
    return model, rng


@given(st.integers(0, 2**32 - 1))
def test_values_and_slopes_match_naive_quadrature(seed):
    model, rng = random_spline(seed)
    t = np.concatenate([rng.uniform(-5.0, 5.0, 6), model.knots[0, [0, 3, -1]]])
    values, slopes = model.scalar_map(0, t)
    row = model.get_parameters()
    expected = np.array([naive.spline_map(model.knots[0], row, ti) for ti in t])
    # quad integrates the piecewise-linear slope to 1e-13; values are O(10): 1e-11 absolute.
    np.testing.assert_allclose(values, expected[:, 0], rtol=0, atol=1e-11)
    np.testing.assert_allclose(slopes, expected[:, 1], rtol=0, atol=1e-14)


def test_a_wrong_naive_reference_is_detected():
    """Negative control of the comparison above: shifting one knot slope changes the values."""
    model, rng = random_spline(3)
    row = model.get_parameters()
    wrong = row.copy()
    wrong[-2] += 1e-3  # s_{K-1}: enters the integral from the anchor knot K // 2 to t
    t = model.knots[0, -1] + 1.0
    learned = model.scalar_map(0, [t])[0][0]
    assert abs(learned - naive.spline_map(model.knots[0], wrong, t)[0]) > 1e-6


@pytest.mark.parametrize("n", [1, 3])
def test_inverse_is_exact(n):
    model, rng = random_spline(7, n=n)
    x = 4.0 * rng.standard_normal((200, n))
    info = model.inverse(model.forward(x), tol=1e-12, return_info=True)
    assert info.converged.all()
    # Closed-form roots: only rounding, |x| <= ~15 and slopes >= 0.25: 1e-12 absolute.
    np.testing.assert_allclose(info.x, x, rtol=0, atol=1e-12)


def test_jacobian_terms_of_a_rotated_spline():
    model, rng = random_spline(11, n=3)
    x = rng.standard_normal((5, 3))
    jac = model.jacobian(x)
    eps = 1e-6
    # Central differences of a piecewise quadratic: error O(eps^2 |f'''|) = 0 inside a piece,
    # O(eps) only if a knot lies within eps (probability ~1e-5 here); rounding 1e-16/eps.
    numeric = np.stack([(model.forward(x + eps * e) - model.forward(x - eps * e)) / (2 * eps)
                        for e in np.eye(3)], axis=2)
    np.testing.assert_allclose(jac, numeric, rtol=0, atol=1e-8)
    np.testing.assert_allclose(model.logdet(x), np.linalg.slogdet(jac)[1], atol=1e-12)
    np.testing.assert_allclose(model.divergence(x), np.trace(jac, axis1=1, axis2=2), atol=1e-12)


def test_backward_kernel_matches_central_differences():
    model, rng = random_spline(13, n=2)
    t = 3.0 * rng.standard_normal((40, 2))
    g_value, g_slope = rng.standard_normal((2, 40, 2))
    theta = model.get_parameters()

    def f(p):
        model.set_parameters(p)
        values, slopes = model._maps(t)
        return float(np.sum(g_value * values + g_slope * slopes))

    grad = model._maps_backward(t, g_value, g_slope)
    # f is linear in the parameters: central differences are exact up to rounding
    # eps |f| / h ~ 1e-16 * 100 / 1e-6 = 1e-8.
    np.testing.assert_allclose(central_difference_gradient(f, theta), grad, rtol=0, atol=1e-7)
    model.set_parameters(theta)
    design, _ = model._design(t[:, 0], 0)
    np.testing.assert_allclose(design @ theta[: design.shape[1]], model._maps(t)[0][:, 0],
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("name,form", [("approximation", "z"), ("reconstruction", "y"),
                                       ("reconstruction", "z"), ("logdet", "z-weighted"),
                                       ("divergence", "y")])
def test_sample_losses_pass_the_taylor_test(name, form):
    prior = GaussianMixture([0.6, 0.4], [[-1.0], [1.0]], [[[0.3]], [[0.5]]])
    problem = LinearInverseProblem(np.array([[1.4]]), 0.3, prior)
    model, rng = random_spline(17)
    samples = problem.sample(64, rng)
    f, grad, theta = loss_of_parameters(model, Loss(name, form=form), samples, problem)
    result = taylor_test(f, grad, theta, rng=rng)
    assert result.passed()
    wrong = lambda th: 1.2 * grad(th)  # noqa: E731  negative control: a 20% wrong gradient
    assert not taylor_test(f, wrong, theta, rng=np.random.default_rng(1)).passed()


def test_constraints_are_a_box():
    model, _ = random_spline(19, lipschitz=0.5)
    theta = model.get_parameters()
    theta[1:] = np.linspace(-1.0, 3.0, theta.size - 1)
    model.set_parameters(theta)
    model.project()
    slopes = model.get_parameters()[1:]
    assert slopes.min() == 0.5 and slopes.max() == 1.5
    assert model.lipschitz() == 0.5 and model.is_invertible()
    lower, upper = model.parameter_bounds()
    assert np.isneginf(lower[0]) and np.all(lower[1:] == 0.5) and np.all(upper[1:] == 1.5)


def test_invalid_input():
    with pytest.raises(ValueError, match="strictly increasing"):
        MonotoneSpline([0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="at least 2"):
        MonotoneSpline([0.0])
    with pytest.raises(ValueError, match="rows"):
        MonotoneSpline(np.zeros((2, 3)) + np.arange(3), basis=3)
    model = MonotoneSpline([0.0, 1.0])
    model.set_parameters([0.0, 1.0, -1.0])
    assert not model.is_invertible()
    with pytest.raises(NotInvertibleError):
        model.inverse(np.zeros((1, 1)))
