"""Bound-constrained L-BFGS (scipy's L-BFGS-B) on a deterministic objective of a model."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from invlin.errors import TrainingDivergedError

__all__ = ["minimise_lbfgs"]

# Remembered curvature pairs: the spline's losses have ~100 strongly coupled parameters; a long
# memory (scipy's default is 10) approaches Newton's rate on such small convex problems.
MEMORY = 50


def minimise_lbfgs(model, objective, *, steps: int, tol: float | None, bar, projected_norm):
    r"""Minimise ``objective()`` over the model's parameters by L-BFGS-B within its box.

    Parameters
    ----------
    model : InvertibleModel
        Must offer ``parameter_bounds() -> (lower, upper)`` (its constraints as a box).
    objective : callable
        ``objective() -> (value, grad)`` at the model's current parameters (deterministic).
    steps : int
        Maximum number of L-BFGS-B iterations.
    tol : float or None
        Stop once the projected gradient norm is <= tol; None runs until L-BFGS-B stops (no
        progress in the line search, or ``steps``).
    bar : ProgressBar
        Updated once per iteration.
    projected_norm : callable
        ``projected_norm(theta, grad) -> float``, the stopping measure of :func:`train`.

    Returns
    -------
    losses, gradient_norms : list of float
        Per iteration (at the accepted iterates, the first entry at the start).
    converged : bool
        Whether the projected gradient norm reached ``tol`` (L-BFGS-B's own success flag when
        ``tol`` is None).

    Notes
    -----
    The model's parameters are set to each point scipy evaluates and left at the final iterate.
    L-BFGS-B's own tests are switched off (``ftol = gtol = 0``) so that it stops only at ``tol``
    (checked in the callback), at ``steps``, or when the line search can make no progress
    (rounding floor).
    """
    lower, upper = model.parameter_bounds()
    bounds = list(zip(np.where(np.isfinite(lower), lower, None),
                      np.where(np.isfinite(upper), upper, None)))

    last = {}

    def fun(theta):
        model.set_parameters(theta)
        value, grad = objective()
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            raise TrainingDivergedError(f"non-finite loss or gradient (loss {value})")
        last.update(theta=theta.copy(), value=value, grad=grad)
        return value, grad

    theta0 = model.get_parameters()
    value, grad = fun(theta0)
    losses = [value]
    norms = [projected_norm(theta0, grad)]
    if tol is not None and norms[0] <= tol:
        return losses, norms, True

    class _Stop(Exception):
        pass

    def callback(intermediate_result):
        theta = intermediate_result.x
        if not np.array_equal(theta, last["theta"]):
            fun(theta)
        model.set_parameters(theta)
        val, g = last["value"], last["grad"]
        losses.append(val)
        norms.append(projected_norm(theta, g))
        bar.update(postfix=f"loss {val:.10g} |grad| {norms[-1]:.2e}")
        if tol is not None and norms[-1] <= tol:
            raise _Stop

    converged = False
    try:
        result = minimize(fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                          callback=callback,
                          options={"maxiter": steps, "maxcor": MEMORY, "ftol": 0.0, "gtol": 0.0,
                                   "maxls": 50})
        model.set_parameters(result.x)
        converged = bool(result.success) if tol is None else False
    except _Stop:
        converged = True
    return losses, norms, converged
