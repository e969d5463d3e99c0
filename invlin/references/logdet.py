"""The log-det loss's minimiser over increasing 1-D maps: Euler-Lagrange solve, cross-checked."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from invlin.progress import ProgressBar
from invlin.references import _theory
from invlin.references._grid import support, uniform_grid
from invlin.references._monotone import solve_increasing
from invlin.references.logdet_direct import logdet_direct
from invlin.references.logdet_euler_lagrange import logdet_euler_lagrange
from invlin.references.optimum import FunctionSpaceOptimum

# Cells of the coarsest of the three grids (the others have 2x and 4x as many).
BASE_CELLS = 4000
# The certified domain: where p >= CERTIFIED * max p (the central 1 - O(1e-6) of the prior).
# Both solvers truncate the line where p = 1e-16 max p, with different end conditions
# (phi'' = 0 for the Euler-Lagrange solve, zero flux for the direct minimisation); the effect
# of the ends decays inwards like the density, and at p = 1e-7 max p the two solutions agree
# to ~1e-10 for every prior tested.
CERTIFIED = 1e-7
# Continuation in the weight starts at most 2^-60 c below the target weight.
CONTINUATION_HALVINGS = 60


def _richardson(coarse: np.ndarray, fine: np.ndarray) -> np.ndarray:
    """(4 phi_{h/2} - phi_h)/3 at the coarse nodes: cancels the h^2 error term."""
    return (4.0 * fine[::2] - coarse) / 3.0


def logdet_optimum(setting, *, base_cells: int = BASE_CELLS, cross_check: bool = True,
                   progress: bool | None = False) -> FunctionSpaceOptimum:
    """The minimiser of the log-det loss over increasing maps (1-D).

    Parameters
    ----------
    setting : invlin.references._setting.Setting
    base_cells : int, optional
        Cells of the coarsest grid (the solve uses base_cells, 2 base_cells, 4 base_cells).
    cross_check : bool, optional
        Also minimise the discretised functional directly and include the distance between the
        two solutions in the stated accuracy (default True).
    progress : bool or None, optional
        Show a progress bar over the solves (None: only on a terminal; default False).

    Returns
    -------
    FunctionSpaceOptimum
        ``forward``/``inverse`` are certified on the prior's central region
        ``p >= 1e-7 max p`` and its image.

    Notes
    -----
    The minimiser of ``M E(phi(x) - T x - noise)^2 - c E log phi'(x)`` solves the
    Euler-Lagrange equation ``T phi^{-1}(u) = u + (c/(2M)) (log q)'(u)``, q = phi_# p (claim
    ``logdet-euler-lagrange``).
    :func:`~invlin.references.logdet_euler_lagrange.logdet_euler_lagrange` solves its
    transport form by Newton's method with second-order central differences on three uniform
    grids (spacings h, h/2, h/4 over the prior's support down to p = 1e-16 max p);
    Richardson extrapolation of (h/2, h/4) gives the answer on the h/2 nodes, and its distance to
    the extrapolation of (h, h/2) estimates its error (an overestimate: the extrapolated error
    is O(h^4)). With ``cross_check``,
    :func:`~invlin.references.logdet_direct.logdet_direct` minimises the discretised functional
    itself (P1 finite elements, a different discretisation and different end conditions) on
    the h/2 and h/4 grids; the distance of its extrapolation to the answer is added to the
    error estimate. Between nodes ``forward`` is a cubic spline (its error is estimated by
    the spline on every other node at the skipped nodes, again an overestimate by ~16);
    ``inverse`` inverts the spline to rounding. The stated accuracy is the sum of these
    estimates over the certified domain; for ``inverse`` it is divided by min phi' there.

    Newton starts from the divergence closed form ``T x - (c/(2M)) (log p)'(x)`` where it is
    increasing (it is the log-det optimum to first order in c), else from the Gaussian-prior
    log-det optimum with the prior's mean and variance (``theory.optimal_gain``). If Newton
    fails from there (strongly nonlinear optima, e.g. a well-separated bimodal prior at high
    noise), the weight is raised by continuation from a small one. Neither start uses the
    direct minimiser, so the two solutions stay independent.
    """
    prior = setting.prior
    T, M, c = setting.target_coefficient, setting.metric, setting.weight
    lo, hi = support(prior)

    def logpdf(t):
        return prior.logpdf(t[:, None])

    grids = [uniform_grid(prior, lo, hi, base_cells * 2**level) for level in range(3)]
    bar = ProgressBar(5 if cross_check else 3, "log-det reference", enabled=progress)
    with bar:
        solutions = []
        for grid in grids:
            solutions.append(_solve_euler_lagrange(setting, grid))
            bar.update(postfix=f"Euler-Lagrange, {grid.x.size - 1} cells")
        direct = []
        if cross_check:
            for grid in grids[1:]:
                start = _start(setting, grid.x, None)
                direct.append(logdet_direct(grid, logpdf, T, M, c, start))
                bar.update(postfix=f"direct, {grid.x.size - 1} cells")
    answer = _richardson(solutions[1], solutions[2])  # on the nodes of grids[1]
    previous = _richardson(solutions[0], solutions[1])  # on the nodes of grids[0]
    nodes = grids[1].x
    certified = grids[1].density >= CERTIFIED * grids[1].density.max()
    certified_coarse = certified[::2]
    extrapolation_error = float(np.max(np.abs(answer[::2] - previous)[certified_coarse]))

    cross_distance = None
    if cross_check:
        direct_answer = _richardson(direct[0], direct[1])
        cross_distance = float(np.max(np.abs(direct_answer - answer)[certified]))

    spline = CubicSpline(nodes, answer)
    half_spline = CubicSpline(nodes[::2], answer[::2])
    odd = np.zeros(nodes.size, dtype=bool)
    odd[1::2] = True
    skipped = np.abs(half_spline(nodes[odd]) - answer[odd])
    interpolation_error = float(np.max(skipped[certified[odd]]))

    accuracy_forward = extrapolation_error + interpolation_error + (cross_distance or 0.0)
    inside = np.flatnonzero(certified)
    domain = (nodes[inside[0]], nodes[inside[-1]])
    slopes = spline(nodes[certified], 1)
    min_slope = float(np.min(slopes))
    if min_slope <= 0:
        raise RuntimeError("the computed log-det optimum is not increasing on the certified domain")
    data_range = (float(spline(domain[0])), float(spline(domain[1])))

    def forward(t):
        return spline(t)

    def inverse(data):
        start = np.interp(data, answer, nodes)
        return solve_increasing(forward, data, start, grids[1].spacing,
                                lower=domain[0], upper=domain[1])

    return FunctionSpaceOptimum(
        loss=setting.loss, form=setting.form, a=setting.a, delta=setting.delta,
        weight=setting.weight, forward=forward, inverse=inverse,
        forward_accuracy=accuracy_forward,
        inverse_accuracy=accuracy_forward / min(1.0, min_slope), domain=domain,
        data_range=data_range,
        method=(
            "Euler-Lagrange (transport form) by Newton, central differences on 3 grids, "
            "Richardson-extrapolated" + (", cross-checked by direct P1 minimisation"
                                          if cross_check else "")
        ),
        diagnostics={
            "cells": [grid.x.size - 1 for grid in grids],
            "extrapolation_error": extrapolation_error,
            "interpolation_error": interpolation_error,
            "cross_check_distance": cross_distance,
            "min_slope": min_slope,
            "nodes": nodes,
            "values": answer,
        },
    )


def _solve_euler_lagrange(setting, grid) -> np.ndarray:
    """Newton on the Euler-Lagrange equation; by continuation in the weight if it fails.

    Continuation: weights c_j = c 2^{j - J} (j = 0, ..., J), each solve starting from the
    previous solution; c_0 is small enough for the divergence closed form to be increasing
    (then phi is close to T x). A failed stage is retried with half the step in log c.
    """
    prior = setting.prior
    T, M, c = setting.target_coefficient, setting.metric, setting.weight
    score = prior.score(grid.x[:, None])[:, 0]
    try:
        return logdet_euler_lagrange(grid, score, T, M, c, _start(setting, grid.x, score))
    except RuntimeError:
        pass
    closed = _theory.divergence_closed_form(setting.form)
    weight = c
    for _ in range(CONTINUATION_HALVINGS):
        weight /= 2.0
        start = closed(setting.a, weight, grid.x, score)
        if np.all(np.diff(start) > 0):
            break
    else:
        raise RuntimeError("no increasing start for the log-det continuation")
    phi = logdet_euler_lagrange(grid, score, T, M, weight, start)
    ratio = 2.0
    while weight < c:
        trial_weight = min(c, weight * ratio)
        try:
            phi = logdet_euler_lagrange(grid, score, T, M, trial_weight, phi)
        except RuntimeError:
            ratio = np.sqrt(ratio)
            if ratio < 1.0 + 1e-3:
                raise
            continue
        weight = trial_weight
    return phi


def _start(setting, x, score):
    """An increasing start: the divergence closed form if increasing, else the Gaussian optimum."""
    prior = setting.prior
    if score is None:
        score = prior.score(x[:, None])[:, 0]
    T, c = setting.target_coefficient, setting.weight
    closed = _theory.divergence_closed_form(setting.form)(setting.a, c, x, score)
    if np.all(np.diff(closed) > 0):
        return closed
    mean = float(prior.mean[0])
    std = float(np.sqrt(prior.covariance[0, 0]))
    # The z-forms depend on a^2 only; theory's gain is stated for a > 0.
    gain = float(_theory.logdet_gaussian_gain(setting.form)(abs(setting.a), std, c))
    return gain * (x - mean) + T * mean
