"""The spectrum of a binomial blur with reflective boundaries in the DCT-II basis."""

from __future__ import annotations

import numpy as np

from invlin._validation import positive_int


def binomial_blur_spectrum(dim: int, radius: int) -> np.ndarray:
    r"""Eigenvalues of the reflective binomial blur of radius m in the DCT-II basis.

    Parameters
    ----------
    dim : int
        Signal length n (>= m + 1).
    radius : int
        Kernel radius m >= 1: the kernel is :math:`h_k = \binom{2m}{m + k} / 4^m`, |k| <= m,
        a discrete Gaussian of standard deviation :math:`\sqrt{m/2}` pixels.

    Returns
    -------
    ndarray, shape (n,)
        :math:`\lambda_j = \cos^{2m}(\pi j / (2n))`, j = 0, ..., n - 1, all in (0, 1].

    Notes
    -----
    With half-sample symmetric extension (:math:`x_{-1-i} = x_i`, :math:`x_{n+i} = x_{n-1-i}`),
    convolution with a symmetric kernel of radius m <= n is diagonal in the DCT-II basis with
    eigenvalues :math:`h_0 + 2\sum_{k\ge1} h_k \cos(\pi j k / n)`, the kernel's
    discrete-time Fourier transform at :math:`\omega_j = \pi j / n`; for the binomial kernel that
    is :math:`((1 + \cos\omega)/2)^m = \cos^{2m}(\omega/2)`. The operator is symmetric positive
    definite, so these are its singular values and A = V diag(lambda) V^T.
    """
    dim = positive_int(dim, "dim")
    radius = positive_int(radius, "radius")
    if radius > dim - 1:
        raise ValueError(f"radius must be <= dim - 1 = {dim - 1} (one reflection), got {radius}")
    return np.cos(np.pi * np.arange(dim) / (2.0 * dim)) ** (2 * radius)
