"""Fast orthonormal bases: dot test, agreement with the dense cosine basis, the blur spectrum."""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

from invlin.operators import (DCTBasis, DenseBasis, OrthonormalBasis, as_basis,
                              binomial_blur_spectrum, dottest)

_spec = importlib.util.spec_from_file_location("naive", pathlib.Path(__file__).parents[2] / "naive.py")
naive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(naive)
dct_matrix, reflective_convolution_matrix = naive.dct_matrix, naive.reflective_convolution_matrix

EPS = np.finfo(np.float64).eps


class NotOrthonormal(OrthonormalBasis):
    """A deliberately wrong 'basis': the unnormalised DCT-II with the orthonormal inverse."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        import scipy.fft
        return scipy.fft.dct(np.asarray(x, float), type=2, axis=-1)

    def adjoint(self, t):
        import scipy.fft
        return scipy.fft.idct(np.asarray(t, float), type=2, norm="ortho", axis=-1)

    def __eq__(self, other):
        return other is self


def assert_orthonormal(basis, rng):
    defects = dottest(basis, rng)
    # O(n log n) roundings of relative size eps each: a few eps * log2 n, so 100 eps * log2(n+1)
    # bounds every defect of a correct basis with a wide margin.
    tol = 100 * EPS * math.log2(basis.dim + 1)
    assert max(defects.values()) <= tol, defects


@pytest.mark.parametrize("dim", [1, 2, 7, 64, 1000, 10000])
def test_dct_basis_passes_the_dot_test(dim):
    assert_orthonormal(DCTBasis(dim), np.random.default_rng(dim))


def test_dot_test_fails_for_a_wrong_basis():
    # negative control: the unnormalised DCT is not orthonormal
    with pytest.raises(AssertionError):
        assert_orthonormal(NotOrthonormal(16), np.random.default_rng(0))


@pytest.mark.parametrize("dim", [1, 5, 32])
def test_dct_basis_is_the_cosine_basis(dim):
    # the same numbers from the textbook formula by loops: rounding of cos, ~1e-15
    np.testing.assert_allclose(DCTBasis(dim).matrix(), dct_matrix(dim), rtol=0, atol=1e-13)
    x = np.random.default_rng(1).standard_normal((3, dim))
    np.testing.assert_allclose(DCTBasis(dim).forward(x), x @ dct_matrix(dim), rtol=0, atol=1e-13)


def test_dense_basis_matches_its_matrix_and_equality():
    q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((4, 4)))
    basis = DenseBasis(q)
    x = np.random.default_rng(3).standard_normal((2, 4))
    np.testing.assert_array_equal(basis.forward(x), x @ q)
    np.testing.assert_array_equal(basis.adjoint(x), x @ q.T)
    assert basis == DenseBasis(q) and basis != DenseBasis(np.eye(4))
    assert DCTBasis(4) == DCTBasis(4) and DCTBasis(4) != DCTBasis(5)
    assert as_basis(3) == DenseBasis(np.eye(3)) and as_basis(basis) is basis
    assert_orthonormal(basis, np.random.default_rng(4))


def binomial_kernel(radius):
    return np.array([math.comb(2 * radius, radius + k) for k in range(-radius, radius + 1)]) \
        / 4.0**radius


@pytest.mark.parametrize("dim,radius", [(8, 1), (20, 2), (33, 5), (6, 5)])
def test_binomial_blur_is_diagonal_in_the_dct_basis(dim, radius):
    A = reflective_convolution_matrix(dim, binomial_kernel(radius))
    V = dct_matrix(dim)
    # V^T A V in floating point: entries of A and V are O(1), n terms: ~n eps
    np.testing.assert_allclose(V.T @ A @ V, np.diag(binomial_blur_spectrum(dim, radius)),
                               rtol=0, atol=1e-13)


def test_periodic_blur_is_not_diagonal_in_the_dct_basis():
    # negative control: circulant (periodic) boundaries break the DCT diagonalisation
    dim, radius = 20, 2
    kernel = binomial_kernel(radius)
    A = np.zeros((dim, dim))
    for i in range(dim):
        for k in range(-radius, radius + 1):
            A[i, (i - k) % dim] += kernel[k + radius]
    V = dct_matrix(dim)
    off = V.T @ A @ V - np.diag(binomial_blur_spectrum(dim, radius))
    assert np.max(np.abs(off)) > 1e-3


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="dim"):
        DCTBasis(0)
    with pytest.raises(TypeError, match="dim"):
        DCTBasis(2.5)
    with pytest.raises(ValueError, match="shape"):
        DCTBasis(4).forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="orthonormal"):
        DenseBasis([[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="radius"):
        binomial_blur_spectrum(4, 4)
    with pytest.raises(ValueError, match="finite"):
        DenseBasis([[np.nan, 0.0], [0.0, 1.0]])


def test_cosine_comparison_detects_a_shifted_grid():
    # negative control: the DCT-I-like grid cos(pi j i / (n - 1)) is another basis
    dim = 8
    shifted = np.array([[math.cos(math.pi * j * i / (dim - 1)) for j in range(dim)]
                        for i in range(dim)])
    assert np.max(np.abs(DCTBasis(dim).matrix() - shifted)) > 1e-2
