"""Slow, obviously correct reference implementations that the compiled kernels are compared with.

Plain Python loops and the textbook formulas, straight from the parameter layouts documented in
the model classes; nothing here is shared with the code under test.
"""

import math

import numpy as np


# -- models ------------------------------------------------------------------------------------
def linear_forward(matrix, bias, x):
    """phi(x_i) = K x_i + b by loops."""
    n_samples, n = x.shape
    out = np.zeros((n_samples, n))
    for i in range(n_samples):
        for r in range(n):
            out[i, r] = bias[r] + sum(matrix[r, col] * x[i, col] for col in range(n))
    return out


def scalar_map(row, t):
    """f(t) and f'(t) for one row [alpha, beta, w_1..w_R, gamma_1..gamma_R, b_1..b_R]."""
    n_units = (len(row) - 2) // 3
    alpha, beta = row[0], row[1]
    w = row[2 : 2 + n_units]
    gamma = row[2 + n_units : 2 + 2 * n_units]
    b = row[2 + 2 * n_units :]
    value = alpha * t + beta + sum(w[r] * math.tanh(gamma[r] * t + b[r]) for r in range(n_units))
    slope = alpha + sum(w[r] * gamma[r] / math.cosh(gamma[r] * t + b[r]) ** 2 for r in range(n_units))
    return value, slope


def diagonal_forward(basis, table, x):
    """phi(x) = sum_j f_j(<x, v_j>) v_j, and its Jacobians V diag(f') V^T."""
    n_samples, n = x.shape
    out = np.zeros((n_samples, n))
    jac = np.zeros((n_samples, n, n))
    for i in range(n_samples):
        for j in range(n):
            t = sum(x[i, a] * basis[a, j] for a in range(n))
            value, slope = scalar_map(table[j], t)
            out[i] += value * basis[:, j]
            jac[i] += slope * np.outer(basis[:, j], basis[:, j])
    return out, jac


def scalar_inverse(row, target, tol=1e-13):
    """f^{-1}(target) for an increasing scalar map, by plain bisection."""
    lo, hi = -1.0, 1.0
    while scalar_map(row, lo)[0] > target:
        lo *= 2.0
    while scalar_map(row, hi)[0] < target:
        hi *= 2.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if scalar_map(row, mid)[0] < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# -- losses ------------------------------------------------------------------------------------
def objective(outputs, jacobians, target, metric, regulariser, c):
    """mean_i |phi(x_i) - t_i|^2_M - c mean_i R(x_i) from outputs and Jacobians, by loops."""
    n_samples, n = outputs.shape
    metric = np.eye(n) if metric is None else metric
    total = 0.0
    for i in range(n_samples):
        r = outputs[i] - target[i]
        total += float(r @ metric @ r)
        if regulariser == "logdet":
            sign, logdet = np.linalg.slogdet(jacobians[i])
            assert sign > 0
            total -= c * logdet
        elif regulariser == "divergence":
            total -= c * float(np.trace(jacobians[i]))
    return total / n_samples


def reconstruction(preimages, x):
    """mean_i |phi^{-1}(u_i) - x_i|^2 by loops."""
    return sum(float(np.sum((preimages[i] - x[i]) ** 2)) for i in range(x.shape[0])) / x.shape[0]


def spline_map(knots, row, t):
    """f(t), f'(t) of a MonotoneSpline row [beta, s_0..s_K]: slope by np.interp (constant beyond
    the knots), value by adaptive quadrature of the slope from the anchor knot K // 2."""
    from scipy.integrate import quad

    slopes = np.asarray(row[1:], dtype=float)

    def slope(u):
        return float(np.interp(u, knots, slopes))

    anchor = knots[(len(knots) - 1) // 2]
    inner = [k for k in knots if min(anchor, t) < k < max(anchor, t)]
    integral, _ = quad(slope, anchor, t, points=inner or None, epsabs=1e-13, epsrel=1e-13,
                       limit=500)
    return row[0] + integral, slope(t)


# -- operators ---------------------------------------------------------------------------------
def dct_matrix(n):
    """The orthonormal DCT-II basis as columns v_j(i) = c_j cos(pi j (2i + 1) / (2n)), by loops."""
    matrix = np.zeros((n, n))
    for j in range(n):
        c = math.sqrt((1.0 if j == 0 else 2.0) / n)
        for i in range(n):
            matrix[i, j] = c * math.cos(math.pi * j * (2 * i + 1) / (2 * n))
    return matrix


def reflective_convolution_matrix(n, kernel):
    """(A x)_i = sum_k h_k x_{i-k} with half-sample symmetric extension, kernel h_{-m..m}."""
    radius = (len(kernel) - 1) // 2
    matrix = np.zeros((n, n))
    for i in range(n):
        for k in range(-radius, radius + 1):
            index = i - k
            if index < 0:
                index = -1 - index
            elif index >= n:
                index = 2 * n - 1 - index
            matrix[i, index] += kernel[k + radius]
    return matrix
