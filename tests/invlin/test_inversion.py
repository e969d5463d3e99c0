"""Inversion helpers: the result record and finish() (residuals, flags, error or record)."""

import numpy as np
import pytest

from invlin.errors import InversionError
from invlin.inversion import InversionResult, finish


def forward(x):
    return x + 0.5 * np.sin(x)


def test_finish_returns_the_record_with_recomputed_residuals():
    u = np.array([[1.0, 2.0], [0.0, 0.0]])
    x = np.array([[0.5, 1.0], [0.0, 0.0]])  # a poor preimage, then an exact one
    result = finish(x, u, forward, tol=1e-8, iterations=4, single=False, return_info=True)
    assert isinstance(result, InversionResult)
    np.testing.assert_array_equal(result.converged, [False, True])
    np.testing.assert_allclose(result.residual, np.linalg.norm(forward(x) - u, axis=1), rtol=0)
    assert result.iterations == 4


def test_finish_raises_unless_every_point_converged():
    u = np.array([[1.0, 2.0], [0.0, 0.0]])
    x = np.array([[0.5, 1.0], [0.0, 0.0]])
    with pytest.raises(InversionError, match="1 of 2 points"):
        finish(x, u, forward, tol=1e-8, iterations=4, single=False, return_info=False)


def test_finish_returns_a_single_point_for_single_input():
    x = np.array([[0.3, -0.2]])
    out = finish(x, forward(x), forward, tol=1e-12, iterations=1, single=True, return_info=False)
    assert out.shape == (2,)
    np.testing.assert_array_equal(out, x[0])
