"""function_space_optimum: input validation, the result object, the approximation loss."""

import numpy as np
import pytest

from invlin.priors import Gaussian, Gumbel, LogisticProduct
from invlin.references import FunctionSpaceOptimum, function_space_optimum
from invlin.references._monotone import solve_increasing

PRIOR = Gumbel(0.0, 1.0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"delta": 0.0}, ValueError, "delta"),
        ({"delta": -1.0}, ValueError, "delta"),
        ({"a": 0.0}, ValueError, "a must be"),
        ({"a": np.inf}, ValueError, "a must be"),
        ({"a": "1"}, TypeError, "a must be"),
        ({"loss": "elbo"}, ValueError, "loss"),
        ({"form": "x"}, ValueError, "form"),
        ({"loss": "reconstruction", "form": "z-weighted"}, ValueError, "z-weighted"),
        ({"loss": "approximation", "weight": 1.0}, ValueError, "weight"),
        ({"weight": -1.0}, ValueError, "weight"),
        ({"a": -1.0, "form": "y"}, ValueError, "a > 0"),
        ({"prior": LogisticProduct([1.0, 1.0])}, ValueError, "1-D"),
        ({"prior": "gumbel"}, TypeError, "Prior"),
    ],
)
def test_bad_input_is_rejected(kwargs, error, match):
    arguments = {"prior": PRIOR, "a": 1.0, "delta": 0.5, "loss": "divergence", "form": "z",
                 "weight": None}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        function_space_optimum(**arguments)


def test_points_are_validated():
    ref = function_space_optimum(PRIOR, 1.0, 0.5, "divergence", "z")
    assert isinstance(ref, FunctionSpaceOptimum)
    with pytest.raises(ValueError, match="1-D array"):
        ref.forward(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="finite"):
        ref.inverse([np.nan])
    assert ref.forward([0.5]).shape == (1,)


@pytest.mark.parametrize("form, coefficient", [("y", 1.7), ("z", 1.7**2), ("z-weighted", 1.7**2)])
def test_approximation_is_the_forward_operator(form, coefficient):
    ref = function_space_optimum(PRIOR, 1.7, 0.5, "approximation", form)
    t = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(ref.forward(t), coefficient * t, rtol=1e-15)
    np.testing.assert_allclose(ref.inverse(coefficient * t), t, rtol=1e-15)


def test_z_forms_depend_on_a_squared_only():
    # z = a y: the z-form losses involve a^2 only, so a and -a give the same map (to rounding).
    t = np.linspace(-2, 3, 7)
    for loss in ("divergence", "reconstruction"):
        plus = function_space_optimum(PRIOR, 1.3, 0.5, loss, "z").forward(t)
        minus = function_space_optimum(PRIOR, -1.3, 0.5, loss, "z").forward(t)
        np.testing.assert_allclose(plus, minus, rtol=0, atol=1e-12)


def test_root_search_reaches_rounding_and_reports_the_range():
    # A steep and a flat increasing function: the roots to 4 eps relative.
    targets = np.array([-3.0, 0.0, 0.5, 7.0])
    x = solve_increasing(lambda t: t**3 + 1e-3 * t, targets, np.zeros(4), 1.0)
    np.testing.assert_allclose(x**3 + 1e-3 * x, targets, rtol=1e-13, atol=1e-14)
    with pytest.raises(ValueError, match="above the range"):
        solve_increasing(np.tanh, np.array([2.0]), np.zeros(1), 1.0, lower=-5.0, upper=5.0)


def test_gaussian_divergence_doc_example():
    ref = function_space_optimum(Gaussian([0.0], [[1.0]]), 2.0, 0.5, "divergence", "z")
    assert ref.forward([1.0])[0] == pytest.approx(4.25, abs=1e-15)
