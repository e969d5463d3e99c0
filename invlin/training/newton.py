"""Projected Newton in a box, for population losses with an exact (or Gauss-Newton) Hessian."""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from invlin.errors import NotInvertibleError, TrainingDivergedError

__all__ = ["minimise_newton"]

# Armijo sufficient-decrease constant and the number of step halvings before giving up.
ARMIJO = 1e-4
MAX_HALVINGS = 60
# Levenberg shift relative to the largest Hessian diagonal: parameters the loss hardly sees
# (spline knots in the far tails, weight ~1e-6) keep a bounded step; 1e-12 relative changes the
# Newton step in the well-determined directions by ~1e-12 relative.
LEVENBERG = 1e-12
# Near the minimiser the decrease a step promises (~|grad|^2 / H) falls below the rounding of
# the loss value itself: a step is then also accepted if the value stays within this relative
# rounding allowance (a few ulps) and the projected gradient norm decreases.
ROUNDING = 8.0 * np.finfo(float).eps


def minimise_newton(model, objective, hessian, *, steps: int, tol: float | None, bar,
                    projected_norm):
    r"""Minimise ``objective()`` by projected Newton within ``model.parameter_bounds()``.

    Parameters
    ----------
    model : InvertibleModel
        With ``parameter_bounds()``; its parameters are left at the final iterate.
    objective : callable
        ``objective() -> (value, grad)`` at the model's current parameters.
    hessian : callable
        ``hessian() -> (p, p)`` symmetric positive semi-definite matrix at the current
        parameters (exact, or Gauss-Newton).
    steps : int
        Maximum number of Newton iterations.
    tol : float or None
        Stop once the projected gradient norm is <= tol (None: until no decrease is possible).
    bar : ProgressBar
    projected_norm : callable
        ``projected_norm(theta, grad) -> float``.

    Returns
    -------
    losses, gradient_norms : list of float
    converged : bool

    Notes
    -----
    Bertsekas' projected Newton method: variables at a bound whose gradient pushes outward
    form the active set; the Newton system :math:`(H_{FF} + \lambda I) d_F = -g_F` is solved on
    the free set (Cholesky; :math:`\lambda` = 1e-12 max diag H, raised tenfold until the
    factorisation succeeds) and the active variables take a gradient step; the step
    :math:`\theta(\alpha) = P(\theta + \alpha d)` is halved from :math:`\alpha = 1` until the
    Armijo condition holds, or, once the promised decrease is below the value's rounding, until
    the value stays within ``ROUNDING`` of its own and the projected gradient norm decreases (a
    trial point where the loss is undefined, raising
    :class:`~invlin.errors.NotInvertibleError` or a singular solve, counts as no decrease).
    Near a minimiser with inactive bounds this is Newton's method, quadratically convergent
    (one step for a quadratic loss such as the divergence loss of a model linear in its
    parameters). It stops at ``tol``, after ``steps`` iterations, when no step decreases the
    loss, or at the rounding floor: an accepted step that decreases neither the loss nor the
    projected gradient norm (the gradient's own rounding error is reached, and further steps
    only repeat it).
    """
    lower, upper = model.parameter_bounds()
    theta = model.get_parameters()
    value, grad = objective()
    losses = [value]
    norms = [projected_norm(theta, grad)]
    for _ in range(steps):
        if tol is not None and norms[-1] <= tol:
            return losses, norms, True
        margin = min(1e-10, norms[-1])
        active = (((theta <= lower + margin) & (grad > 0))
                  | ((theta >= upper - margin) & (grad < 0)))
        free = ~active
        direction = -grad.copy()
        hess = hessian()[np.ix_(free, free)]
        shift = LEVENBERG * max(float(np.max(np.diag(hess), initial=0.0)), 1e-300)
        while True:
            try:
                factor = cho_factor(hess + shift * np.eye(hess.shape[0]))
                break
            except LinAlgError:
                shift *= 10.0
        direction[free] = cho_solve(factor, -grad[free])
        alpha = 1.0
        for _ in range(MAX_HALVINGS):
            trial = np.clip(theta + alpha * direction, lower, upper)
            model.set_parameters(trial)
            try:
                trial_value, trial_grad = objective()
            except (NotInvertibleError, LinAlgError):
                # the trial left the loss's domain (a gain or slope at 0 on the box's edge)
                trial_value = np.inf
            if np.isfinite(trial_value) and (
                    trial_value <= value + ARMIJO * grad @ (trial - theta)
                    or (trial_value <= value + ROUNDING * abs(value)
                        and projected_norm(trial, trial_grad) < norms[-1])):
                break
            alpha *= 0.5
        else:
            model.set_parameters(theta)
            return losses, norms, tol is None
        if not np.all(np.isfinite(trial_grad)):
            raise TrainingDivergedError(f"non-finite gradient (loss {trial_value})")
        stalled = trial_value >= value
        theta, value, grad = trial, trial_value, trial_grad
        losses.append(value)
        norms.append(projected_norm(theta, grad))
        bar.update(postfix=f"loss {value:.12g} |grad| {norms[-1]:.2e}")
        if stalled and norms[-1] >= norms[-2]:
            # neither the loss nor the gradient decreases: the rounding floor
            return losses, norms, tol is None or norms[-1] <= tol
    return losses, norms, tol is not None and norms[-1] <= tol
