"""Numba kernels of the stochastic regularisers of :class:`invlin.models.iresnet.IResNet` (private).

Hutchinson estimates of the divergence and of the power series of the log-determinant, at
fixed probes, together with the EXACT gradient of the estimate with respect to the network's
parameters (reverse mode through the estimator, written by hand). The weights come in the
kernel layout of :mod:`invlin.models._iresnet_numba` (``W1T[k]`` of shape ``(n, m)``, ``b1[k]``,
``W2[k]`` of shape ``(n, m)``, ``b2[k]``); a block is ``x -> x + g(x)`` with
``g(x) = W2 act(W1 x + b1) + b2`` and ``J_g = W2 diag(act'(h)) W1``.

Per point x and probe v (``probes[s, p]``):

* divergence: ``v^T J_B ... J_1 v`` with ``J_k = I + J_{g_k}(x_{k-1})``; forward-mode products
  ``w_k = J_k w_{k-1}``, ``w_0 = v``;
* log-det: ``sum_k sum_j coef[j - 1] v^T J_{g_k}^j v`` with ``w_j = J_{g_k} w_{j-1}``; the
  coefficients (``(-1)^(j+1)/j`` for a fixed truncation, divided by the survival probability
  for Russian roulette) are drawn outside, per point and probe; a probe's series stops at its
  last non-zero coefficient.

The reverse sweep pulls the adjoint of every product ``W2 (d1 * (W1 w))`` back to ``W1``,
``W2`` and to ``d1 = act'(h)``; the adjoint of ``d1`` reaches ``h = W1 x + b1`` through
``act''``, and from there ``b1``, ``W1`` and the block input ``x``, which carries it to earlier
blocks through ``x_k = x_{k-1} + g_k(x_{k-1})``. Only Jacobian-vector products are formed
(cost O(B m n) per probe and power), never an n x n matrix.

The activation derivatives are evaluated here (not imported from the exact kernels' module),
because a Numba cache does not notice edits of functions in other modules. Like the exact
kernels, every driver visits fixed chunks of points whose size depends only on the number of
points; each chunk writes its own gradient slot, summed afterwards in a fixed order, so the
serial and parallel drivers give bitwise identical results.
"""

from __future__ import annotations

import math

import numpy as np

from invlin._kernels.jit import kernel
from invlin._kernels.team import claim, over_claimed
from invlin.models._iresnet_numba import _softclip

# the kernel-interface constants of the IResNet class (plain integers)
TANH = 0
SOFTCLIP = 2
DIVERGENCE = 0
LOGDET = 1


@kernel
def chunk_size(n_points):
    """Points per chunk: a function of the number of points only (not of threads)."""
    return max(16, (n_points + 63) // 64)


@kernel
def n_chunks(n_points):
    """Number of chunks of :func:`chunk_size` points."""
    cs = chunk_size(n_points)
    return (n_points + cs - 1) // cs


@kernel
def _activation(hr, act):
    """(act, act', act'') at hr for tanh (act 0), softplus (act 1) or the soft clip (act 2,
    :func:`invlin.models._iresnet_numba._softclip`), without overflow."""
    if act == TANH:
        t = math.tanh(hr)
        d = 1.0 - t * t
        return t, d, -2.0 * t * d
    if act == SOFTCLIP:
        return _softclip(hr)
    if hr >= 0.0:
        e = math.exp(-hr)
        s = 1.0 / (1.0 + e)
        return hr + math.log1p(e), s, s * (1.0 - s)
    e = math.exp(hr)
    s = e / (1.0 + e)
    return math.log1p(e), s, s * (1.0 - s)


@kernel
def _hidden(W1T, w, u):
    """u = W1 w."""
    n, m = W1T.shape
    for r in range(m):
        u[r] = 0.0
    for j in range(n):
        wj = w[j]
        for r in range(m):
            u[r] += W1T[j, r] * wj


@kernel
def _jg_product(W1T, W2, d1, w, u, out):
    """u = W1 w and out = J_g w = W2 (d1 * u)."""
    n, m = W1T.shape
    _hidden(W1T, w, u)
    for i in range(n):
        acc = 0.0
        for r in range(m):
            acc += W2[i, r] * d1[r] * u[r]
        out[i] = acc


@kernel
def _jg_adjoint(W1T, W2, d1, w_in, u, wbar, dbar, qbar, gW1T, gW2, out):
    """Reverse sweep through out = W2 (d1 * (W1 w_in)) for the output adjoint ``wbar``.

    Accumulates the adjoints of W2, W1 (as W1T) and d1 (``dbar``), and returns the adjoint of
    ``w_in`` in ``out`` (= J_g^T wbar). ``u`` must hold W1 w_in.
    """
    n, m = W1T.shape
    for r in range(m):
        qbar[r] = 0.0
    for i in range(n):
        wi = wbar[i]
        for r in range(m):
            qbar[r] += W2[i, r] * wi
            gW2[i, r] += wi * d1[r] * u[r]
    for r in range(m):
        dbar[r] += qbar[r] * u[r]
        qbar[r] *= d1[r]  # now the adjoint of u = W1 w_in
    for j in range(n):
        wj = w_in[j]
        acc = 0.0
        for r in range(m):
            gW1T[j, r] += wj * qbar[r]
            acc += W1T[j, r] * qbar[r]
        out[j] = acc


@kernel
def _regulariser_chunk(W1T, b1, W2, b2, act, mode, x, probes, coefs, start, stop, est, gW1T,
                       gb1, gW2, gb2):
    """Estimates est[s, p] for the points [start, stop) and the gradient of
    ``sum_{s, p} est[s, p] / (N P)`` (over all N points) accumulated into this chunk's slots."""
    B, n, m = W1T.shape
    N, P = probes.shape[0], probes.shape[1]
    K = coefs.shape[2]
    weight = 1.0 / (N * P)
    xs = np.empty((B + 1, n))
    A = np.empty((B, m))
    D1 = np.empty((B, m))
    D2 = np.empty((B, m))
    h = np.empty(m)
    ws = np.empty((P, B + 1, n)) if mode == DIVERGENCE else np.empty((1, K + 1, n))
    wbar = np.empty((P, n)) if mode == DIVERGENCE else np.empty((1, n))
    u = np.empty(m)
    qbar = np.empty(m)
    dbar = np.empty(m)
    hbar = np.empty(m)
    nxt = np.empty(n)
    xbar = np.empty(n)
    for s in range(start, stop):
        # forward pass along x, keeping act, act', act'' of every block
        for j in range(n):
            xs[0, j] = x[s, j]
        for k in range(B):
            for r in range(m):
                h[r] = b1[k, r]
            for j in range(n):
                xj = xs[k, j]
                for r in range(m):
                    h[r] += W1T[k, j, r] * xj
            for r in range(m):
                A[k, r], D1[k, r], D2[k, r] = _activation(h[r], act)
            for i in range(n):
                acc = xs[k, i] + b2[k, i]
                for r in range(m):
                    acc += W2[k, i, r] * A[k, r]
                xs[k + 1, i] = acc
        for p in range(P):
            est[s, p] = 0.0
        if mode == DIVERGENCE:
            # forward-mode products w_k = J_k w_{k-1} of every probe; est = v^T w_B
            for p in range(P):
                for j in range(n):
                    ws[p, 0, j] = probes[s, p, j]
                for k in range(B):
                    _jg_product(W1T[k], W2[k], D1[k], ws[p, k], u, nxt)
                    for j in range(n):
                        ws[p, k + 1, j] = ws[p, k, j] + nxt[j]
                acc = 0.0
                for j in range(n):
                    acc += probes[s, p, j] * ws[p, B, j]
                est[s, p] = acc
                for j in range(n):
                    wbar[p, j] = weight * probes[s, p, j]
        for j in range(n):
            xbar[j] = 0.0
        # reverse sweep over the blocks
        for k in range(B - 1, -1, -1):
            for r in range(m):
                dbar[r] = 0.0
            if mode == DIVERGENCE:
                for p in range(P):
                    # w_{k+1} = w_k + J_g w_k: the adjoint of w_k is wbar + J_g^T wbar
                    _hidden(W1T[k], ws[p, k], u)
                    _jg_adjoint(W1T[k], W2[k], D1[k], ws[p, k], u, wbar[p], dbar, qbar, gW1T[k],
                                gW2[k], nxt)
                    for j in range(n):
                        wbar[p, j] += nxt[j]
            else:
                for p in range(P):
                    last = 0
                    for jj in range(K):
                        if coefs[s, p, jj] != 0.0:
                            last = jj + 1
                    w = ws[0]
                    for j in range(n):
                        w[0, j] = probes[s, p, j]
                    total = 0.0
                    for power in range(1, last + 1):
                        _jg_product(W1T[k], W2[k], D1[k], w[power - 1], u, w[power])
                        acc = 0.0
                        for j in range(n):
                            acc += probes[s, p, j] * w[power, j]
                        total += coefs[s, p, power - 1] * acc
                    est[s, p] += total
                    # reverse through the powers: the adjoint of w_j is coef_j v + J_g^T (adjoint of w_{j+1})
                    r_adj = wbar[0]
                    for j in range(n):
                        r_adj[j] = 0.0
                    for power in range(last, 0, -1):
                        cw = weight * coefs[s, p, power - 1]
                        for j in range(n):
                            r_adj[j] += cw * probes[s, p, j]
                        _hidden(W1T[k], w[power - 1], u)
                        _jg_adjoint(W1T[k], W2[k], D1[k], w[power - 1], u, r_adj, dbar, qbar,
                                    gW1T[k], gW2[k], nxt)
                        for j in range(n):
                            r_adj[j] = nxt[j]
            # the block's state: h = W1 x_k + b1 (through act' and act''), x_{k+1} = x_k + g(x_k)
            for r in range(m):
                acc = 0.0
                for i in range(n):
                    acc += W2[k, i, r] * xbar[i]
                hbar[r] = acc * D1[k, r] + dbar[r] * D2[k, r]
            for i in range(n):
                gb2[k, i] += xbar[i]
                for r in range(m):
                    gW2[k, i, r] += xbar[i] * A[k, r]
            for r in range(m):
                gb1[k, r] += hbar[r]
            for j in range(n):
                xj = xs[k, j]
                acc = 0.0
                for r in range(m):
                    gW1T[k, j, r] += xj * hbar[r]
                    acc += W1T[k, j, r] * hbar[r]
                xbar[j] += acc


@kernel
def _regulariser_chunks(W1T, b1, W2, b2, act, mode, x, probes, coefs, claims, est, gW1T, gb1,
                        gW2, gb2):
    """The body: the chunks of points this call claims (:func:`invlin._kernels.team.claim`, until
    every chunk is claimed); chunk ci writes the estimates of its points and its own gradient
    slot ci. Returns how many chunks it finished."""
    N = x.shape[0]
    cs = chunk_size(N)
    count = n_chunks(N)
    finished = 0
    while True:
        ci = claim(claims)
        if ci >= count:
            break
        _regulariser_chunk(W1T, b1, W2, b2, act, mode, x, probes, coefs, ci * cs,
                           min(N, (ci + 1) * cs), est, gW1T[ci], gb1[ci], gW2[ci], gb2[ci])
        finished += 1
    return finished


def _regulariser(parallel, W1T, b1, W2, b2, act, mode, x, probes, coefs):
    """Per-point, per-probe estimates (N, P) and the gradient slots of their mean: the body on
    all chunks in turn, or with the chunks claimed by the threads of the work-sharing team
    (``parallel``, :func:`invlin._kernels.team.run_claimed`); the same operations in the same
    order per chunk either way, so the results are bitwise identical."""
    B, n, m = W1T.shape
    N = x.shape[0]
    count = n_chunks(N)
    est = np.empty((N, probes.shape[1]))
    slots = (np.zeros((count, B, n, m)), np.zeros((count, B, m)),
             np.zeros((count, B, n, m)), np.zeros((count, B, n)))
    args = (W1T, b1, W2, b2, act, mode, x, probes, coefs)
    over_claimed(parallel, lambda claims: _regulariser_chunks(*args, claims, est, *slots),
                 count)
    return (est, *slots)


def regulariser_serial(W1T, b1, W2, b2, act, mode, x, probes, coefs):
    """Per-point, per-probe estimates (N, P) and the gradient slots of their mean."""
    return _regulariser(False, W1T, b1, W2, b2, act, mode, x, probes, coefs)


def regulariser_parallel(W1T, b1, W2, b2, act, mode, x, probes, coefs):
    """:func:`regulariser_serial` with chunks on the work-sharing team (bitwise the same)."""
    return _regulariser(True, W1T, b1, W2, b2, act, mode, x, probes, coefs)
