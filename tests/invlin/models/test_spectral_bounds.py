"""Certified spectral-norm bounds of the i-ResNet's projection against LAPACK's SVD."""

import numpy as np
import pytest

from invlin.models._spectral_numba import spectral_norm_bounds

EPS = np.finfo(np.float64).eps


@pytest.mark.parametrize("shape", [(8, 64, 2), (8, 2, 64), (6, 32, 16), (4, 16, 32), (4, 5, 5),
                                   (3, 1, 7), (3, 7, 1)])
def test_bounds_are_above_the_norms_and_tight(shape):
    """Above the SVD's largest singular value (whose own error, ~max(p, q) eps relative, is far
    below the bound's inflation (10 r + p q) eps unless p q is tiny, hence the subtraction of
    that SVD error), and no looser than the stated inflation plus a few ulp."""
    p, q = shape[1:]
    rng = np.random.default_rng(p * 100 + q)
    stack = rng.standard_normal(shape) * rng.uniform(0.01, 100.0, (shape[0], 1, 1))
    svd = np.linalg.svd(stack, compute_uv=False)[:, 0]
    bounds = spectral_norm_bounds(stack)
    safety = (10 * min(p, q) + p * q) * EPS
    assert np.all(bounds >= svd * (1.0 - 10 * max(p, q) * EPS))
    assert np.all(bounds <= svd * (1.0 + safety + 20 * max(p, q) * EPS))


def test_ill_conditioned_and_rank_one_matrices():
    """The largest singular value is found to relative accuracy however small the others are
    (rank one; singular values 3 and 1e-9): squaring loses only the small ones."""
    u, v = np.linalg.qr(np.random.default_rng(1).standard_normal((64, 2)))[0].T
    rank_one = np.outer([1.0, 0.0], u)                                 # 2 x 64, sigma = 1
    ill = 3.0 * np.outer(u, [1.0, 0.0]) + 1e-9 * np.outer(v, [0.0, 1.0])  # 64 x 2, sigma = 3
    assert spectral_norm_bounds(rank_one[None])[0] == pytest.approx(1.0, rel=1e-13)
    assert spectral_norm_bounds(ill[None])[0] == pytest.approx(3.0, rel=1e-13)


@pytest.mark.parametrize("shape", [(2, 4, 2), (2, 4, 3)])  # closed form, eigensolver
def test_nan_propagates(shape):
    stack = np.ones(shape)
    stack[1, 2, 0] = np.nan
    bounds = spectral_norm_bounds(stack)
    assert np.isfinite(bounds[0]) and np.isnan(bounds[1])
