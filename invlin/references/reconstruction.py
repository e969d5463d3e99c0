"""The reconstruction loss's minimiser: the inverse is the posterior-mean map (1-D)."""

from __future__ import annotations

import numpy as np

from invlin.estimators import posterior_mean
from invlin.references._monotone import solve_increasing
from invlin.references.optimum import FunctionSpaceOptimum

# Stated error of the posterior mean of a 1 x 1 problem: rounding for Gaussian mixtures; for the
# logistic and Gumbel priors the trapezoidal quadrature, whose error the tests measure against
# 30-digit quadrature (below 4e-13 in every setting tried). 1e-11 leaves a margin of 25.
PM_ACCURACY = 1e-11
# forward solves PM(data) = t, so its error is the PM's divided by the PM's slope; the stated
# bound assumes the slope is at least MIN_PM_SLOPE (a Var[x|y]/delta^2 or Var[x|y]/(a^2 delta^2)).
MIN_PM_SLOPE = 1e-2


def reconstruction_optimum(setting) -> FunctionSpaceOptimum:
    """The minimiser of E(phi^{-1}(t) - x)^2 over invertible maps (1-D): phi^{-1} = PM.

    Parameters
    ----------
    setting : invlin.references._setting.Setting

    Returns
    -------
    FunctionSpaceOptimum

    Notes
    -----
    Over all maps the minimiser of E(g(t) - x)^2 is g(t) = E[x | t]; with data t = y (y-form)
    or t = z = a y (z-form), E[x | z] = E[x | y = z/a]. In 1-D the posterior mean is strictly
    increasing in the data,

    .. math::

        \\frac{d}{dy} E[x \\mid y] = \\frac{a}{\\delta^2} \\operatorname{Var}[x \\mid y] > 0
        \\quad (a > 0),

    and d/dz E[x | z] = Var[x | y]/(a^2 delta^2) > 0 for any a != 0, so it is the inverse of an
    increasing map phi: ``inverse`` is the PM, ``forward(t)`` solves PM(data) = t (Illinois
    root search to rounding). The error of ``forward`` is the PM's error divided by the PM's
    slope; the stated bound assumes that slope is not below MIN_PM_SLOPE = 1e-2.
    """
    problem = setting.problem
    data_per_y = 1.0 if setting.form == "y" else setting.a  # data = y or z = a y

    def pm(data):
        return posterior_mean(problem, (data / data_per_y)[:, None])[:, 0]

    coefficient = setting.target_coefficient
    std = float(np.sqrt(setting.prior.covariance[0, 0]))

    def forward(t):
        return solve_increasing(pm, t, coefficient * t, abs(coefficient) * std)

    return FunctionSpaceOptimum(
        loss=setting.loss, form=setting.form, a=setting.a, delta=setting.delta, weight=None,
        forward=forward, inverse=pm, forward_accuracy=PM_ACCURACY / MIN_PM_SLOPE,
        inverse_accuracy=PM_ACCURACY, domain=(-np.inf, np.inf),
        data_range=(-np.inf, np.inf),
        method="inverse = posterior mean (invlin.estimators.posterior_mean); forward: root search",
    )
