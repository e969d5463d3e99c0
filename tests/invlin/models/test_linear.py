"""The Linear model: map, inverse, Jacobian terms, constraints and the objective values."""

import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invlin.errors import InversionError, NotInvertibleError
from invlin.gradient_check import central_difference_gradient
from invlin.inversion import InversionResult
from invlin.models import Linear

_spec = importlib.util.spec_from_file_location("naive", pathlib.Path(__file__).parents[2] / "naive.py")
naive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(naive)


def random_linear(seed, n=3, lipschitz=None):
    rng = np.random.default_rng(seed)
    model = Linear(n, lipschitz=lipschitz)
    model.set_parameters(model.get_parameters() + 0.3 * rng.standard_normal(model.n_parameters))
    model.project()
    return model, rng


@given(st.integers(0, 2**32 - 1), st.sampled_from([None, 0.5]))
def test_forward_matches_the_naive_loops(seed, lipschitz):
    model, rng = random_linear(seed, lipschitz=lipschitz)
    x = rng.standard_normal((6, 3))
    theta = model.get_parameters()
    matrix = theta[:9].reshape(3, 3) + (0 if lipschitz is None else np.eye(3))
    # Same sums in another order: agreement to a few ulp of the entries (|x|, |K| ~ 1).
    np.testing.assert_allclose(model.forward(x), naive.linear_forward(matrix, theta[9:], x),
                               rtol=0, atol=1e-13)


def test_parameter_layout_is_matrix_row_major_then_bias():
    model = Linear(2)
    model.set_parameters([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    np.testing.assert_array_equal(model.matrix, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(model.bias, [5.0, 6.0])
    constrained = Linear(2, lipschitz=0.5)
    constrained.set_parameters([0.1, 0.0, 0.0, 0.2, 5.0, 6.0])
    np.testing.assert_array_equal(constrained.matrix, [[1.1, 0.0], [0.0, 1.2]])


@pytest.mark.parametrize("lipschitz", [None, 0.7])
def test_inverse_round_trip_and_result_record(lipschitz):
    model, rng = random_linear(1, lipschitz=lipschitz)
    x = rng.standard_normal((20, 3))
    u = model.forward(x)
    # Direct solve with a well-conditioned K: backward error ~ eps |K| |x|.
    np.testing.assert_allclose(model.inverse(u), x, rtol=0, atol=1e-12)
    info = model.inverse(u, return_info=True)
    assert isinstance(info, InversionResult)
    assert info.converged.all() and info.residual.max() <= 1e-10
    single = model.inverse(u[0])
    assert single.shape == (3,)


def test_singular_matrix_raises_not_invertible():
    model = Linear(2)
    model.set_parameters([1.0, 2.0, 2.0, 4.0, 0.0, 0.0])
    assert not model.is_invertible()
    with pytest.raises(NotInvertibleError):
        model.inverse(np.ones(2))
    with pytest.raises(NotInvertibleError, match="log det"):
        model.logdet(np.ones(2))


def test_unmet_tolerance_raises_or_is_reported():
    model, rng = random_linear(4)
    u = model.forward(rng.standard_normal((5, 3)))
    # 1e-300 is below the rounding residual (~1e-16, or exactly 0 by luck) of the solve.
    info = model.inverse(u, tol=1e-300, return_info=True)
    np.testing.assert_array_equal(info.converged, info.residual <= 1e-300)
    assert not info.converged.all()
    with pytest.raises(InversionError, match="did not converge"):
        model.inverse(u, tol=1e-300)


@pytest.mark.parametrize("lipschitz", [None, 0.6])
def test_jacobian_logdet_divergence(lipschitz):
    model, rng = random_linear(2, lipschitz=lipschitz)
    x = rng.standard_normal((4, 3))
    jac = model.jacobian(x)
    for i in range(4):
        fd = np.column_stack([
            central_difference_gradient(lambda p, r=r: model.forward(p)[r], x[i]) for r in range(3)
        ]).T
        # central differences of an affine map: rounding only, eps |phi| / h ~ 1e-10.
        np.testing.assert_allclose(jac[i], fd, rtol=0, atol=1e-8)
    if model.is_invertible():
        np.testing.assert_allclose(model.logdet(x), np.linalg.slogdet(jac)[1], rtol=1e-13)
    np.testing.assert_allclose(model.divergence(x), np.trace(jac, axis1=1, axis2=2), rtol=1e-13)


def test_projection_rescales_to_the_spectral_bound():
    model = Linear(3, lipschitz=0.5)
    w = np.diag([2.0, 1.0, -0.5])
    model.set_parameters(np.concatenate([w.ravel(), np.zeros(3)]))
    assert model.lipschitz() == pytest.approx(2.0)
    model.project()
    assert model.lipschitz() == pytest.approx(0.5, rel=1e-14)
    np.testing.assert_allclose(model.matrix - np.eye(3), w / 4.0, rtol=1e-14)
    assert Linear(3).lipschitz() is None


@pytest.mark.parametrize("regulariser", [None, "logdet", "divergence"])
@pytest.mark.parametrize("weighted", [False, True])
def test_objective_values_match_the_naive_loss(regulariser, weighted):
    model, rng = random_linear(3)
    x, target = rng.standard_normal((2, 7, 3))
    b = rng.standard_normal((3, 3))
    metric = b @ b.T + np.eye(3) if weighted else None
    value, _ = model._objective(x, target, metric, regulariser, 0.37)
    expected = naive.objective(model.forward(x), model.jacobian(x), target, metric, regulariser, 0.37)
    np.testing.assert_allclose(value, expected, rtol=1e-13)
    u = rng.standard_normal((7, 3))
    value, _ = model._reconstruction_objective(u, x)
    preimages = np.array([np.linalg.solve(model.matrix, ui - model.bias) for ui in u])
    np.testing.assert_allclose(value, naive.reconstruction(preimages, x), rtol=1e-12)


def test_bad_input_is_rejected_with_named_parameters():
    with pytest.raises(ValueError, match="lipschitz"):
        Linear(2, lipschitz=1.0)
    with pytest.raises(TypeError, match="dim"):
        Linear(2.5)
    model = Linear(2)
    with pytest.raises(ValueError, match="theta"):
        model.set_parameters(np.ones(5))
    with pytest.raises(ValueError, match="theta"):
        model.set_parameters([np.nan] * 6)
    with pytest.raises(ValueError, match="x"):
        model.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match="tol"):
        model.inverse(np.ones(2), tol=-1.0)
