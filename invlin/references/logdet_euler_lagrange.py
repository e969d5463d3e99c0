"""Newton solve of the log-det Euler-Lagrange equation in transport form (finite differences)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_banded

from invlin.references._grid import Grid

# Newton stops after a full step below STEP_TOL (1 + max|phi|). The second differences divide
# rounding errors of phi (eps |phi|) by h^2, so the attainable step is limited by rounding to
# about 1e-12 (1 + max|phi|) on the grids used; when max|F| cannot be decreased any more and
# the Newton step is below ROUNDING_STEP (1 + max|phi|), the iterate is at that floor and the
# step is taken as the last one.
STEP_TOL = 1e-12
ROUNDING_STEP = 1e-10
MAX_NEWTON = 100
MAX_HALVINGS = 60


def euler_lagrange_residual(phi, x, h, score, target_coefficient, metric, weight):
    """The discretised Euler-Lagrange residual F (shape (N + 1,)) and its banded Jacobian.

    Returns
    -------
    residual : ndarray, shape (N + 1,)
    bands : ndarray, shape (5, N + 1)
        The Jacobian in the (2, 2) band storage of ``scipy.linalg.solve_banded``.
    """
    T, M, c = target_coefficient, metric, weight
    slope = (phi[2:] - phi[:-2]) / (2.0 * h)
    bend = (phi[2:] - 2.0 * phi[1:-1] + phi[:-2]) / h**2
    offset = phi[1:-1] - T * x[1:-1]
    s = score[1:-1]
    residual = np.empty_like(phi)
    residual[1:-1] = 2.0 * M * offset * slope**2 + c * (s * slope - bend)
    residual[0] = (phi[0] - 2.0 * phi[1] + phi[2]) / h**2
    residual[-1] = (phi[-1] - 2.0 * phi[-2] + phi[-3]) / h**2
    n = phi.size
    bands = np.zeros((5, n))  # row 2 + i - j holds J[i, j]
    d_slope = 2.0 * M * offset * 2.0 * slope / (2.0 * h) + c * s / (2.0 * h)
    interior = np.arange(1, n - 1)
    # J[i, i-1], J[i, i], J[i, i+1] for interior rows
    bands[3, interior - 1] = -d_slope - c / h**2
    bands[2, interior] = 2.0 * M * slope**2 + 2.0 * c / h**2
    bands[1, interior + 1] = d_slope - c / h**2
    # boundary rows: phi'' = 0 from one-sided second differences
    bands[2, 0], bands[1, 1], bands[0, 2] = 1 / h**2, -2 / h**2, 1 / h**2
    bands[2, n - 1], bands[3, n - 2], bands[4, n - 3] = 1 / h**2, -2 / h**2, 1 / h**2
    return residual, bands


def logdet_euler_lagrange(grid: Grid, score: np.ndarray, target_coefficient: float,
                          metric: float, weight: float, start: np.ndarray) -> np.ndarray:
    """Solve the log-det Euler-Lagrange equation for phi on the grid nodes by Newton's method.

    Parameters
    ----------
    grid : Grid
    score : ndarray, shape (N + 1,)
        (log p)'(x_i).
    target_coefficient, metric, weight : float
        T, M, c (see :func:`invlin.references.logdet_direct.logdet_direct`).
    start : ndarray, shape (N + 1,)
        An increasing start (the Gaussian-prior optimum; never the direct minimiser, so that
        the two methods stay independent).

    Returns
    -------
    ndarray, shape (N + 1,)

    Notes
    -----
    The equation (``theory.function_space.logdet_first_variation``, claim
    ``logdet-euler-lagrange``) is ``T phi^{-1}(u) = u + (c/(2M)) (log q)'(u)`` with
    q = phi_# p. In transport form, q(phi(x)) phi'(x) = p(x) gives

    .. math::

        (\\log q)'(\\phi(x)) = \\frac{(\\log p)'(x) - \\phi''(x)/\\phi'(x)}{\\phi'(x)},

    so at u = phi(x) the equation reads, multiplied by 2 M phi'^2,

    .. math::

        F = 2M(\\phi - T x)\\,\\phi'^2 + c\\,\\bigl((\\log p)'\\,\\phi' - \\phi''\\bigr) = 0.

    phi' and phi'' are central differences (second order); at the two ends of the truncated
    domain phi'' = 0 (the solution is asymptotically affine in the tails; the error this
    causes decays into the interior like the prior density, as the mode it excites grows like
    1/p towards the ends). The Jacobian is banded (2, 2); Newton steps are damped by halving
    until max|F| decreases. Newton stops when the step falls below 1e-12 (1 + max|phi|), or
    below 1e-10 (1 + max|phi|) once max|F| is at its rounding floor (see STEP_TOL).
    """
    x, h = grid.x, grid.spacing
    phi = np.array(start, dtype=np.float64)
    args = (x, h, score, target_coefficient, metric, weight)
    residual, bands = euler_lagrange_residual(phi, *args)
    size = np.max(np.abs(residual))
    for _ in range(MAX_NEWTON):
        step = solve_banded((2, 2), bands, -residual)
        step_size = np.max(np.abs(step)) / (1.0 + np.max(np.abs(phi)))
        if step_size <= STEP_TOL:
            return phi + step
        t = 1.0
        for _ in range(MAX_HALVINGS):
            trial = phi + t * step
            if np.all(np.diff(trial) > 0):
                trial_residual, trial_bands = euler_lagrange_residual(trial, *args)
                trial_size = np.max(np.abs(trial_residual))
                if trial_size < size:
                    break
            t *= 0.5
        else:
            if step_size <= ROUNDING_STEP:
                return phi + step
            raise RuntimeError("log-det Euler-Lagrange solve: no decrease along the Newton step")
        phi, residual, bands, size = trial, trial_residual, trial_bands, trial_size
    raise RuntimeError(f"log-det Euler-Lagrange solve did not converge in {MAX_NEWTON} steps")
