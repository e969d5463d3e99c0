"""The MAP objective 1/2 |A x - y|^2 - delta^2 log p(x), its gradient and Hessian."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_points


def _pair(problem, x, y) -> tuple[np.ndarray, np.ndarray, bool]:
    x, single_x = as_points(x, "x", problem.dim)
    y, single_y = as_points(y, "y", problem.m)
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x and y must hold the same number of points, got {x.shape[0]} and {y.shape[0]}"
        )
    return x, y, single_x and single_y


def map_objective(problem, x, y) -> np.ndarray:
    """MAP objective f(x; y) = 1/2 |A x - y|^2 - delta^2 log p(x), shape ``(N,)``.

    Parameters
    ----------
    problem : LinearInverseProblem
    x : array_like, shape (N, n) or (n,)
    y : array_like, shape (N, m) or (m,)

    Notes
    -----
    f is delta^2 times the negative log posterior up to a constant, so its minimisers are the
    MAP estimates.
    """
    x, y, single = _pair(problem, x, y)
    values = _objective(problem, x, y)
    return values[0] if single else values


def map_gradient(problem, x, y) -> np.ndarray:
    """Gradient A^T (A x - y) - delta^2 grad log p(x) of the MAP objective, shape ``(N, n)``.

    Notes
    -----
    Setting it to zero gives the prior-based normal equation
    A^T A x - delta^2 grad log p(x) = z with z = A^T y.
    """
    x, y, single = _pair(problem, x, y)
    values = _gradient(problem, x, y)
    return values[0] if single else values


def map_hessian(problem, x) -> np.ndarray:
    """Hessian A^T A - delta^2 Hess log p(x) of the MAP objective, shape ``(N, n, n)``."""
    x, single = as_points(x, "x", problem.dim)
    values = _hessian(problem, x)
    return values[0] if single else values


def _objective(problem, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    residual = x @ problem.A.T - y
    return 0.5 * np.sum(residual**2, axis=1) - problem.delta**2 * problem.prior.logpdf(x)


def _gradient(problem, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    A = problem.A
    return (x @ A.T - y) @ A - problem.delta**2 * problem.prior.score(x)


def _hessian(problem, x: np.ndarray) -> np.ndarray:
    return problem.normal_operator[None] - problem.delta**2 * problem.prior.hessian(x)
