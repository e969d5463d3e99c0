"""Numba kernels of MonotoneSpline: per-component increasing C^1 quadratic splines.

Component j has knots kappa_0 < ... < kappa_K (row j of ``knots``, shape (n, K + 1)) and
parameters ``params[j] = [beta, s_0, ..., s_K]``. Its slope s(t) is the piecewise-linear
interpolant of the knot slopes s_k, constant (s_0, s_K) outside the knots, and

    f(t) = beta + G(t) - G(kappa_m),   G(t) = int_{kappa_0}^t s(u) du,   m = K // 2 (the anchor),

so f is piecewise quadratic, C^1, linear beyond the outer knots, and LINEAR in the parameters.
With u = t - kappa_k and h_k = kappa_{k+1} - kappa_k on [kappa_k, kappa_{k+1}):

    G(t) = C_k + s_k (u - u^2 / (2 h_k)) + s_{k+1} u^2 / (2 h_k),
    C_k = sum_{i<k} (s_i + s_{i+1}) h_i / 2,
    f'(t) = s_k (1 - u / h_k) + s_{k+1} u / h_k.

Private: the public class validates input. The loops are serial (the quadrature losses evaluate
a few thousand nodes per component; thread start-up would dominate).

Compiled through :mod:`invlin._kernels.jit` (numpy error model: the divisors, the knot spacings
h_k > 0 and the slopes, are positive by the model's constraints).
"""

import numpy as np

from invlin._kernels.jit import kernel


@kernel
def _locate(knots, t):
    """Interval index in the increasing array ``knots``: -1 left of kappa_0, K at or right of
    kappa_K, else k with kappa_k <= t < kappa_{k+1} (bisection)."""
    last = knots.shape[0] - 1
    if t < knots[0]:
        return -1
    if t >= knots[last]:
        return last
    lo = 0
    hi = last
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if knots[mid] <= t:
            lo = mid
        else:
            hi = mid
    return lo


@kernel
def _cumulative(knots, p, cum):
    """cum[k] = C_k = G(kappa_k) for the slopes p[1:]."""
    cum[0] = 0.0
    for k in range(knots.shape[0] - 1):
        cum[k + 1] = cum[k] + 0.5 * (p[1 + k] + p[2 + k]) * (knots[k + 1] - knots[k])


@kernel
def _value_slope(knots, p, cum, t):
    """f(t) and f'(t) for one component."""
    last = knots.shape[0] - 1
    k = _locate(knots, t)
    if k < 0:
        g = p[1] * (t - knots[0])
        slope = p[1]
    elif k == last:
        g = cum[last] + p[1 + last] * (t - knots[last])
        slope = p[1 + last]
    else:
        h = knots[k + 1] - knots[k]
        u = t - knots[k]
        d = p[2 + k] - p[1 + k]
        g = cum[k] + p[1 + k] * u + d * u * u / (2.0 * h)
        slope = p[1 + k] + d * u / h
    return p[0] + g - cum[last // 2], slope


@kernel
def _maps(knots, params, t, values, slopes):
    cum = np.empty(knots.shape[1])
    for j in range(t.shape[1]):
        _cumulative(knots[j], params[j], cum)
        for i in range(t.shape[0]):
            values[i, j], slopes[i, j] = _value_slope(knots[j], params[j], cum, t[i, j])


@kernel
def _backward(knots, t, g_value, g_slope, grad):
    """grad[j] = d/dparams[j] of sum_i g_value_ij f_j(t_ij) + g_slope_ij f_j'(t_ij).

    f is linear in [beta, s]: df/dbeta = 1; the partial interval of t contributes
    (u - u^2/(2h), u^2/(2h)) to (s_k, s_{k+1}) and each complete interval i left of t contributes
    h_i / 2 to s_i and s_{i+1}; the anchor subtracts the complete intervals left of kappa_m. The
    complete-interval terms are accumulated per interval count and summed from the right, so a
    component costs O(N log K + K). f' = s_k (1 - u/h) + s_{k+1} u/h (s_0, s_K in the tails).
    """
    last = knots.shape[1] - 1
    anchor = last // 2
    counts = np.empty(last + 1)
    for j in range(t.shape[1]):
        kn = knots[j]
        counts[:] = 0.0
        total = 0.0
        for i in range(t.shape[0]):
            tij = t[i, j]
            gv = g_value[i, j]
            gs = g_slope[i, j]
            total += gv
            k = _locate(kn, tij)
            if k < 0:
                grad[j, 1] += gv * (tij - kn[0]) + gs
            elif k == last:
                grad[j, 1 + last] += gv * (tij - kn[last]) + gs
                counts[last] += gv
            else:
                h = kn[k + 1] - kn[k]
                u = tij - kn[k]
                q = u * u / (2.0 * h)
                grad[j, 1 + k] += gv * (u - q) + gs * (1.0 - u / h)
                grad[j, 2 + k] += gv * q + gs * u / h
                counts[k] += gv
        grad[j, 0] += total
        counts[anchor] -= total
        after = 0.0
        for k in range(last - 1, -1, -1):
            after += counts[k + 1]
            half = 0.5 * after * (kn[k + 1] - kn[k])
            grad[j, 1 + k] += half
            grad[j, 2 + k] += half


@kernel
def _invert_one(knots, p, cum, target):
    """Exact preimage of target: locate the interval by the knot values, solve its quadratic."""
    last = knots.shape[0] - 1
    g = target - p[0] + cum[last // 2]
    lo = _locate(cum, g)  # cum is increasing, cum[0] = 0: the interval whose G-values hold g
    if lo < 0:
        return knots[0] + g / p[1]
    if lo == last:
        return knots[last] + (g - cum[last]) / p[1 + last]
    h = knots[lo + 1] - knots[lo]
    r = g - cum[lo]
    s = p[1 + lo]
    disc = s * s + 2.0 * (p[2 + lo] - s) * r / h
    # r <= (s_k + s_{k+1}) h / 2 inside the interval, so disc >= s_{k+1}^2 > 0 up to rounding.
    root = 2.0 * r / (s + np.sqrt(max(disc, 0.0)))
    return knots[lo] + min(max(root, 0.0), h)


@kernel
def _inverse(knots, params, targets, out):
    cum = np.empty(knots.shape[1])
    for j in range(targets.shape[1]):
        _cumulative(knots[j], params[j], cum)
        for i in range(targets.shape[0]):
            out[i, j] = _invert_one(knots[j], params[j], cum, targets[i, j])


def spline_maps(knots, params, t):
    """Values f_j(t_ij) and slopes f_j'(t_ij), both of shape (N, n)."""
    values = np.empty(t.shape)
    slopes = np.empty(t.shape)
    _maps(knots, params, np.ascontiguousarray(t), values, slopes)
    return values, slopes


def spline_maps_backward(knots, t, g_value, g_slope):
    """Gradient of sum_ij g_value_ij f_j(t_ij) + g_slope_ij f_j'(t_ij), shape (n, K + 2)."""
    grad = np.zeros((knots.shape[0], knots.shape[1] + 1))
    _backward(knots, np.ascontiguousarray(t), np.ascontiguousarray(g_value),
              np.ascontiguousarray(g_slope), grad)
    return grad


def spline_maps_inverse(knots, params, targets):
    """Componentwise exact inverses t_ij = f_j^{-1}(targets_ij), shape (N, n)."""
    out = np.empty(targets.shape)
    _inverse(knots, params, np.ascontiguousarray(targets), out)
    return out
