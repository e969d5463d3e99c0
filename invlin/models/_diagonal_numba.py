"""Numba kernels of the diagonal models: per-component increasing scalar maps.

Each component j has the scalar map

    f_j(t) = alpha_j t + beta_j + sum_r w_jr tanh(gamma_jr t + b_jr),

stored as row j of ``params`` (shape (n, 2 + 3R)): ``[alpha, beta, w_1..w_R, gamma_1..gamma_R,
b_1..b_R]``. DiagonalLinear is the case R = 0. Private: the public classes validate input.

Every kernel is one body over a range of rows (samples) or components; the serial path calls it
on the whole range, and the parallel path on pieces of whole blocks on the work-sharing team
(:mod:`invlin._kernels.team`). The public functions at the bottom take the parallel path only
for large inputs (waking threads dominates small ones). The bodies either write disjoint
entries (elementwise maps, per-sample inverses) or give each piece whole components (the
gradient sums over samples run in sample order per component), so both paths give bitwise the
same result for any number of threads.
"""

import numpy as np

from invlin._kernels.jit import kernel
from invlin._kernels.team import over_range

# Work (samples x components x (1 + units)) from which the parallel path is used. Measured on 2
# cores (serial / team, microseconds): 128 x 256 x 1 (2^15): maps 212 / 299, gradient 82 / 141;
# 512 x 64 x 5 (about 2^17.3): maps 2399 / 1601, gradient 2768 / 1496, inverse 16557 / 11116.
PARALLEL_MIN_WORK = 1 << 17
# Rows (samples) per block of the parallel path of the elementwise maps and inverses.
ROW_BLOCK = 64
# Components per block of the gradient: the samples are visited in order for a block of
# components at a time, so that consecutive reads of a sample's row share cache lines.
COMPONENT_BLOCK = 16


@kernel
def _value_slope(p, n_units, t):
    """f(t) and f'(t) for one component's parameter row p."""
    value = p[0] * t + p[1]
    slope = p[0]
    for r in range(n_units):
        w = p[2 + r]
        gamma = p[2 + n_units + r]
        th = np.tanh(gamma * t + p[2 + 2 * n_units + r])
        value += w * th
        slope += w * gamma * (1.0 - th * th)
    return value, slope


@kernel
def _maps_rows(params, t, values, slopes, start, stop):
    """values[i, j], slopes[i, j] = f_j(t[i, j]), f_j'(t[i, j]) for the rows [start, stop)."""
    n_units = (params.shape[1] - 2) // 3
    for i in range(start, stop):
        for j in range(t.shape[1]):
            values[i, j], slopes[i, j] = _value_slope(params[j], n_units, t[i, j])


@kernel
def _backward_components(params, t, g_value, g_slope, grad, start, stop):
    """Rows [start, stop) of the gradient of sum_i g_value_ij f_j(t_ij) + g_slope_ij f_j'(t_ij).

    Derivatives (a_r = gamma_r t + b_r, th_r = tanh a_r, s_r = 1 - th_r^2):
    df/dalpha = t, df/dbeta = 1, df/dw_r = th_r, df/dgamma_r = w_r s_r t, df/db_r = w_r s_r;
    f' = alpha + sum_r w_r gamma_r s_r, so df'/dalpha = 1, df'/dbeta = 0, df'/dw_r = gamma_r s_r,
    df'/dgamma_r = w_r s_r (1 - 2 gamma_r t th_r), df'/db_r = -2 w_r gamma_r s_r th_r
    (using d s_r / d a_r = -2 s_r th_r). Each component's sums run over the samples in order,
    for blocks of COMPONENT_BLOCK components at a time (row-wise reads, cache friendly).
    """
    n_units = (params.shape[1] - 2) // 3
    for j0 in range(start, stop, COMPONENT_BLOCK):
        j1 = min(stop, j0 + COMPONENT_BLOCK)
        for i in range(t.shape[0]):
            for j in range(j0, j1):
                p = params[j]
                tij = t[i, j]
                gv = g_value[i, j]
                gs = g_slope[i, j]
                grad[j, 0] += gv * tij + gs
                grad[j, 1] += gv
                for r in range(n_units):
                    w = p[2 + r]
                    gamma = p[2 + n_units + r]
                    th = np.tanh(gamma * tij + p[2 + 2 * n_units + r])
                    s = 1.0 - th * th
                    grad[j, 2 + r] += gv * th + gs * gamma * s
                    grad[j, 2 + n_units + r] += (gv * w * s * tij
                                                 + gs * w * s * (1.0 - 2.0 * gamma * tij * th))
                    grad[j, 2 + 2 * n_units + r] += gv * w * s - gs * 2.0 * w * gamma * s * th


@kernel
def _invert_one(p, n_units, target, tol, max_iter):
    """Solve f(t) = target for one strictly increasing f: safeguarded Newton in a bracket.

    |sum_r w_r tanh(.)| <= sum_r |w_r| = W, so the root lies in
    [(target - beta - W)/alpha, (target - beta + W)/alpha]. A Newton step that leaves the
    current bracket, or that follows a step which did not halve the residual, is replaced by
    bisection (Newton alone can cycle between the flat tails of a sigmoid-shaped f); the bracket
    shrinks with the sign of f - target, so it at least halves every other iteration.
    Returns the root estimate and the iterations used.
    """
    spread = 0.0
    for r in range(n_units):
        spread += abs(p[2 + r])
    lo = (target - p[1] - spread) / p[0]
    hi = (target - p[1] + spread) / p[0]
    t = (target - p[1]) / p[0]
    previous = np.inf
    for iteration in range(1, max_iter + 1):
        value, slope = _value_slope(p, n_units, t)
        residual = value - target
        if abs(residual) <= tol:
            return t, iteration
        if residual > 0.0:
            hi = t
        else:
            lo = t
        step = t - residual / slope
        if step <= lo or step >= hi or abs(residual) > 0.5 * previous:
            step = 0.5 * (lo + hi)
        previous = abs(residual)
        t = step
    return t, max_iter


@kernel
def _inverse_rows(params, targets, tol, max_iter, out, iterations, start, stop):
    """Componentwise inverses of the rows [start, stop) and the worst iteration count per row."""
    n_units = (params.shape[1] - 2) // 3
    for i in range(start, stop):
        worst = 0
        for j in range(targets.shape[1]):
            out[i, j], used = _invert_one(params[j], n_units, targets[i, j], tol, max_iter)
            worst = max(worst, used)
        iterations[i] = worst


def _is_large(params, t):
    return t.size * (1 + (params.shape[1] - 2) // 3) >= PARALLEL_MIN_WORK


def scalar_maps(params, t):
    """Values f_j(t_ij) and slopes f_j'(t_ij), both of shape (N, n)."""
    values = np.empty(t.shape)
    slopes = np.empty(t.shape)
    over_range(_is_large(params, t),
               lambda start, stop: _maps_rows(params, t, values, slopes, start, stop),
               t.shape[0], ROW_BLOCK)
    return values, slopes


def scalar_maps_backward(params, t, g_value, g_slope):
    """Gradient of sum_ij g_value_ij f_j(t_ij) + g_slope_ij f_j'(t_ij) w.r.t. params (n, 2+3R)."""
    grad = np.zeros(params.shape)
    g_value, g_slope = np.ascontiguousarray(g_value), np.ascontiguousarray(g_slope)
    over_range(_is_large(params, t),
               lambda start, stop: _backward_components(params, t, g_value, g_slope, grad, start,
                                                        stop),
               t.shape[1], COMPONENT_BLOCK)
    return grad


def scalar_maps_inverse(params, targets, tol, max_iter):
    """Componentwise inverses t_ij = f_j^{-1}(targets_ij) and the iterations used per sample."""
    out = np.empty(targets.shape)
    iterations = np.zeros(targets.shape[0], dtype=np.int64)
    args = (params, targets, float(tol), int(max_iter), out, iterations)
    over_range(_is_large(params, targets), lambda start, stop: _inverse_rows(*args, start, stop),
               targets.shape[0], ROW_BLOCK)
    return out, iterations
