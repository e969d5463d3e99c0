"""The entry point: the minimiser over increasing maps of each training loss, for a 1-D problem."""

from __future__ import annotations

import numpy as np

from invlin.references._setting import setting as _setting
from invlin.references.divergence import divergence_optimum
from invlin.references.logdet import logdet_optimum
from invlin.references.optimum import FunctionSpaceOptimum
from invlin.references.reconstruction import reconstruction_optimum

# The approximation optimum T t is exact up to one rounding of a product.
APPROXIMATION_ACCURACY = 1e-15


def function_space_optimum(prior, a, delta, loss, form="z", weight=None, *,
                           progress=False) -> FunctionSpaceOptimum:
    """The minimiser over increasing maps of a training loss, for y = a x + delta eta in 1-D.

    Parameters
    ----------
    prior : invlin.priors.Prior
        A 1-D prior (for component j of a diagonal problem with a product prior, its marginal).
        ``divergence`` and ``logdet`` need ``score``; ``reconstruction`` needs a prior that
        :func:`invlin.estimators.posterior_mean` supports (any 1-D prior).
    a : float
        The singular value, non-zero (``a > 0`` for the y-form).
    delta : float
        Noise level > 0.
    loss : {"approximation", "divergence", "reconstruction", "logdet"}
    form : {"y", "z", "z-weighted"}, optional
        The data form of ``docs/architecture.md`` (target y, target z = a y, or target z with
        the data term weighted by 1/a^2). ``"z-weighted"`` is undefined for reconstruction.
    weight : float, optional
        The regulariser weight c (divergence, logdet); default 2 delta^2.
    progress : bool or None, optional
        logdet only: a progress bar over its five solves (None: only on a terminal).

    Returns
    -------
    FunctionSpaceOptimum
        ``forward(t)`` = phi*(t), ``inverse(data)`` = phi*^{-1}(data) (data y in the y-form,
        z = a y otherwise), ``accuracy`` (stated absolute error bound), ``domain``,
        ``data_range``, ``method``, ``diagnostics``.

    Notes
    -----
    - approximation: phi*(t) = T t (T = a for y, a^2 for the z-forms), exact.
    - divergence: the closed form T t - (c/(2M)) (log p)'(t) where it is non-decreasing,
      otherwise its L2(p) isotonic projection
      (:func:`~invlin.references.divergence.divergence_optimum`).
    - reconstruction: phi*^{-1} is the posterior mean of x given the data
      (:func:`~invlin.references.reconstruction.reconstruction_optimum`).
    - logdet: the Euler-Lagrange equation solved by Newton's method, cross-checked by direct
      minimisation (:func:`~invlin.references.logdet.logdet_optimum`).

    Examples
    --------
    >>> from invlin.priors import Gaussian
    >>> ref = function_space_optimum(Gaussian([0.0], [[1.0]]), 2.0, 0.5, "divergence", "z")
    >>> float(ref.forward([1.0])[0])  # a^2 + delta^2/s^2 for a Gaussian prior
    4.25
    """
    current = _setting(prior, a, delta, loss, form, weight)
    if current.loss == "divergence":
        return divergence_optimum(current)
    if current.loss == "reconstruction":
        return reconstruction_optimum(current)
    if current.loss == "logdet":
        return logdet_optimum(current, progress=progress)
    return _approximation_optimum(current)


def _approximation_optimum(current) -> FunctionSpaceOptimum:
    T = current.target_coefficient
    return FunctionSpaceOptimum(
        loss=current.loss, form=current.form, a=current.a, delta=current.delta, weight=None,
        forward=lambda t: T * t, inverse=lambda data: data / T,
        forward_accuracy=APPROXIMATION_ACCURACY,
        inverse_accuracy=APPROXIMATION_ACCURACY / min(1.0, abs(T)),
        domain=(-np.inf, np.inf), data_range=(-np.inf, np.inf), method="closed form T t",
    )
