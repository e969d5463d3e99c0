"""Certified upper bounds on the spectral norms of a stack of small matrices (Numba kernel).

For W of shape (p, q) with r = min(p, q), the largest singular value is the square root of the
largest eigenvalue of the r x r Gram matrix (W^T W if q <= p, else W W^T): in closed form for
r <= 2, else by LAPACK's symmetric eigensolver. One call for the whole stack: the i-ResNet's
projection needs the norms of its 2B weight matrices at every training step, and LAPACK's SVD
through numpy costs more per call than the arithmetic.

Rounding (u = eps / 2, W of shape (p, q) with q <= p, sigma its largest singular value): the
computed Gram matrix is G + E with |E| <= gamma_p |W|^T |W| entrywise, so
||E||_2 <= gamma_p ||W||_F^2 <= q gamma_p sigma^2. The largest eigenvalue of the computed Gram
matrix is found to 10 r u of its norm (backward-stable eigensolver; for r = 2 the closed form
m + |(d, b)|, m = (a + c)/2, d = (a - c)/2, has |d_hat - d| <= 2 u lambda and the norm
|(d, b)| moves by at most |(d_hat - d, b_hat - b)|, a few u lambda, by the triangle
inequality). Hence sigma^2 <= lambda_hat / ((1 - 10 r u)(1 - q gamma_p)), and
sigma <= sqrt(lambda_hat) (1 + SAFETY) with SAFETY = (10 r + q p) eps, which holds with room
for every p, q below 10^6 (the squared factors are below 1 + 2 SAFETY).
"""

from __future__ import annotations

import math

import numpy as np

from invlin._kernels.jit import kernel


@kernel
def _gram_top_eigenvalue(W):
    """Largest eigenvalue of the r x r Gram matrix of W (r = min of its shape)."""
    p, q = W.shape
    transpose = q > p
    r = p if transpose else q
    inner = q if transpose else p
    G = np.zeros((r, r))
    for i in range(r):
        for j in range(i + 1):
            total = 0.0
            for k in range(inner):
                if transpose:
                    total += W[i, k] * W[j, k]
                else:
                    total += W[k, i] * W[k, j]
            G[i, j] = total
            G[j, i] = total
    if r == 1:
        return G[0, 0]
    if r == 2:
        half_sum = 0.5 * (G[0, 0] + G[1, 1])
        half_difference = 0.5 * (G[0, 0] - G[1, 1])
        return half_sum + math.hypot(half_difference, G[0, 1])
    if not np.all(np.isfinite(G)):
        return np.nan  # LAPACK refuses non-finite input; the bound is undefined
    return np.linalg.eigvalsh(G)[r - 1]


@kernel
def spectral_norm_bounds(stack):
    """Certified upper bounds on ||W_k||_2 for the matrices W_k = stack[k] (see the module
    docstring for the factor); NaN in a matrix gives NaN."""
    count, p, q = stack.shape
    safety = (10.0 * min(p, q) + float(p) * float(q)) * np.finfo(np.float64).eps
    out = np.empty(count)
    for k in range(count):
        out[k] = math.sqrt(_gram_top_eigenvalue(stack[k])) * (1.0 + safety)
    return out


@kernel
def block_bounds(W1, W2, lip_act):
    """Certified bounds Lip(act) ||W1[k]||_2 ||W2[k]||_2 of the blocks k of an i-ResNet: the
    product of :func:`spectral_norm_bounds` times 1 + 4 eps, for its three roundings (each at
    most eps relative); NaN in a matrix gives NaN."""
    first, second = spectral_norm_bounds(W1), spectral_norm_bounds(W2)
    inflation = 1.0 + 4.0 * np.finfo(np.float64).eps
    out = np.empty(first.shape[0])
    for k in range(first.shape[0]):
        out[k] = lip_act * first[k] * second[k] * inflation
    return out


@kernel
def rescale_blocks(W1, W2, bounds, limit):
    """In place, for every block k with bounds[k] > limit: W1[k] and W2[k] times
    s = sqrt(limit / bounds[k]) (1 - 1e-12). Returns the blocks' certified bounds afterwards:
    bounds[k] s^2 (1 + eps (sqrt(r) + 4)), r = min(m, n), for the rescaled blocks (the proof is
    in :meth:`invlin.models.IResNet.project`), bounds[k] for the others (left bit for bit)."""
    B, m, n = W1.shape
    inflation = 1.0 + np.finfo(np.float64).eps * (math.sqrt(min(m, n)) + 4.0)
    out = bounds.copy()
    for k in range(B):
        if bounds[k] > limit:
            s = math.sqrt(limit / bounds[k]) * (1.0 - 1e-12)
            for i in range(m):
                for j in range(n):
                    W1[k, i, j] *= s
            for i in range(W2.shape[1]):
                for j in range(W2.shape[2]):
                    W2[k, i, j] *= s
            out[k] = bounds[k] * s * s * inflation
    return out
