"""Numba kernels of the Linear model: per-sample gradient contributions, reduced in fixed order.

Private: the public class :class:`invlin.models.Linear` validates input and calls these.
"""

import numpy as np
from numba import njit, prange

# Samples per chunk. Chunks are summed in parallel, then the chunk sums in a fixed order, so the
# result does not depend on the number of threads.
CHUNK = 64


@njit(cache=True, parallel=True)
def outer_sums(g, x):
    """Return ``sum_i g_i x_i^T`` (n, n) and ``sum_i g_i`` (n,) for g, x of shape (N, n).

    These are the gradients of ``sum_i g_i . (K x_i + b)`` with respect to ``K`` and ``b``.
    """
    n_samples, n = g.shape
    n_chunks = (n_samples + CHUNK - 1) // CHUNK
    partial_k = np.zeros((n_chunks, n, n))
    partial_b = np.zeros((n_chunks, n))
    for chunk in prange(n_chunks):
        stop = min((chunk + 1) * CHUNK, n_samples)
        for i in range(chunk * CHUNK, stop):
            for r in range(n):
                partial_b[chunk, r] += g[i, r]
                for col in range(n):
                    partial_k[chunk, r, col] += g[i, r] * x[i, col]
    grad_k = np.zeros((n, n))
    grad_b = np.zeros(n)
    for chunk in range(n_chunks):
        grad_k += partial_k[chunk]
        grad_b += partial_b[chunk]
    return grad_k, grad_b
