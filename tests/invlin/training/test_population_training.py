"""Population (exact expected loss) training of DiagonalLinear reaches theory.optimal_gain."""

import importlib.util
import pathlib

import numpy as np
import pytest

import theory
from invlin.losses import Loss, population_value_and_grad
from invlin.models import DiagonalLinear
from invlin.training import train
from theory.symbols import c, k

_spec = importlib.util.spec_from_file_location("gain_cases", pathlib.Path(__file__).with_name("_gain_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

SETTINGS = [(name, form, weight, lipschitz)
            for name, form in cases.LOSS_FORMS
            for weight in ([None, 0.2] if name in ("logdet", "divergence") else [None])
            for lipschitz in (None, 0.5)]


@pytest.mark.parametrize("name,form,weight,lipschitz", SETTINGS)
def test_population_training_reaches_the_theoretical_gain(name, form, weight, lipschitz):
    problem = cases.diagonal_problem()
    model = DiagonalLinear(problem.right_singular_vectors, lipschitz=lipschitz)
    result = train(model, problem, name, form=form, weight=weight, population=True,
                   steps=20000, learning_rate=1e-2, tol=1e-12, seed=0)
    expected = cases.predicted_gains(problem, name, form, weight, lipschitz)
    assert result.converged
    # Exact gradients: the projected-gradient norm 1e-12 bounds the gain error by 1e-12 / (loss
    # curvature >= ~0.1), far inside the acceptance bound 1e-6 relative.
    np.testing.assert_allclose(model.gains, expected, rtol=1e-6)
    if lipschitz is not None:
        assert model.lipschitz() <= lipschitz


@pytest.mark.parametrize("name,form,weight", sorted({(n, f, w) for n, f, w, _ in SETTINGS}, key=str))
def test_population_loss_equals_theory_expected_loss(name, form, weight):
    problem = cases.diagonal_problem()
    model = DiagonalLinear(problem.right_singular_vectors)
    gains = np.array([0.8, 1.7, 0.6])
    model.set_parameters(gains)
    value, _ = population_value_and_grad(model, problem, Loss(name, form, weight))
    expr = theory.expected_loss(name, form, k, weight=None if weight is None else c)
    symbols = [k, cases.a, cases.s, cases.delta] + ([c] if weight is not None else [])
    values = [gains, problem.singular_values, cases.component_std(problem), problem.delta]
    expected = np.sum(theory.numeric(expr, *symbols)(*values, *([weight] if weight is not None else [])))
    # Same constants, different arithmetic (matrix moments vs per-component formula): ~1e-14.
    assert value == pytest.approx(expected, rel=1e-12)
