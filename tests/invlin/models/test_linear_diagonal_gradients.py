"""Gradient ladder of Linear, DiagonalLinear and DiagonalNet for every loss and form.

Rungs: (1) SymPy gradients of the symbolic loss (Linear, DiagonalLinear, small size); (2) central
differences; (3) Taylor remainders of order ~1 and ~2. The same tests run with
NUMBA_DISABLE_JIT=1, i.e. with the kernels as plain Python.
"""

import numpy as np
import pytest
import sympy as sp

from invlin.gradient_check import (central_difference_gradient, loss_of_parameters,
                                   taylor_test)
from invlin.losses import Loss
from invlin.models import DiagonalLinear, DiagonalNet, Linear
from invlin.priors import Gaussian
from invlin.problem import LinearInverseProblem

CASES = [(name, form) for name in ("approximation", "reconstruction", "logdet", "divergence")
         for form in ("y", "z", "z-weighted") if (name, form) != ("reconstruction", "z-weighted")]


def make_problem(n=3, seed=0):
    """Symmetric positive definite A = Q diag(sigma) Q^T (so the y-form suits diagonal models)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    sigma = np.linspace(1.8, 0.6, n)
    prior = Gaussian(0.3 * rng.standard_normal(n), (q * np.linspace(0.5, 1.5, n)) @ q.T)
    return LinearInverseProblem.diagonal(sigma, 0.4, prior, basis=q), rng


def perturbed(model, rng, scale=0.2, positive=False):
    step = scale * rng.standard_normal(model.n_parameters)
    model.set_parameters(model.get_parameters() + (np.abs(step) if positive else step))
    model.project()
    return model


def model_factories(problem):
    basis = problem.right_singular_vectors
    return {
        "linear": lambda rng: perturbed(Linear(problem.dim), rng),
        "linear-lipschitz": lambda rng: perturbed(Linear(problem.dim, lipschitz=0.9), rng),
        "diagonal-linear": lambda rng: perturbed(DiagonalLinear(basis, bias=True), rng),
        "diagonal-linear-lipschitz": lambda rng: perturbed(DiagonalLinear(basis, lipschitz=0.9), rng, 0.05),
        # positive steps keep w, gamma strictly inside their constraints (differentiable there)
        "diagonal-net": lambda rng: perturbed(DiagonalNet(basis, n_units=2), rng, positive=True),
        "diagonal-net-lipschitz": lambda rng: perturbed(DiagonalNet(basis, n_units=2, lipschitz=0.9),
                                                        rng, 0.05, positive=True),
    }


MODEL_KINDS = sorted(model_factories(make_problem()[0]))


@pytest.mark.parametrize("kind", MODEL_KINDS)
@pytest.mark.parametrize("name,form", CASES)
def test_gradient_matches_central_differences_and_taylor_orders(kind, name, form):
    problem, rng = make_problem()
    model = model_factories(problem)[kind](rng)
    samples = problem.sample(16, rng)
    loss = Loss(name, form)
    value, grad = loss.value_and_grad(model, samples, problem)
    f, _, theta = loss_of_parameters(model, loss, samples, problem)
    approx = central_difference_gradient(f, theta)
    # Central differences, h = 1e-6: truncation h^2 |f'''| / 6 ~ 1e-11 and rounding
    # eps |f| / h ~ 2e-10 |f|; 1e-7 (1 + |f|) leaves a wide margin and still catches any slip.
    np.testing.assert_allclose(grad, approx, rtol=0, atol=1e-7 * (1.0 + abs(value)))
    result = taylor_test(f, grad, theta, rng=rng, steps=2.0 ** -np.arange(4, 14))
    # A right gradient gives orders 1 and 2 (up to curvature of the log-log line); a wrong one
    # leaves the second remainder at order 1.
    assert abs(result.first_order_rate - 1.0) < 0.2, result
    assert result.second_order_rate > 1.8, result


# -- rung 1: SymPy ------------------------------------------------------------------------------
def symbolic_loss(problem, samples, loss, matrix, bias):
    """The loss of phi(x) = K x + b as a SymPy expression in the entries of K and b."""
    n = problem.dim
    x = sp.Matrix(samples.x)
    target = sp.Matrix(samples.y if loss.form == "y" else samples.z)
    n_samples = samples.x.shape[0]
    if loss.name == "reconstruction":
        inverse = matrix.inv()
        total = sum(((inverse * (target[i, :].T - bias) - x[i, :].T).norm() ** 2
                     for i in range(n_samples)), sp.Integer(0))
        return total / n_samples
    metric = sp.eye(n) if loss.form != "z-weighted" else sp.Matrix(problem.normal_operator_inverse())
    total = sp.Integer(0)
    for i in range(n_samples):
        r = matrix * x[i, :].T + bias - target[i, :].T
        total += (r.T * metric * r)[0, 0]
    value = total / n_samples
    c = loss.resolved_weight(problem)
    if loss.name == "logdet":
        value -= c * sp.log(matrix.det())
    elif loss.name == "divergence":
        value -= c * matrix.trace()
    return value


@pytest.mark.parametrize("kind", ["linear", "linear-lipschitz", "diagonal-linear"])
@pytest.mark.parametrize("name,form", CASES)
def test_gradient_matches_sympy(kind, name, form):
    problem, rng = make_problem(n=2, seed=3)
    model = model_factories(problem)[kind](rng)
    samples = problem.sample(4, rng)
    loss = Loss(name, form)
    theta = model.get_parameters()
    symbols = sp.symbols(f"p0:{model.n_parameters}", real=True)
    n = problem.dim
    if kind.startswith("linear"):
        matrix = sp.Matrix(n, n, symbols[: n * n])
        if kind == "linear-lipschitz":
            matrix += sp.eye(n)
        bias = sp.Matrix(symbols[n * n :])
    else:
        v = sp.Matrix(problem.right_singular_vectors)
        matrix = v * sp.diag(*symbols[:n]) * v.T
        bias = v * sp.Matrix(symbols[n:])
    expr = symbolic_loss(problem, samples, loss, matrix, bias)
    point = dict(zip(symbols, theta))
    expected = np.array([float(sp.diff(expr, p).evalf(subs=point)) for p in symbols])
    value, grad = loss.value_and_grad(model, samples, problem)
    assert value == pytest.approx(float(expr.evalf(subs=point)), rel=1e-12)
    # Two evaluations of the same exact formula in floating point: agreement to ~1e-12 relative.
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-10 * np.max(np.abs(expected)))
