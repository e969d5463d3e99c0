"""Population training of a monotone spline on a 1-D problem y = a x + delta eta, any prior."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invlin._validation import as_float_array, positive_int, positive_scalar
from invlin.losses import Loss, PopulationQuadrature, QuadratureError, prior_support
from invlin.models import MonotoneSpline
from invlin.problem import LinearInverseProblem
from invlin.training.train import train

__all__ = ["PopulationFit", "fit_population_1d"]

# The knots span the prior's support up to this tail mass: beyond, the spline is linear and the
# loss sees at most 2e-6 of the prior's mass.
KNOT_TAIL_MASS = 1e-6


@dataclass(frozen=True)
class PopulationFit:
    """What :func:`fit_population_1d` reports next to the trained model.

    Attributes
    ----------
    loss : float
        The quadrature expected loss at the final parameters.
    quadrature_error : QuadratureError
        Error estimate of that value (:meth:`PopulationQuadrature.error`).
    final_gradient_norm : float
        Projected gradient norm at the final parameters.
    converged : bool
        Whether the projected gradient norm reached ``tol``.
    steps : int
        Optimiser iterations run.
    wall_time : float
        Seconds spent optimising.
    problem : LinearInverseProblem
        The 1x1 problem ``A = [[a]]`` that was trained on.
    """

    loss: float
    quadrature_error: QuadratureError
    final_gradient_norm: float
    converged: bool
    steps: int
    wall_time: float
    problem: LinearInverseProblem


def fit_population_1d(prior, a: float, delta: float, loss: str, form: str = "z",
                      weight: float | None = None, *, n_knots: int = 193, knots=None,
                      lipschitz: float | None = None, optimizer: str = "newton",
                      steps: int = 200, tol: float = 1e-11,
                      n_panels: int = 200, nodes_per_panel: int = 8, tail_tol: float = 1e-15,
                      progress: bool | None = None) -> tuple[MonotoneSpline, PopulationFit]:
    r"""Fit a :class:`~invlin.models.MonotoneSpline` to the exact expected loss of a 1-D problem.

    Parameters
    ----------
    prior : invlin.priors.Prior
        Any 1-D prior (only ``logpdf``, ``score``, ``hessian``, ``mean``, ``covariance``).
    a : float
        Forward gain, ``y = a x + delta eta`` (non-zero).
    delta : float
        Noise level > 0.
    loss : {"approximation", "reconstruction", "logdet", "divergence"}
    form : {"y", "z", "z-weighted"}, optional
    weight : float, optional
        Regulariser weight c (default ``2 delta^2``).
    n_knots : int, optional
        Number of uniform knots on the prior's support up to tail mass 1e-6 (ignored if
        ``knots`` is given).
    knots : array_like, optional
        Explicit increasing knots.
    lipschitz : float, optional
        Slope box [1 - L, 1 + L] (iResNet form).
    optimizer : {"newton", "lbfgs", "adam"}, optional
        See :func:`invlin.train`; Newton (exact Hessian) by default.
    steps, tol : optional
        Optimiser iterations and the projected-gradient stopping tolerance.
    n_panels, nodes_per_panel, tail_tol : optional
        The quadrature rule (:class:`~invlin.losses.PopulationQuadrature`).
    progress : bool, optional

    Returns
    -------
    model : MonotoneSpline
        ``model.forward`` is phi and ``model.inverse`` the learned reconstruction, both on
        points of shape (N, 1) (``data[:, None]`` for a 1-D array of N data).
    info : PopulationFit

    Notes
    -----
    The spline is linear in its parameters, so for the approximation, divergence and log-det
    losses the quadrature objective is convex and a stationary point is its global minimiser
    over the spline class (Newton reaches it in a few steps; the divergence loss is quadratic); the
    reconstruction loss is not convex in the parameters (Gauss-Newton). The start is the
    identity map. The remaining distance to the function-space optimum is the spline's
    approximation error plus the optimiser's residual (bounded by ``final_gradient_norm`` over
    the loss curvature) plus the quadrature error.
    """
    a = float(a)
    if not np.isfinite(a) or a == 0.0:
        raise ValueError(f"a must be finite and non-zero, got {a}")
    delta = positive_scalar(delta, "delta")
    if prior.dim != 1:
        raise ValueError(f"prior must be 1-D, got dim {prior.dim}")
    if knots is None:
        lo, hi, _ = prior_support(prior, KNOT_TAIL_MASS)
        knots = np.linspace(lo, hi, positive_int(n_knots, "n_knots"))
    knots = as_float_array(knots, "knots", ndim=1)
    problem = LinearInverseProblem(np.array([[a]]), delta, prior)
    model = MonotoneSpline(knots, lipschitz=lipschitz)
    loss_obj = Loss(loss, form=form, weight=weight)
    quadrature = PopulationQuadrature(model, problem, loss_obj, n_panels=n_panels,
                                      nodes_per_panel=nodes_per_panel, tail_tol=tail_tol)
    result = train(model, problem, loss, form=form, weight=weight, population=quadrature,
                   optimizer=optimizer, steps=steps, tol=tol, seed=0, progress=progress)
    value, _ = quadrature.value_and_grad(model)
    info = PopulationFit(loss=value, quadrature_error=quadrature.error(model),
                         final_gradient_norm=result.final_gradient_norm,
                         converged=result.converged, steps=result.steps,
                         wall_time=result.wall_time, problem=problem)
    return model, info
