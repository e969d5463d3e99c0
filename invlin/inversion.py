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

