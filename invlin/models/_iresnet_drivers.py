"""The two paths of the IResNet kernels (private): serial, or on the work-sharing team.

Each function here allocates the outputs and runs one compiled *body* of
:mod:`invlin.models._iresnet_numba` over all samples: in turn (``*_serial``), or on pieces of
whole chunks on the work-sharing team (``*_parallel``, :mod:`invlin._kernels.team`). Both paths
call the same body with the same chunks, so their results agree bitwise for any number of
threads (docs/engine.md, "One body, two paths").

Nothing here is compiled: the bodies and every helper they call stay in one module, because
Numba's on-disk cache does not see edits of other modules.
"""

from __future__ import annotations

import numpy as np

from invlin._kernels.team import over_claimed, over_range
from invlin.models._iresnet_numba import (DATA_ADJOINT, DATA_EUCLIDEAN, DATA_METRIC, REG_NONE,
                                          _forward_chunk, _hutchinson_chunk, _inverse_chunk,
                                          _jacobian_chunk, _objective_chunks, chunk_size,
                                          n_chunks)


def _gradient_slots(n_chunks, B, n, m):
    """Zeroed gradient slots (W1T, b1, W2, b2) for every chunk."""
    return (np.zeros((n_chunks, B, n, m)), np.zeros((n_chunks, B, m)),
            np.zeros((n_chunks, B, n, m)), np.zeros((n_chunks, B, n)))


def _objective_outputs(W1T, x):
    """Per-sample data term and regulariser, and the gradient slots of every chunk."""
    B, n, m = W1T.shape
    N = x.shape[0]
    return (np.empty(N), np.zeros(N)) + _gradient_slots(n_chunks(N), B, n, m)


def _objective(parallel, W1T, b1, W2, b2, act, mode, c, x, t, M, data_kind):
    """Run the objective body on all chunks: in turn, or on the work-sharing team
    (``parallel``, :func:`invlin._kernels.team.run_claimed`).

    Every chunk has its own gradient slot and the same arithmetic (the same body) on both
    paths, so the result is the same bitwise, for any number of threads.
    """
    out = _objective_outputs(W1T, x)
    args = (W1T, b1, W2, b2, act, mode, c, x, t, M, data_kind)
    over_claimed(parallel, lambda claims: _objective_chunks(*args, claims, *out),
                 n_chunks(x.shape[0]))
    return out


def objective_serial(W1T, b1, W2, b2, act, mode, c, x, t, M, use_metric):
    """Per-sample data term |phi(x_i) - t_i|^2_M and regulariser R(x_i), and chunk gradients.

    Returns ``(data, reg, gW1T, gb1, gW2, gb2)``: the gradient slots hold the gradient of
    ``mean_i |phi(x_i)-t_i|^2_M - c mean_i R(x_i)`` split by chunk; their sum over the first
    axis (in order) is the gradient.
    """
    kind = DATA_METRIC if use_metric else DATA_EUCLIDEAN
    return _objective(False, W1T, b1, W2, b2, act, mode, c, x, t, M, kind)


def objective_parallel(W1T, b1, W2, b2, act, mode, c, x, t, M, use_metric):
    """:func:`objective_serial` with groups of chunks on threads (bitwise the same)."""
    kind = DATA_METRIC if use_metric else DATA_EUCLIDEAN
    return _objective(True, W1T, b1, W2, b2, act, mode, c, x, t, M, kind)


def adjoint_gradient_serial(W1T, b1, W2, b2, act, x, xbar):
    """Chunk gradient slots of sum_i <xbar_i, phi(x_i)> for fixed output adjoints ``xbar``.

    The reverse sweep of the objective body without data term or regulariser.
    """
    M = np.zeros((W1T.shape[1], W1T.shape[1]))
    return _objective(False, W1T, b1, W2, b2, act, REG_NONE, 0.0, x, xbar, M, DATA_ADJOINT)[2:]


def adjoint_gradient_parallel(W1T, b1, W2, b2, act, x, xbar):
    """:func:`adjoint_gradient_serial` with groups of chunks on threads (bitwise the same)."""
    M = np.zeros((W1T.shape[1], W1T.shape[1]))
    return _objective(True, W1T, b1, W2, b2, act, REG_NONE, 0.0, x, xbar, M, DATA_ADJOINT)[2:]


def _over_samples(parallel, n_samples, chunk):
    """``chunk(start, stop)`` on all samples at once, or on pieces of whole chunks of
    :func:`chunk_size` samples on the work-sharing team (``parallel``). The chunk kernels treat
    each sample on its own, so both give the same result bitwise."""
    over_range(parallel, chunk, n_samples, chunk_size(n_samples))


def _forward(parallel, W1T, b1, W2, b2, act, x):
    out = np.empty(x.shape)
    _over_samples(parallel, x.shape[0],
                  lambda start, stop: _forward_chunk(W1T, b1, W2, b2, act, x, start, stop, out))
    return out


def forward_serial(W1T, b1, W2, b2, act, x):
    """phi(x_i) for every sample."""
    return _forward(False, W1T, b1, W2, b2, act, x)


def forward_parallel(W1T, b1, W2, b2, act, x):
    """:func:`forward_serial` with chunks of samples on the team (bitwise the same)."""
    return _forward(True, W1T, b1, W2, b2, act, x)


def _jacobian(parallel, W1T, b1, W2, b2, act, x, mode):
    N, n = x.shape
    jac, reg = np.zeros((N, n, n)), np.empty(N)
    _over_samples(parallel, N, lambda start, stop: _jacobian_chunk(W1T, b1, W2, b2, act, x, mode,
                                                                   start, stop, jac, reg))
    return jac, reg


def jacobian_serial(W1T, b1, W2, b2, act, x, mode):
    """Exact Jacobians (mode REG_DIVERGENCE, else zeros) and R(x_i) (see the chunk)."""
    return _jacobian(False, W1T, b1, W2, b2, act, x, mode)


def jacobian_parallel(W1T, b1, W2, b2, act, x, mode):
    """:func:`jacobian_serial` with chunks of samples on the team (bitwise the same)."""
    return _jacobian(True, W1T, b1, W2, b2, act, x, mode)


def _inverse(parallel, W1T, b1, W2, b2, act, u, block_tol, max_iter, newton):
    N = u.shape[0]
    out = np.empty(u.shape), np.zeros(N, dtype=np.int64), np.ones(N, dtype=np.bool_)
    _over_samples(parallel, N, lambda start, stop: _inverse_chunk(
        W1T, b1, W2, b2, act, u, block_tol, max_iter, newton, start, stop, *out))
    return out


def inverse_serial(W1T, b1, W2, b2, act, u, block_tol, max_iter, newton):
    """Preimages, iterations per sample and per-sample success (see the chunk)."""
    return _inverse(False, W1T, b1, W2, b2, act, u, block_tol, max_iter, newton)


def inverse_parallel(W1T, b1, W2, b2, act, u, block_tol, max_iter, newton):
    """:func:`inverse_serial` with chunks of samples on the team (bitwise the same)."""
    return _inverse(True, W1T, b1, W2, b2, act, u, block_tol, max_iter, newton)


def _hutchinson(parallel, W1T, b1, W2, b2, act, x, probes, order, mode):
    est = np.zeros((x.shape[0], probes.shape[1]))
    _over_samples(parallel, x.shape[0], lambda start, stop: _hutchinson_chunk(
        W1T, b1, W2, b2, act, x, probes, order, mode, start, stop, est))
    return est


def hutchinson_serial(W1T, b1, W2, b2, act, x, probes, order, mode):
    """Per-sample, per-probe estimates, shape (N, n_probes) (see the chunk)."""
    return _hutchinson(False, W1T, b1, W2, b2, act, x, probes, order, mode)


def hutchinson_parallel(W1T, b1, W2, b2, act, x, probes, order, mode):
    """:func:`hutchinson_serial` with chunks of samples on the team (bitwise the same)."""
    return _hutchinson(True, W1T, b1, W2, b2, act, x, probes, order, mode)
