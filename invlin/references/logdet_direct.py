"""Direct minimisation of the discretised 1-D log-det functional (convex, Newton)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_banded

from invlin.references._grid import Grid

# Newton stops when the largest step is below STEP_TOL (1 + max|phi|): at quadratic
# convergence the error after that step is far below it. If the objective cannot be decreased
# any more (its rounding floor) while the step is below ROUNDING_STEP (1 + max|phi|), that
# step is taken as the last one.
STEP_TOL = 1e-12
ROUNDING_STEP = 1e-10
MAX_NEWTON = 100
# Gauss-Legendre nodes per cell for the P1 data term: exact for p times a polynomial of degree
# 2 up to O(h^{2 QUADRATURE_NODES}) in p's smoothness, far below the discretisation error.
QUADRATURE_NODES = 4
ARMIJO = 1e-4
MAX_HALVINGS = 60
# A step may shrink a cell's increment phi_{j+1} - phi_j to at most this fraction of it (the
# barrier -log keeps it positive; this keeps the iterate feasible).
FRACTION_TO_BOUNDARY = 0.99


def logdet_direct(grid: Grid, prior_logpdf, target_coefficient: float, metric: float,
                  weight: float, start: np.ndarray) -> np.ndarray:
    """Minimise the discretised log-det functional over increasing grid functions.

    Parameters
    ----------
    grid : Grid
        Nodes x_i with spacing h and cell masses m_j.
    prior_logpdf : callable
        log p at a 1-D array of points.
    target_coefficient, metric, weight : float
        T, M and c of the loss ``M E(phi(x) - T x - noise)^2 - c E log phi'(x)``.
    start : ndarray, shape (N + 1,)
        An increasing start (e.g. the Gaussian-prior optimum).

    Returns
    -------
    ndarray, shape (N + 1,)
        phi at the nodes.

    Notes
    -----
    Up to the noise constant the loss is ``int p [M (phi - T x)^2 - c log phi'] dx``. It is
    evaluated exactly (up to Gauss-Legendre quadrature of p) on continuous piecewise-linear
    phi (P1 finite elements, nodal values phi_i):

    .. math::

        J_h(\\phi) = M \\int p\\,(\\phi_h - T x)^2\\,dx
            - c \\sum_j m_j \\log\\frac{\\phi_{j+1} - \\phi_j}{h},

    with exact cell masses m_j. This Ritz discretisation is second-order accurate at the
    nodes and strictly convex (a positive quadratic plus -log of positive
    linear forms); its Hessian is tridiagonal. Newton's method (Jacobi-scaled banded solves,
    a fraction-to-the-boundary rule and Armijo backtracking) finds the unique minimiser.
    Truncating the domain to the grid sets the flux c p/phi' to zero at the ends, the discrete
    natural boundary condition; the mass outside (~1e-16) bounds the perturbation it causes.
    """
    x, h = grid.x, grid.spacing
    T, M, c = target_coefficient, metric, weight
    mass = grid.cell_mass
    # P1 elements: on cell j, phi = phi_j N0 + phi_{j+1} N1 (N0 = 1 - theta, N1 = theta), so
    # int_cell p M (phi - T x)^2 = M [A00 phi_j^2 + 2 A01 phi_j phi_{j+1} + A11 phi_{j+1}^2
    # - 2 (b0 phi_j + b1 phi_{j+1})] + const, with p-weighted moments by Gauss-Legendre.
    nodes, gauss_weights = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
    theta = 0.5 * (nodes + 1.0)
    points = x[:-1, None] + h * theta[None, :]
    density = np.exp(prior_logpdf(points.reshape(-1)).reshape(points.shape))
    w = 0.5 * h * gauss_weights[None, :] * density  # (cells, nodes)
    n0, n1 = 1.0 - theta, theta
    a00, a01, a11 = w @ (n0 * n0), w @ (n0 * n1), w @ (n1 * n1)
    b0, b1 = (w * T * points) @ n0, (w * T * points) @ n1
    phi = np.array(start, dtype=np.float64)

    def data_term(values):
        left, right = values[:-1], values[1:]
        return M * np.sum(
            a00 * left**2 + 2.0 * a01 * left * right + a11 * right**2
            - 2.0 * (b0 * left + b1 * right)
        )

    def objective(values):
        increments = np.diff(values)
        if np.any(increments <= 0):
            return np.inf
        return data_term(values) - c * mass @ np.log(increments / h)

    value = objective(phi)
    for _ in range(MAX_NEWTON):
        increments = np.diff(phi)
        flux = mass / increments  # m_j / Delta_j
        curvature = c * mass / increments**2
        gradient = np.zeros_like(phi)
        gradient[:-1] += 2.0 * M * (a00 * phi[:-1] + a01 * phi[1:] - b0) + c * flux
        gradient[1:] += 2.0 * M * (a01 * phi[:-1] + a11 * phi[1:] - b1) - c * flux
        # (the flux terms are d/dphi_j and d/dphi_{j+1} of -c m_j log(phi_{j+1} - phi_j))
        diagonal = np.zeros_like(phi)
        diagonal[:-1] += 2.0 * M * a00 + curvature
        diagonal[1:] += 2.0 * M * a11 + curvature
        off = 2.0 * M * a01 - curvature
        scale = 1.0 / np.sqrt(diagonal)
        bands = np.zeros((3, x.size))
        bands[0, 1:] = off * scale[:-1] * scale[1:]
        bands[1] = 1.0
        bands[2, :-1] = off * scale[:-1] * scale[1:]
        step = scale * solve_banded((1, 1), bands, -gradient * scale)
        step_size = np.max(np.abs(step)) / (1.0 + np.max(np.abs(phi)))
        if step_size <= STEP_TOL:
            return phi + step
        change = np.diff(step)
        shrinking = change < 0
        limit = 1.0
        if np.any(shrinking):
            room = np.min(-increments[shrinking] / change[shrinking])
            limit = min(1.0, FRACTION_TO_BOUNDARY * room)
        slope = gradient @ step
        t = limit
        for _ in range(MAX_HALVINGS):
            trial = phi + t * step
            trial_value = objective(trial)
            rounding = 10 * np.finfo(np.float64).eps * abs(value)
            if trial_value <= value + ARMIJO * t * slope + rounding:
                break
            t *= 0.5
        else:
            if step_size <= ROUNDING_STEP:
                return phi + step
            raise RuntimeError("log-det direct minimisation: no decrease along the Newton step")
        phi, value = trial, trial_value
    raise RuntimeError(f"log-det direct minimisation did not converge in {MAX_NEWTON} steps")
