"""Training an invertible model on a linear inverse problem with one of the four losses."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from invlin._validation import choice, positive_int, positive_scalar
from invlin.errors import NotInvertibleError, TrainingDivergedError
from invlin.losses import Loss, PopulationQuadrature
from invlin.losses.population import AffinePopulation
from invlin.progress import ProgressBar
from invlin.training.adam import Adam
from invlin.training.lbfgs import minimise_lbfgs
from invlin.training.newton import minimise_newton

__all__ = ["TrainResult", "train"]


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    model : InvertibleModel
        The trained model (the same object that was passed in).
    loss : ndarray, shape (steps,)
        Loss value per step, evaluated before the step's update.
    gradient_norm : ndarray, shape (steps,)
        Norm of the projected gradient per step (see :func:`train`).
    steps : int
        Steps run (fewer than requested if the stopping rule fired).
    converged : bool
        Whether the stopping rule ``gradient_norm <= tol`` fired.
    final_gradient_norm : float
    seed : int
    wall_time : float
        Seconds spent in the training loop.
    """

    model: object
    loss: np.ndarray
    gradient_norm: np.ndarray
    steps: int
    converged: bool
    final_gradient_norm: float
    seed: int
    wall_time: float


def _projected_gradient_norm(model, theta: np.ndarray, grad: np.ndarray) -> float:
    """|theta - P(theta - grad)|: the gradient norm, corrected at active constraints.

    Zero exactly at a stationary point of the constrained problem (for the box and norm-ball
    constraints of invlin's models); equal to |grad| in the interior. The model is left as it
    was.
    """
    step = theta - model._projection(theta - grad)
    return math.sqrt(step @ step)  # numpy.linalg.norm's arithmetic, without its dispatch


def _population_quadrature(model, problem, loss_obj, population):
    """The PopulationQuadrature to train on, or None for the closed form (affine, Gaussian)."""
    if isinstance(population, PopulationQuadrature):
        return population
    components = problem.prior.gaussian_components()
    gaussian = components is not None and components.weights.shape[0] == 1
    if hasattr(model, "_maps") and not (hasattr(model, "_affine") and gaussian):
        return PopulationQuadrature(model, problem, loss_obj)
    return None


def _population_objective(model, problem, loss_obj, population):
    """objective() -> (value, grad) and hessian() -> (p, p) of the exact expected loss (closed
    form or quadrature)."""
    quadrature = _population_quadrature(model, problem, loss_obj, population)
    if quadrature is not None:
        return (lambda: quadrature.value_and_grad(model)), (lambda: quadrature.hessian(model))
    affine = AffinePopulation(model, problem, loss_obj)
    return affine.value_and_grad, affine.hessian


def train(model, problem, loss: str, *, form: str = "z", weight: float | None = None,
          steps: int = 2000, batch_size: int = 256, learning_rate: float = 1e-2, seed: int,
          population=False, tol: float | None = None, progress: bool | None = None,
          final_learning_rate: float | None = None, optimizer: str = "adam",
          estimator="exact") -> TrainResult:
    r"""Train ``model`` with Adam on fresh minibatches (or on the exact expected loss).

    Parameters
    ----------
    model : InvertibleModel
        Trained in place.
    problem : LinearInverseProblem
    loss : {"approximation", "reconstruction", "logdet", "divergence"}
    form : {"y", "z", "z-weighted"}, optional
    weight : float, optional
        Regulariser weight c (default ``2 delta^2``).
    steps : int, optional
        Maximum number of Adam steps.
    batch_size : int, optional
        Fresh samples drawn from ``problem.sample`` per step (ignored with ``population``).
    learning_rate : float, optional
    seed : int
        Seed of the ``numpy.random.default_rng`` that draws every minibatch (required, also with
        ``population``, so that every run states its randomness).
    population : bool or PopulationQuadrature, optional
        Minimise the exact expected loss: in closed form for affine models on a Gaussian prior
        (:func:`invlin.losses.population_value_and_grad`), by quadrature for the other diagonal
        models or priors (:class:`invlin.losses.PopulationQuadrature` with its default rule, or
        the given instance, built for this model, problem and loss).
    tol : float, optional
        Stop once the projected gradient norm is <= tol (never, if None).
    progress : bool, optional
        Show a progress bar; default only when stderr is a terminal.
    final_learning_rate : float, optional
        If given, the learning rate decays geometrically from ``learning_rate`` at the first
        step to ``final_learning_rate`` at step ``steps`` (annealing shrinks the minibatch noise
        of the final iterate); default constant.
    optimizer : {"adam", "lbfgs", "newton"}, optional
        Only with ``population`` (a deterministic objective), within the box
        ``model.parameter_bounds()``; ``steps`` counts their iterations and ``learning_rate``
        is unused. "lbfgs": scipy's L-BFGS-B (:func:`invlin.training.lbfgs.minimise_lbfgs`).
        "newton": projected Newton (:func:`invlin.training.newton.minimise_newton`) with the
        quadrature loss's exact Hessian (Gauss-Newton for reconstruction) for models linear in
        their parameters such as :class:`~invlin.models.MonotoneSpline`, or the closed form's
        difference Hessian (:meth:`invlin.losses.population.AffinePopulation.hessian`) for
        :class:`~invlin.models.DiagonalLinear` on a Gaussian prior.
    estimator : "exact" or invlin.losses.Hutchinson, optional
        Evaluation of the log-det or divergence regulariser: exact Jacobians (default) or
        Hutchinson probes (IResNet), drawn from the minibatch generator after each minibatch.

    Returns
    -------
    TrainResult

    Raises
    ------
    TrainingDivergedError
        On a non-finite loss, gradient or parameter vector.
    NotInvertibleError
        If after a step the model is no longer certified invertible
        (``model.is_invertible()`` false, e.g. ``lipschitz() >= 1`` or a gain <= 0).

    Notes
    -----
    The model is projected once before the first step. Each step: evaluate the loss and gradient
    at :math:`\theta_t`, take an Adam step, and project (``model.project()``), i.e. projected
    Adam, so that constrained optima on the boundary are reached exactly. The stopping rule uses
    the projected gradient :math:`|\theta - P(\theta - \nabla L)|`, which vanishes exactly at
    constrained stationary points. The result is a deterministic function of ``seed``.
    """
    loss_obj = Loss(loss, form=form, weight=weight, estimator=estimator)
    loss_obj.check_compatible(model, problem)
    if population and loss_obj.estimator != "exact":
        raise ValueError("population training evaluates the exact expected loss; it takes no "
                         "stochastic estimator")
    steps = positive_int(steps, "steps")
    batch_size = positive_int(batch_size, "batch_size")
    if tol is not None:
        tol = positive_scalar(tol, "tol")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    rng = np.random.default_rng(seed)
    optimizer = choice(optimizer, "optimizer", ("adam", "lbfgs", "newton"))
    if optimizer != "adam":
        if population is False:
            raise ValueError(f"optimizer {optimizer!r} needs population=True (a deterministic "
                             f"loss)")
        return _train_deterministic(model, problem, loss_obj, population, optimizer,
                                    steps=steps, tol=tol, seed=int(seed), progress=progress)
    optimiser = Adam(learning_rate)
    base_rate = optimiser.learning_rate
    decay = 1.0
    if final_learning_rate is not None:
        final_learning_rate = positive_scalar(final_learning_rate, "final_learning_rate")
        decay = (final_learning_rate / base_rate) ** (1.0 / max(steps - 1, 1))
    model.project()
    if not model.is_invertible():
        raise NotInvertibleError("the initial model is not invertible")
    theta = model.get_parameters()
    losses = np.empty(steps)
    grad_norms = np.empty(steps)
    converged = False
    run = 0
    start = time.perf_counter()
    objective = (_population_objective(model, problem, loss_obj, population)[0]
                 if population is not False else None)
    with ProgressBar(steps, f"train {loss_obj.name} ({form})", enabled=progress) as bar:
        for step in range(steps):
            if objective is not None:
                value, grad = objective()
            else:
                samples = problem.sample(batch_size, rng)
                # drawn here by problem.sample (float64, (batch_size, dim)), and the loss was
                # checked against the model and problem above: no per-step validation
                value, grad = loss_obj.value_and_grad_unchecked(
                    model, samples.x, samples.y if loss_obj.form == "y" else samples.z,
                    problem, rng)
            if not (math.isfinite(value) and np.isfinite(grad).all()):
                raise TrainingDivergedError(
                    f"non-finite loss or gradient at step {step} (loss {value})"
                )
            losses[step] = value
            grad_norms[step] = _projected_gradient_norm(model, theta, grad)
            run = step + 1
            if tol is not None and grad_norms[step] <= tol:
                converged = True
                break
            optimiser.learning_rate = base_rate * decay**step
            theta_new = optimiser.step(theta, grad)
            if not np.isfinite(theta_new).all():
                model.set_parameters(theta)
                raise TrainingDivergedError(f"non-finite parameters after step {step}")
            model.set_parameters(theta_new)
            model.project()
            if not model.is_invertible():
                bound = model.lipschitz()
                detail = "" if bound is None else f" (Lipschitz bound {bound:.4g})"
                raise NotInvertibleError(
                    f"the model stopped being invertible after step {step}{detail}"
                )
            theta = model.get_parameters()
            bar.update(postfix=f"loss {value:.4g} |grad| {grad_norms[step]:.2e}"
                       if bar.enabled else None)
    wall = time.perf_counter() - start
    return TrainResult(
        model=model,
        loss=losses[:run].copy(),
        gradient_norm=grad_norms[:run].copy(),
        steps=run,
        converged=converged,
        final_gradient_norm=float(grad_norms[run - 1]),
        seed=int(seed),
        wall_time=wall,
    )


def _train_deterministic(model, problem, loss_obj, population, optimizer, *, steps, tol, seed,
                         progress) -> TrainResult:
    """The ``optimizer="lbfgs"`` and ``"newton"`` branches of :func:`train`."""
    if not hasattr(model, "parameter_bounds"):
        raise TypeError(f"optimizer {optimizer!r} needs a model with box constraints "
                        f"(parameter_bounds); {type(model).__name__} has none")
    model.project()
    if not model.is_invertible():
        raise NotInvertibleError("the initial model is not invertible")
    objective, hessian = _population_objective(model, problem, loss_obj, population)
    options = dict(steps=steps, tol=tol,
                   projected_norm=lambda theta, grad: _projected_gradient_norm(model, theta, grad))
    start = time.perf_counter()
    label = f"train {loss_obj.name} ({loss_obj.form}, {optimizer})"
    with ProgressBar(steps, label, enabled=progress) as bar:
        if optimizer == "lbfgs":
            losses, norms, converged = minimise_lbfgs(model, objective, bar=bar, **options)
        else:
            losses, norms, converged = minimise_newton(model, objective, hessian, bar=bar,
                                                       **options)
    if not model.is_invertible():
        raise NotInvertibleError(f"the model stopped being invertible during {optimizer}")
    return TrainResult(model=model, loss=np.asarray(losses), gradient_norm=np.asarray(norms),
                       steps=len(losses) - 1, converged=converged,
                       final_gradient_norm=float(norms[-1]), seed=seed,
                       wall_time=time.perf_counter() - start)
