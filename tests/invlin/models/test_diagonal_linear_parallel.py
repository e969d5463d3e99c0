"""The parallel paths of the diagonal and linear kernels give bitwise the serial results."""

import numpy as np
import pytest

from invlin._kernels import team as _team
from invlin.models import _diagonal_numba, _linear_numba


def _both_paths(monkeypatch, module, call):
    """``call()`` with the serial path forced, and with the parallel path forced."""
    monkeypatch.setattr(module, "PARALLEL_MIN_WORK", 1 << 62)
    serial = call()
    monkeypatch.setattr(module, "PARALLEL_MIN_WORK", 1)
    return serial, call()


@pytest.mark.skipif(_team.team_size() < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("n_units", [0, 3])
def test_diagonal_kernels_agree_bitwise(monkeypatch, n_units):
    rng = np.random.default_rng(1)
    # 203 samples, 37 components: pieces that end inside a block of rows or of components
    params = np.abs(rng.standard_normal((37, 2 + 3 * n_units))) + 0.2
    t, g_value, g_slope = rng.standard_normal((3, 203, 37))

    def call():
        values, slopes = _diagonal_numba.scalar_maps(params, t)
        grad = _diagonal_numba.scalar_maps_backward(params, t, g_value, g_slope)
        inverse, iterations = _diagonal_numba.scalar_maps_inverse(params, values, 1e-12, 100)
        return values, slopes, grad, inverse, iterations

    for serial, parallel in zip(*_both_paths(monkeypatch, _diagonal_numba, call)):
        np.testing.assert_array_equal(serial, parallel)


@pytest.mark.skipif(_team.team_size() < 2, reason="needs 2 Numba threads")
def test_linear_outer_sums_agree_bitwise(monkeypatch):
    rng = np.random.default_rng(2)
    g, x = rng.standard_normal((2, 64 * 9 + 5, 3))  # 10 chunks, the last one short
    for serial, parallel in zip(*_both_paths(monkeypatch, _linear_numba,
                                             lambda: _linear_numba.outer_sums(g, x))):
        np.testing.assert_array_equal(serial, parallel)
