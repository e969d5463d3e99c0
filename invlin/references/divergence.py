"""The divergence loss's minimiser over increasing 1-D maps: closed form or isotonic projection."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from invlin.references import _theory
from invlin.references._grid import support, uniform_grid
from invlin.references._monotone import solve_increasing
from invlin.references.isotonic import IsotonicProjection
from invlin.references.optimum import FunctionSpaceOptimum

# Cells of the grid on which monotonicity is tested and pool-adjacent-violators finds the blocks
# (only the block detection depends on it; the blocks themselves are solved without a grid).
GRID_CELLS = 20_000
# Rounding bound of the closed form T t - (c/(2M)) (log p)'(t) in float64: a few eps relative
# to the terms, which stay below 1e3 in any setting of interest; 1e-12 covers it.
ROUNDING = 1e-12


def divergence_optimum(setting) -> FunctionSpaceOptimum:
    """The minimiser of the divergence loss over non-decreasing maps (1-D).

    Parameters
    ----------
    setting : invlin.references._setting.Setting

    Returns
    -------
    FunctionSpaceOptimum

    Notes
    -----
    With target ``T x + noise`` and data weight M, Stein's identity turns the loss into
    ``M int (phi - phi*)^2 p + const`` with the closed form (from
    :func:`theory.function_space.divergence_minimiser`, see ``invlin.references._theory``)

    .. math::

        \\phi^*(t) = T t - \\frac{c}{2M} (\\log p)'(t).

    Over all maps, phi* is the minimiser; over non-decreasing maps the minimiser is the
    L2(p) projection of phi* onto them (the loss is that squared distance plus a constant).
    Where pool-adjacent-violators on a fine grid over the prior's support pools nothing, phi*
    is non-decreasing there and is its own projection. Otherwise
    :class:`~invlin.references.isotonic.IsotonicProjection` solves the pooled blocks. The
    projection then has flat pieces, and ``inverse`` returns the generalised inverse (for data
    equal to a flat level, a point of that flat interval).
    """
    closed = _theory.divergence_closed_form(setting.form)
    prior = setting.prior

    def closed_form(t):
        score = prior.score(np.asarray(t, dtype=np.float64)[:, None])[:, 0]
        return closed(setting.a, setting.weight, t, score)

    lo, hi = support(prior)
    grid = uniform_grid(prior, lo, hi, GRID_CELLS)
    projection = IsotonicProjection(closed_form, grid, prior)
    forward = projection if projection.blocks else closed_form
    forward_accuracy = max(ROUNDING, projection.error)
    # Slope of the map on the grid outside the flat blocks (where the inverse is continuous).
    values = forward(grid.x)
    increments = np.diff(values)
    min_slope = float(np.min(increments[increments > 0]) / grid.spacing)
    std = float(np.sqrt(prior.covariance[0, 0]))

    def inverse(data):
        return solve_increasing(
            forward, data, data / setting.target_coefficient, std
        )

    if projection.blocks:
        method = (
            f"isotonic L2(p) projection of the closed form T t - (c/(2M)) (log p)'(t): "
            f"{len(projection.blocks)} pooled block(s), levels solved by Brent's method"
        )
    else:
        method = "closed form T t - (c/(2M)) (log p)'(t) (non-decreasing: no pooling)"
    return FunctionSpaceOptimum(
        loss=setting.loss, form=setting.form, a=setting.a, delta=setting.delta,
        weight=setting.weight, forward=forward, inverse=inverse,
        forward_accuracy=forward_accuracy,
        inverse_accuracy=forward_accuracy / min(1.0, min_slope),
        domain=(-np.inf, np.inf), data_range=(-np.inf, np.inf), method=method,
        diagnostics={
            "closed_form": closed_form,
            "blocks": [asdict(block) for block in projection.blocks],
            "grid_cells": GRID_CELLS,
            "min_slope": min_slope,
            "grid_projection": projection.grid_projection,
            "grid": grid.x,
        },
    )
