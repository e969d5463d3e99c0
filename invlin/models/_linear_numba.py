"""Numba kernels of the Linear model: per-sample gradient contributions, reduced in fixed order.

Private: the public class :class:`invlin.models.Linear` validates input and calls these.
Samples are summed in chunks of fixed size and the chunk sums are then added in order. The
serial path runs the body on all chunks, the parallel path runs the same body on pieces of
whole chunks on the work-sharing team (:mod:`invlin._kernels.team`), so the result is bitwise
the same for any thread count.
"""

import numpy as np

from invlin._kernels.jit import kernel
from invlin._kernels.team import over_range

# Samples per chunk (fixed: the summation order must not depend on the thread count).
CHUNK = 64
# Work (samples x n^2) from which the parallel path is used. The sums are cheap, so the team
# pays off only for long ones; measured on 2 cores: 65536 x 2^2 (2^18) 395 us serial, 479 us on
# the team; 65536 x 4^2 (2^20) 964 us serial, 516 us on the team.
PARALLEL_MIN_WORK = 1 << 20


@kernel
def _chunk_sums(g, x, partial_k, partial_b, first, last):
    """Sums over the samples of the chunks [first, last), one partial slot per chunk."""
    n = g.shape[1]
    for chunk in range(first, last):
        stop = min((chunk + 1) * CHUNK, g.shape[0])
        for i in range(chunk * CHUNK, stop):
            for r in range(n):
                partial_b[chunk, r] += g[i, r]
                for col in range(n):
                    partial_k[chunk, r, col] += g[i, r] * x[i, col]


@kernel
def _reduce(partial_k, partial_b):
    grad_k = np.zeros(partial_k.shape[1:])
    grad_b = np.zeros(partial_b.shape[1])
    for chunk in range(partial_k.shape[0]):
        grad_k += partial_k[chunk]
        grad_b += partial_b[chunk]
    return grad_k, grad_b


def outer_sums(g, x):
    """Return ``sum_i g_i x_i^T`` (n, n) and ``sum_i g_i`` (n,) for g, x of shape (N, n).

    These are the gradients of ``sum_i g_i . (K x_i + b)`` with respect to ``K`` and ``b``.
    """
    n_samples, n = g.shape
    n_chunks = (n_samples + CHUNK - 1) // CHUNK
    partial_k = np.zeros((n_chunks, n, n))
    partial_b = np.zeros((n_chunks, n))
    g, x = np.ascontiguousarray(g), np.ascontiguousarray(x)
    over_range(n_samples * n * n >= PARALLEL_MIN_WORK,
               lambda first, last: _chunk_sums(g, x, partial_k, partial_b, first, last), n_chunks)
    return _reduce(partial_k, partial_b)
