"""DiagonalLinear and DiagonalNet: maps, inverses, Jacobian terms, constraints, objective values."""

import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invlin.errors import InversionError, NotInvertibleError
from invlin.models import DiagonalLinear, DiagonalNet

_spec = importlib.util.spec_from_file_location("naive", pathlib.Path(__file__).parents[2] / "naive.py")
naive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(naive)


def random_basis(rng, n):
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return q


def random_net(seed, n=3, n_units=2, lipschitz=None):
    """A DiagonalNet with random parameters strictly inside its constraints."""
    rng = np.random.default_rng(seed)
    model = DiagonalNet(random_basis(rng, n), n_units=n_units, lipschitz=lipschitz)
    theta = model.get_parameters() + 0.3 * np.abs(rng.standard_normal(model.n_parameters))
    model.set_parameters(theta)
    model.project()
    return model, rng


def table_of(model):
    if isinstance(model, DiagonalNet):
        return model.get_parameters().reshape(model.dim, -1)
    offset = model.get_parameters()[model.dim :] if model.has_bias else np.zeros(model.dim)
    return np.column_stack([model.gains, offset])


def random_diagonal_linear(seed, n=3, bias=True, lipschitz=None):
    rng = np.random.default_rng(seed)
    model = DiagonalLinear(random_basis(rng, n), bias=bias, lipschitz=lipschitz)
    model.set_parameters(np.concatenate([rng.uniform(0.3, 2.0, n), rng.standard_normal(n)])[: model.n_parameters])
    return model, rng


MODELS = {
    "diagonal-linear": lambda seed: random_diagonal_linear(seed),
    "diagonal-linear-lipschitz": lambda seed: random_diagonal_linear(seed, bias=False, lipschitz=0.9),
    "diagonal-net": lambda seed: random_net(seed),
    "diagonal-net-lipschitz": lambda seed: random_net(seed, lipschitz=0.8),
}


@given(st.integers(0, 2**32 - 1), st.sampled_from(sorted(MODELS)))
def test_forward_and_jacobian_match_the_naive_loops(seed, kind):
    model, rng = MODELS[kind](seed)
    x = 2.0 * rng.standard_normal((5, model.dim))
    out, jac = naive.diagonal_forward(model.basis, table_of(model), x)
    # Same formulas, different summation order: a few ulp of O(10) values.
    np.testing.assert_allclose(model.forward(x), out, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.jacobian(x), jac, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.logdet(x), np.linalg.slogdet(jac)[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.divergence(x), np.trace(jac, axis1=1, axis2=2), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_inverse_round_trip_and_naive_bisection(kind):
    model, rng = MODELS[kind](5)
    x = 3.0 * rng.standard_normal((50, model.dim))
    u = model.forward(x)
    info = model.inverse(u, tol=1e-10, return_info=True)
    assert info.converged.all() and info.residual.max() <= 1e-10
    # Slopes >= min slope ~0.1 here: a residual of 1e-10 moves x by at most ~1e-9.
    np.testing.assert_allclose(info.x, x, rtol=0, atol=1e-8)
    table = table_of(model)
    coords = u[:3] @ model.basis
    expected = np.array([[naive.scalar_inverse(table[j], coords[i, j]) for j in range(model.dim)]
                         for i in range(3)]) @ model.basis.T
    np.testing.assert_allclose(model.inverse(u[:3]), expected, rtol=0, atol=1e-8)
    assert model.inverse(u[0]).shape == (model.dim,)


def test_iteration_cap_raises_or_reports():
    model, rng = random_net(7)
    u = model.forward(5.0 * rng.standard_normal((4, 3)))
    info = model.inverse(u, tol=1e-14, max_iter=1, return_info=True)
    assert not info.converged.all() and info.iterations == 1
    with pytest.raises(InversionError):
        model.inverse(u, tol=1e-14, max_iter=1)


def test_parameter_layouts():
    basis = np.eye(2)
    gains = DiagonalLinear(basis, bias=True)
    gains.set_parameters([2.0, 3.0, 0.5, -1.0])
    np.testing.assert_array_equal(gains.gains, [2.0, 3.0])
    np.testing.assert_array_equal(gains.forward(np.array([1.0, 1.0])), [2.5, 2.0])
    assert DiagonalLinear(2).n_parameters == 2
    net = DiagonalNet(2, n_units=1)
    # row j = [alpha, beta, w, gamma, b]
    net.set_parameters([2.0, 1.0, 0.5, 3.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(net.forward(np.array([0.2, 0.7])),
                               [2.0 * 0.2 + 1.0 + 0.5 * np.tanh(0.6), 0.7], rtol=1e-15)


def test_diagonal_linear_projection_and_invertibility():
    model = DiagonalLinear(3, lipschitz=0.5)
    model.set_parameters([4.0, 1.0, 0.25])
    assert model.lipschitz() == pytest.approx(3.0)
    assert not model.is_invertible()
    model.project()
    np.testing.assert_array_equal(model.gains, [1.5, 1.0, 0.5])
    assert model.lipschitz() == pytest.approx(0.5) and model.is_invertible()
    free = DiagonalLinear(2)
    assert free.lipschitz() is None
    free.set_parameters([1.0, -0.1])
    assert not free.is_invertible()
    with pytest.raises(NotInvertibleError):
        free.logdet(np.ones(2))


def test_diagonal_net_projection_enforces_monotone_slopes():
    model, rng = random_net(8, lipschitz=0.3)
    theta = model.get_parameters() + 3.0 * rng.standard_normal(model.n_parameters)
    model.set_parameters(theta)
    model.project()
    assert model.is_invertible() and model.lipschitz() <= 0.3 + 1e-15
    slopes = model.jacobian(10.0 * rng.standard_normal((200, 3)))
    eig = np.linalg.eigvalsh(slopes)
    # Eigenvalues of V diag(f') V^T are the slopes, up to rounding of the product (1e-14).
    assert eig.min() >= 0.7 - 1e-14 and eig.max() <= 1.3 + 1e-14
    free, rng = random_net(9)
    free.set_parameters(free.get_parameters() - 5.0)
    free.project()
    assert free.is_invertible() and free.lipschitz() is None
    assert np.linalg.eigvalsh(free.jacobian(rng.standard_normal((50, 3)))).min() > 0


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("regulariser", [None, "logdet", "divergence"])
def test_objective_values_match_the_naive_loss(kind, regulariser):
    model, rng = MODELS[kind](11)
    x, target = rng.standard_normal((2, 6, model.dim))
    b = rng.standard_normal((model.dim, model.dim))
    metric = b @ b.T + np.eye(model.dim)
    for m in (None, metric):
        value, _ = model._objective(x, target, m, regulariser, 0.41)
        out, jac = naive.diagonal_forward(model.basis, table_of(model), x)
        np.testing.assert_allclose(value, naive.objective(out, jac, target, m, regulariser, 0.41),
                                   rtol=1e-12)
    u = model.forward(rng.standard_normal((6, model.dim)))
    value, _ = model._reconstruction_objective(u, x)
    # The model's inverse is itself checked against bisection above (to 1e-8).
    np.testing.assert_allclose(value, naive.reconstruction(model.inverse(u, tol=1e-12), x), rtol=1e-10)


def test_bad_input_is_rejected_with_named_parameters():
    with pytest.raises(ValueError, match="basis"):
        DiagonalLinear(np.ones((2, 2)))
    with pytest.raises(ValueError, match="lipschitz"):
        DiagonalNet(2, lipschitz=1.5)
    with pytest.raises(TypeError, match="n_units"):
        DiagonalNet(2, n_units=1.5)
    with pytest.raises(ValueError, match="theta"):
        DiagonalLinear(2).set_parameters([1.0])
    with pytest.raises(ValueError, match="u"):
        DiagonalNet(2).inverse(np.ones(3))


def test_inverse_does_not_cycle_between_the_flat_tails():
    """A trained row on which undamped Newton cycles between t ~ -0.95 and t ~ 2.3 (found by the
    noise sweep): the safeguarded iteration reaches the root (checked against bisection)."""
    from scipy.optimize import brentq

    from invlin.models._diagonal_numba import scalar_maps, scalar_maps_inverse

    row = [0.50099111, 0.00445922, 0.11490055, 0.73991691, 0.74837854, 0.09764362,
           1.60219336, 1.61300915, 1.70987652, 1.49666762, -0.59142774, -0.10532041,
           0.18298504, 0.52132307]
    table = np.array([row])
    target = 1.20282731
    t, iterations = scalar_maps_inverse(table, np.array([[target]]), 1e-12, 100)
    assert iterations[0] < 100
    root = brentq(lambda s: scalar_maps(table, np.array([[s]]))[0][0, 0] - target, -1.0, 5.8,
                  xtol=1e-14)
    # |f(t) - target| <= 1e-12 and f' >= 0.5 near the root: |t - root| <= 2e-12 (+ brentq's)
    assert abs(t[0, 0] - root) <= 3e-12
