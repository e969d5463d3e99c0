"""Inverting invertible models: the result record shared by every model's ``inverse``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invlin.errors import InversionError


@dataclass(frozen=True)
class InversionResult:
    """Outcome of inverting a model at N points.

    Attributes
    ----------
    x : ndarray, shape (N, n)
        The computed preimages.
    residual : ndarray, shape (N,)
        ``|phi(x_i) - u_i|`` (Euclidean norm) at the returned points.
    iterations : int
        Iterations used (the maximum over points).
    converged : ndarray of bool, shape (N,)
        Whether each point met the tolerance.
    """

    x: np.ndarray
    residual: np.ndarray
    iterations: int
    converged: np.ndarray

    def raise_if_failed(self, tol: float) -> None:
        """Raise :class:`InversionError` naming the failed points if any did not converge."""
        if not np.all(self.converged):
            bad = np.flatnonzero(~self.converged)
            raise InversionError(
                f"inversion did not converge at {bad.size} of {self.converged.size} points "
                f"(first index {bad[0]}, residual {self.residual[bad[0]]:.3e} > tol {tol:.1e} "
                f"after {self.iterations} iterations)"
            )


def finish(x, u, forward, *, tol: float, iterations: int, single: bool, return_info: bool):
    """Package a computed inverse: residuals, convergence flags, and the error or the record.

    Parameters
    ----------
    x, u : ndarray, shape (N, n)
        Computed preimages and the points that were inverted.
    forward : callable
        The model's forward map, used to measure the residuals ``|phi(x_i) - u_i|``.
    tol : float
        Residual tolerance (Euclidean norm per point).
    iterations : int
        Iterations used (the maximum over points).
    single : bool
        Whether a single point of shape ``(n,)`` was given (then ``(n,)`` is returned).
    return_info : bool
        Return an :class:`InversionResult` (never raising) instead of the array.

    Returns
    -------
    ndarray or InversionResult

    Raises
    ------
    InversionError
        If a point misses the tolerance and ``return_info`` is False.
    """
    residual = np.linalg.norm(forward(x) - u, axis=1)
    result = InversionResult(
        x=x, residual=residual, iterations=int(iterations), converged=residual <= tol
    )
    if return_info:
        return result
    result.raise_if_failed(tol)
    return x[0] if single else x


def fixed_point(residual_map, u, *, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Solve ``x + g(x) = u`` by the fixed-point iteration ``x <- u - g(x)``.

    Parameters
    ----------
    residual_map : callable
        ``g``, mapping ``(N, n)`` points to ``(N, n)``; a contraction (``Lip(g) <= L < 1``).
    u : ndarray, shape (N, n)
    tol : float
        Stop when every ``|x_{k+1} - x_k|`` (Euclidean) is <= ``tol``.
    max_iter : int

    Returns
    -------
    x : ndarray, shape (N, n)
    iterations : int

    Notes
    -----
    Banach's theorem: the iteration contracts with rate ``L``, so
    ``|x_k - x*| <= L^k / (1 - L) |x_1 - x_0|``, and the residual of the equation equals the last
    step, ``|x_k + g(x_k) - u| = |x_k - x_{k+1}|``.
    """
    x = np.array(u, dtype=np.float64, copy=True)
    for iteration in range(1, max_iter + 1):
        x_new = u - residual_map(x)
        step = np.max(np.linalg.norm(x_new - x, axis=1))
        x = x_new
        if step <= tol:
            return x, iteration
    return x, max_iter


def newton_polish(forward, jacobian, u, x, *, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Refine approximate preimages by Newton's method on ``phi(x) = u`` (small dimension).

    Parameters
    ----------
    forward : callable
        ``phi`` on ``(N, n)`` points.
    jacobian : callable
        ``D phi`` on ``(N, n)`` points, returning ``(N, n, n)``.
    u, x : ndarray, shape (N, n)
        Targets and starting points (e.g. from :func:`fixed_point`).
    tol : float
        Stop when every residual ``|phi(x_i) - u_i|`` is <= ``tol``.
    max_iter : int

    Returns
    -------
    x : ndarray, shape (N, n)
    iterations : int

    Notes
    -----
    ``x <- x - D phi(x)^{-1} (phi(x) - u)``; quadratic convergence near the solution, so a few
    steps take a fixed-point result to rounding level.
    """
    x = np.array(x, dtype=np.float64, copy=True)
    for iteration in range(1, max_iter + 1):
        r = forward(x) - u
        if np.max(np.linalg.norm(r, axis=1)) <= tol:
            return x, iteration - 1
        x = x - np.linalg.solve(jacobian(x), r[..., None])[..., 0]
    return x, max_iter
