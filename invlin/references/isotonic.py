"""The L2(p) projection of a continuous function onto the non-decreasing functions (1-D)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, isotonic_regression

from invlin.references._grid import Grid

# Composite Gauss-Legendre rule for the block integrals: PANELS panels of PANEL_NODES nodes.
# The integrands (phi* - v) p are analytic, so the rule converges geometrically; the error is
# estimated by comparing with twice as many panels.
PANELS = 32
PANEL_NODES = 20
# Brent's method on the block level v and on the block ends: absolute tolerance XTOL_ABS plus
# the smallest relative tolerance brentq accepts (4 eps): the roots to rounding.
XTOL_ABS = 1e-15
RTOL = 4 * np.finfo(np.float64).eps


@dataclass(frozen=True)
class Block:
    """A maximal interval [left, right] on which the projection is constant, equal to ``level``."""

    left: float
    right: float
    level: float
    error: float  # estimated absolute error of ``level``


class IsotonicProjection:
    """argmin over non-decreasing g of int (g - f)^2 p, for a continuous f and a density p.

    Parameters
    ----------
    function : callable
        f, vectorised over 1-D arrays, continuous.
    grid : Grid
        A fine grid over the effective support of p (see ``invlin.references._grid``).
    prior : invlin.priors.Prior
        The 1-D density p.

    Attributes
    ----------
    blocks : list of Block
        The pooled intervals (empty when f is non-decreasing on the grid).
    grid_projection : ndarray
        The pool-adjacent-violators solution on the grid nodes (weights p(x_i)), kept as a
        cross-check: it converges to the projection as the grid is refined.
    error : float
        Estimated absolute error of the block levels (0 without blocks).

    Notes
    -----
    The projection equals f outside the pooled blocks. On a block [l, r] it equals the
    p-weighted mean v of f over [l, r], and, f being continuous and the block maximal,
    f(l) = f(r) = v (Barlow et al., *Statistical inference under order restrictions*, 1972).
    The pool-adjacent-violators algorithm (``scipy.optimize.isotonic_regression``) on the grid
    finds the blocks; each is then solved without discretisation: for a level v, l(v) is the
    first crossing of f = v from the left and r(v) the last from the right (Brent's method
    between grid nodes), and

    .. math::

        g(v) = \\int_{l(v)}^{r(v)} (f - v)\\,p\\,dx,\\qquad
        g'(v) = -\\int_{l(v)}^{r(v)} p\\,dx < 0

    (the boundary terms vanish as f = v there), so g has one root, bracketed by the smallest
    and largest grid values of f on the block, found by Brent's method. The integrals use a
    composite Gauss-Legendre rule; the level's error is estimated from the change when the
    number of panels is doubled, divided by the block's mass (the size of g').
    """

    def __init__(self, function, grid: Grid, prior):
        self._function = function
        self._prior = prior
        values = function(grid.x)
        result = isotonic_regression(values, weights=grid.density, increasing=True)
        self.grid_projection = result.x
        starts = np.append(result.blocks, grid.x.size)
        pooled = [
            (int(starts[k]), int(starts[k + 1]) - 1)
            for k in range(starts.size - 1)
            if starts[k + 1] - starts[k] > 1
        ]
        self.blocks = []
        for k, (first, last) in enumerate(pooled):
            if first == 0 or last == grid.x.size - 1:
                raise RuntimeError(
                    "a pooled block reaches the end of the grid: the function is not increasing "
                    "in the prior's tails, so the projection is not determined on this grid"
                )
            search_from = pooled[k - 1][1] + 1 if k > 0 else 0
            search_to = pooled[k + 1][0] - 1 if k + 1 < len(pooled) else grid.x.size - 1
            self.blocks.append(self._solve_block(grid, values, first, last, search_from, search_to))
        self.error = max((block.error for block in self.blocks), default=0.0)

    def _solve_block(self, grid, values, first, last, search_from, search_to) -> Block:
        x = grid.x
        f = self._function

        def scalar(t):
            return float(f(np.array([t]))[0])

        def left_end(v):
            # The first node from the left with f >= v, then the crossing in the cell before it.
            j = search_from + int(np.argmax(values[search_from : search_to + 1] >= v))
            if values[j] == v or j == search_from:
                return x[j]
            return brentq(lambda t: scalar(t) - v, x[j - 1], x[j], xtol=XTOL_ABS, rtol=RTOL)

        def right_end(v):
            # The last node from the right with f <= v, then the crossing in the cell after it.
            segment = values[search_from : search_to + 1]
            j = search_from + segment.size - 1 - int(np.argmax(segment[::-1] <= v))
            if values[j] == v or j == search_to:
                return x[j]
            return brentq(lambda t: scalar(t) - v, x[j], x[j + 1], xtol=XTOL_ABS, rtol=RTOL)

        def balance(v, panels=PANELS):
            left, right = left_end(v), right_end(v)
            nodes, weights = _composite_gauss_legendre(left, right, panels)
            density = np.exp(self._prior.logpdf(nodes[:, None]))
            return weights @ ((f(nodes) - v) * density), weights @ density

        low, high = float(values[first : last + 1].min()), float(values[first : last + 1].max())
        level = brentq(lambda v: balance(v)[0], low, high, xtol=XTOL_ABS, rtol=RTOL)
        fine, mass = balance(level, 2 * PANELS)
        # g(level) = 0 with PANELS panels; with twice as many it is `fine`: the quadrature error
        # of g, divided by |g'| = mass, bounds the level's error (plus the root tolerance).
        error = abs(fine) / mass + XTOL_ABS + RTOL * abs(level)
        return Block(left=left_end(level), right=right_end(level), level=level, error=error)

    def __call__(self, t) -> np.ndarray:
        """The projection at points ``t`` (1-D array)."""
        t = np.asarray(t, dtype=np.float64)
        result = self._function(t)
        for block in self.blocks:
            inside = (t >= block.left) & (t <= block.right)
            result = np.where(inside, block.level, result)
        return result


def _composite_gauss_legendre(left, right, panels):
    nodes, weights = np.polynomial.legendre.leggauss(PANEL_NODES)
    edges = np.linspace(left, right, panels + 1)
    half = 0.5 * np.diff(edges)
    centres = 0.5 * (edges[:-1] + edges[1:])
    points = (centres[:, None] + half[:, None] * nodes[None, :]).ravel()
    return points, (half[:, None] * weights[None, :]).ravel()
