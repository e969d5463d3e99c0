"""The four training losses of invlin, on samples, built on the models' engine hooks."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array, choice, positive_scalar
from invlin.losses.estimators import EXACT, resolve_estimator

__all__ = ["LOSSES", "FORMS", "Loss"]

LOSSES = ("approximation", "reconstruction", "logdet", "divergence")
FORMS = ("y", "z", "z-weighted")


class Loss:
    r"""A training loss: its name, data form and regularisation weight.

    Parameters
    ----------
    name : {"approximation", "reconstruction", "logdet", "divergence"}
    form : {"y", "z", "z-weighted"}, optional
        Which data the model is fitted to: ``y = A x + eta`` (requires a square A), the
        normal-equation data ``z = A^T y``, or ``z`` with the data term measured in the metric
        ``M = (A^T A)^{-1}``. Reconstruction has no data-term metric, so it takes "y" or "z".
    weight : float, optional
        Weight c of the regulariser (log-det and divergence losses only); default
        ``2 delta^2`` (the paper's), read from the problem.
    estimator : "exact" or invlin.losses.Hutchinson, default "exact"
        How the log-det or divergence regulariser is evaluated in training: exactly (full
        Jacobians) or by Hutchinson probes with the exact gradient of the estimate
        (:class:`invlin.losses.Hutchinson`; IResNet models). Only for those two losses.

    Notes
    -----
    Normalisation (``docs/architecture.md``): a mean over samples of a sum over components, so
    that values equal ``theory.expected_loss`` in expectation:

    - approximation: :math:`\frac1N \sum_i |\phi(x_i) - t_i|_M^2`
    - log-det: :math:`\frac1N \sum_i |\phi(x_i) - t_i|_M^2 - c \frac1N \sum_i \log\det D\phi(x_i)`
    - divergence: :math:`\frac1N \sum_i |\phi(x_i) - t_i|_M^2
      - c \frac1N \sum_i \operatorname{div}\phi(x_i)`
    - reconstruction: :math:`\frac1N \sum_i |\phi^{-1}(t_i) - x_i|^2`

    with :math:`t = y` or :math:`t = z`, and :math:`M = I` except in the "z-weighted" form.

    Examples
    --------
    >>> Loss("divergence", form="z")
    Loss('divergence', form='z', weight=None)
    """

    def __init__(self, name: str, form: str = "z", weight: float | None = None,
                 estimator=EXACT):
        self.name = choice(name, "loss", LOSSES)
        self.form = choice(form, "form", FORMS)
        if self.name == "reconstruction" and self.form == "z-weighted":
            raise ValueError(
                "form 'z-weighted' is undefined for the reconstruction loss (it has no data-term "
                "metric); use form 'y' or 'z'"
            )
        if weight is not None:
            if self.name not in ("logdet", "divergence"):
                raise ValueError(
                    f"weight applies only to the logdet and divergence losses, not {name!r}"
                )
            weight = positive_scalar(weight, "weight")
        self.weight = weight
        self.estimator = resolve_estimator(estimator)
        if self.estimator != EXACT and self.name not in ("logdet", "divergence"):
            raise ValueError(
                f"a stochastic estimator applies only to the logdet and divergence losses, "
                f"not {name!r}"
            )

    def __repr__(self) -> str:
        extra = "" if self.estimator == EXACT else f", estimator={self.estimator!r}"
        return f"Loss({self.name!r}, form={self.form!r}, weight={self.weight!r}{extra})"

    @property
    def regulariser(self) -> str | None:
        """"logdet", "divergence" or None."""
        return self.name if self.name in ("logdet", "divergence") else None

    def resolved_weight(self, problem) -> float:
        """c: the given weight, else 2 delta^2 (0 for unregularised losses)."""
        if self.regulariser is None:
            return 0.0
        return self.weight if self.weight is not None else 2.0 * problem.delta**2

    def metric(self, problem) -> np.ndarray | None:
        """M of the data term: (A^T A)^{-1} in the z-weighted form, else None (identity)."""
        return problem.normal_operator_inverse() if self.form == "z-weighted" else None

    def check_compatible(self, model, problem) -> None:
        """Raise ValueError if the model's or problem's dimensions do not fit this loss."""
        if model.dim != problem.dim:
            raise ValueError(f"model.dim={model.dim} must equal problem.dim={problem.dim}")
        rows, cols = problem.m, problem.dim  # never forms A (fast-transform problems)
        if self.form == "y" and rows != cols:
            raise ValueError(
                f"form 'y' requires a square forward operator (phi maps R^n to R^n); "
                f"A is {rows}x{cols}"
            )

    def value_and_grad(self, model, samples, problem, rng=None) -> tuple[float, np.ndarray]:
        """Loss value on the samples and its exact gradient w.r.t. the model's flat parameters.

        Parameters
        ----------
        model : InvertibleModel
        samples : Samples
            ``x`` (N, n), ``y`` (N, m) and ``z`` (N, n) from ``problem.sample``.
        problem : LinearInverseProblem
        rng : numpy.random.Generator, optional
            Draws the probes of a stochastic estimator (required then, unused otherwise).

        Returns
        -------
        value : float
        grad : ndarray, shape (model.n_parameters,)
            With a stochastic estimator: the value of the estimated loss at the drawn probes
            and its exact gradient.
        """
        self.check_compatible(model, problem)
        x = as_float_array(samples.x, "samples.x", ndim=2)
        data = samples.y if self.form == "y" else samples.z
        target = as_float_array(data, f"samples.{self.form[0]}", ndim=2)
        if x.shape != target.shape or x.shape[1] != model.dim:
            raise ValueError(
                f"samples must have x and the {self.form}-data of shape (N, {model.dim}); got "
                f"{x.shape} and {target.shape}"
            )
        return self.value_and_grad_unchecked(model, x, target, problem, rng)

    def value_and_grad_unchecked(self, model, x, target, problem, rng=None):
        """:meth:`value_and_grad` on float64 arrays ``x`` and ``target`` (the form's data) that
        are known to fit (``check_compatible`` passed, both of shape (N, model.dim)): the
        training loop's path for the minibatches it draws from ``problem.sample`` itself."""
        if self.name == "reconstruction":
            return model._reconstruction_objective(target, x)
        if self.estimator != EXACT:
            return self.estimator.objective(model, x, target, self.metric(problem),
                                            self.regulariser, self.resolved_weight(problem), rng)
        return model._objective(
            x, target, self.metric(problem), self.regulariser, self.resolved_weight(problem)
        )
