"""Population (exact expected loss) training of DiagonalLinear reaches theory.optimal_gain."""

import importlib.util
import pathlib

import numpy as np
import pytest
import sympy as sp

import theory
from invlin.losses import Loss, population_value_and_grad
from invlin.losses.population import AffinePopulation
from invlin.models import DiagonalLinear
from invlin.priors import Gaussian
from invlin.problem import LinearInverseProblem
from invlin.errors import NotInvertibleError
from invlin.progress import ProgressBar
from invlin.training import train
from invlin.training.newton import minimise_newton
from theory.symbols import c, k

_spec = importlib.util.spec_from_file_location("gain_cases", pathlib.Path(__file__).with_name("_gain_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

SETTINGS = [(name, form, weight, lipschitz)
            for name, form in cases.LOSS_FORMS
            for weight in ([None, 0.2] if name in ("logdet", "divergence") else [None])
            for lipschitz in (None, 0.5)]


@pytest.mark.parametrize("optimizer", ["adam", "newton"])
@pytest.mark.parametrize("name,form,weight,lipschitz", SETTINGS)
def test_population_training_reaches_the_theoretical_gain(name, form, weight, lipschitz,
                                                          optimizer):
    problem = cases.diagonal_problem()
    model = DiagonalLinear(problem.right_singular_vectors, lipschitz=lipschitz)
    result = train(model, problem, name, form=form, weight=weight, population=True,
                   steps=20000 if optimizer == "adam" else 100, learning_rate=1e-2, tol=1e-12,
                   seed=0, optimizer=optimizer)
    expected = cases.predicted_gains(problem, name, form, weight, lipschitz)
    assert result.converged
    # Exact gradients: the projected-gradient norm 1e-12 bounds the gain error by 1e-12 / (loss
    # curvature >= ~0.1), far inside the acceptance bound 1e-6 relative.
    np.testing.assert_allclose(model.gains, expected, rtol=1e-6)
    if lipschitz is not None:
        assert model.lipschitz() <= lipschitz


GAINS = np.array([0.8, 1.7, 0.6])


def _model_at_gains():
    """The test problem and a DiagonalLinear in its basis with gains GAINS."""
    problem = cases.diagonal_problem()
    model = DiagonalLinear(problem.right_singular_vectors)
    model.set_parameters(GAINS)
    return problem, model


def _per_component(expr, problem, weight):
    """A SymPy expression in k, a, s, delta (and c) at GAINS, one value per component."""
    symbols = [k, cases.a, cases.s, cases.delta] + ([c] if weight is not None else [])
    values = [GAINS, problem.singular_values, cases.component_std(problem), problem.delta]
    values += [weight] if weight is not None else []
    return np.broadcast_to(theory.numeric(expr, *symbols)(*values), (problem.dim,))


@pytest.mark.parametrize("name,form,weight", sorted({(n, f, w) for n, f, w, _ in SETTINGS}, key=str))
def test_population_loss_equals_theory_expected_loss(name, form, weight):
    problem, model = _model_at_gains()
    value, _ = population_value_and_grad(model, problem, Loss(name, form, weight))
    expr = theory.expected_loss(name, form, k, weight=None if weight is None else c)
    expected = np.sum(_per_component(expr, problem, weight))
    # Same constants, different arithmetic (matrix moments vs per-component formula): ~1e-14.
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name,form,weight", sorted({(n, f, w) for n, f, w, _ in SETTINGS}, key=str))
def test_affine_hessian_is_theory_second_derivative(name, form, weight):
    # The problem decouples along the basis, so the Hessian in the gains is diagonal with
    # entries d^2/dk^2 of theory's per-component expected loss (SymPy, independent of the
    # closed form's matrix arithmetic).
    problem, model = _model_at_gains()
    hessian = AffinePopulation(model, problem, Loss(name, form, weight)).hessian()
    expr = sp.diff(theory.expected_loss(name, form, k, weight=None if weight is None else c), k, 2)
    expected = _per_component(expr, problem, weight)
    np.testing.assert_array_equal(model.gains, GAINS)  # left where it was
    # central differences with h = 1e-4 max(1, |k|): truncation h^2 |4th derivative| / 6, below
    # ~1e-7 at these gains; rounding eps |grad| / h ~ 1e-12
    np.testing.assert_allclose(np.diag(hessian), expected, rtol=1e-6)
    np.testing.assert_allclose(hessian - np.diag(np.diag(hessian)), 0.0, atol=1e-8)


def _small_problem(delta):
    return LinearInverseProblem.diagonal([1.5, 0.6], delta, Gaussian(np.zeros(2), 0.64 * np.eye(2)))


def test_newton_reaches_the_gradient_floor_of_small_noise():
    # delta = 0.01: near the optimum the reconstruction loss's promised decrease (~1e-24) is far
    # below the rounding of its value (~1e-19); the line search must accept rounding-level
    # steps that decrease the gradient, or Newton stalls at |grad| ~ 2e-12.
    problem = _small_problem(0.01)
    model = DiagonalLinear(2)
    result = train(model, problem, "reconstruction", population=True, optimizer="newton",
                   steps=100, tol=1e-14, seed=0)
    assert result.converged and result.final_gradient_norm <= 1e-14
    # the z-form PM gain a^2 + delta^2 / s^2 (theory.pm_gain); curvature >= 0.25, so the gain
    # error is <= 4e-14 (+ rounding)
    np.testing.assert_allclose(model.gains, np.array([1.5, 0.6]) ** 2 + 0.01**2 / 0.64,
                               rtol=1e-12)


class _HalfLine:
    """A one-parameter stand-in model on the box [0, inf) (parameters only)."""

    def __init__(self, theta):
        self.theta = np.array([theta])

    def parameter_bounds(self):
        return np.array([0.0]), np.array([np.inf])

    def get_parameters(self):
        return self.theta.copy()

    def set_parameters(self, theta):
        self.theta = np.array(theta, dtype=float)


def test_newton_rejects_trial_points_outside_the_domain():
    # f(t) = sqrt(1 + (t - 1)^2), defined for t > 0 only: from t = 3 the Newton step is
    # -f'/f'' = -(t - 1)(1 + (t - 1)^2) = -10, clipped onto t = 0 where f is undefined; the
    # line search must halve the step (to t = 0.5), not raise, and converge to t = 1.
    model = _HalfLine(3.0)

    def objective():
        t = model.theta[0]
        if t <= 0.0:
            raise NotInvertibleError("outside the domain")
        root = np.sqrt(1.0 + (t - 1.0) ** 2)
        return root, np.array([(t - 1.0) / root])

    def hessian():
        return np.array([[(1.0 + (model.theta[0] - 1.0) ** 2) ** -1.5]])

    losses, norms, converged = minimise_newton(
        model, objective, hessian, steps=50, tol=1e-14, bar=ProgressBar(50, "", enabled=False),
        projected_norm=lambda theta, grad: float(abs(grad[0])))
    assert converged
    assert model.theta[0] == pytest.approx(1.0, abs=1e-14)  # |f'(t)| = |t - 1| near 1
    assert losses[1] < losses[0]
