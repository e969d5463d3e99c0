"""Inversion helpers: the result record, fixed-point iteration and Newton polish."""

import numpy as np
import pytest

from invlin.errors import InversionError
from invlin.inversion import InversionResult, finish, fixed_point, newton_polish


def contraction(x):
    """g(x) = 0.5 sin(x) componentwise, Lip(g) = 0.5."""
    return 0.5 * np.sin(x)


def forward(x):
    return x + contraction(x)


def jacobian(x):
    return np.eye(x.shape[1]) + np.einsum("ij,jk->ijk", 0.5 * np.cos(x), np.eye(x.shape[1]))


def test_fixed_point_converges_at_the_contraction_rate():
    u = np.random.default_rng(0).standard_normal((20, 3))
    x, iterations = fixed_point(contraction, u, tol=1e-12, max_iter=200)
    # Residual = last step <= tol; the rate 0.5 needs ~log(1e-12)/log(0.5) ~ 40 iterations.
    assert np.max(np.linalg.norm(forward(x) - u, axis=1)) <= 1e-12
    assert 20 <= iterations <= 60


def test_fixed_point_reports_the_cap():
    u = np.ones((2, 2))
    _, iterations = fixed_point(contraction, u, tol=1e-15, max_iter=3)
    assert iterations == 3


def test_newton_polish_reaches_rounding_level_quickly():
    u = np.random.default_rng(1).standard_normal((10, 2))
    rough, _ = fixed_point(contraction, u, tol=1e-2, max_iter=100)
    x, iterations = newton_polish(forward, jacobian, u, rough, tol=1e-14, max_iter=20)
    assert np.max(np.linalg.norm(forward(x) - u, axis=1)) <= 1e-14
    assert iterations <= 5  # quadratic convergence from 1e-2


def test_finish_returns_array_record_or_raises():
    u = np.array([[1.0, 2.0]])
    x = u - contraction(u)  # a poor preimage
    result = finish(x, u, forward, tol=1e-8, iterations=4, single=False, return_info=True)
    assert isinstance(result, InversionResult)
    assert not result.converged[0] and result.iterations == 4
    np.testing.assert_allclose(result.residual, np.linalg.norm(forward(x) - u, axis=1))
    with pytest.raises(InversionError, match="1 of 1"):
        finish(x, u, forward, tol=1e-8, iterations=4, single=False, return_info=False)
    exact, _ = fixed_point(contraction, u, tol=1e-13, max_iter=100)
    out = finish(exact, u, forward, tol=1e-10, iterations=1, single=True, return_info=False)
    assert out.shape == (2,)
