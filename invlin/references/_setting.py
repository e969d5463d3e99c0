"""The validated 1-D setting every reference is computed for."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from invlin.losses import Loss
from invlin.priors import Prior
from invlin.problem import LinearInverseProblem
from invlin.references import _theory


@dataclass(frozen=True)
class Setting:
    """y = a x + delta eta with a 1-D prior, and one loss in one form.

    Attributes
    ----------
    prior : Prior
    a, delta : float
    loss, form : str
    weight : float or None
        The regulariser weight c (the given one, else 2 delta^2); None without a regulariser.
    target_coefficient : float
        T: the training target is T x + noise (T = a for y, a^2 for z, z-weighted).
    metric : float
        M: the data-term weight (1, or 1/a^2 for z-weighted).
    problem : LinearInverseProblem
        The 1 x 1 problem [[a]] (for the Bayesian estimators).
    """

    prior: Prior
    a: float
    delta: float
    loss: str
    form: str
    weight: float | None
    target_coefficient: float
    metric: float
    problem: LinearInverseProblem


def nonzero_scalar(value, name: str) -> float:
    """Return ``value`` as a float, requiring it real, finite and non-zero."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value == 0.0:
        raise ValueError(f"{name} must be finite and != 0, got {value}")
    return value


def setting(prior, a, delta, loss, form, weight) -> Setting:
    """Validate the inputs of a reference and resolve the weight, T and M.

    Raises
    ------
    TypeError, ValueError
        For a prior that is not a 1-D :class:`~invlin.priors.Prior`, ``a`` zero or not finite,
        ``delta <= 0``, an unknown loss or form, z-weighted reconstruction, a weight on an
        unregularised loss, or the y-form with ``a < 0`` (its optimum is then decreasing, outside
        the increasing maps the references cover; the z-forms depend on ``a^2`` only).
    """
    if not isinstance(prior, Prior):
        raise TypeError(f"prior must be an invlin.priors.Prior, got {type(prior).__name__}")
    if prior.dim != 1:
        raise ValueError(
            f"prior must be 1-D (pass prior.marginal(v_j) for component j of a diagonal problem "
            f"with a product prior), got dim {prior.dim}"
        )
    a = nonzero_scalar(a, "a")
    spec = Loss(loss, form, weight)
    if spec.form == "y" and a < 0:
        raise ValueError(
            f"form 'y' needs a > 0 (for a < 0 the y-form optimum is decreasing), got a = {a}"
        )
    problem = LinearInverseProblem([[a]], delta, prior)
    weight = spec.resolved_weight(problem) if spec.regulariser is not None else None
    return Setting(
        prior=prior,
        a=a,
        delta=problem.delta,
        loss=spec.name,
        form=spec.form,
        weight=weight,
        target_coefficient=float(_theory.target_coefficient(spec.form)(a)),
        metric=float(_theory.data_metric(spec.form)(a)),
        problem=problem,
    )
