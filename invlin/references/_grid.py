"""Uniform grids over the effective support of a 1-D prior, with exact cell masses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

# The grid ends where the prior density falls to TRUNCATION * (its largest value on a scan): the
# mass left outside is then of order 1e-16 of the total for Gaussian, logistic and Gumbel tails,
# i.e. at the rounding level of a float64 sum of the masses inside.
TRUNCATION = 1e-16
# Gauss-Legendre nodes per cell for the cell masses: a 3-point rule is exact for polynomials of
# degree 5, so its error per cell is O(h^7 max|p^(6)|), far below rounding at the spacings used.
CELL_NODES = 3
# The outward scan from the mean steps by a quarter of a standard deviation and gives up after
# 4000 steps (1000 standard deviations): no prior of invlin has tails that long.
SCAN_STEP = 0.25
MAX_SCAN_STEPS = 4000


@dataclass(frozen=True)
class Grid:
    """A uniform grid x_0 < ... < x_N over a prior's effective support.

    Attributes
    ----------
    x : ndarray, shape (N + 1,)
        Nodes.
    spacing : float
        h = x_{i+1} - x_i.
    density : ndarray, shape (N + 1,)
        p(x_i).
    cell_mass : ndarray, shape (N,)
        int_{x_i}^{x_{i+1}} p (Gauss-Legendre, CELL_NODES nodes per cell).
    """

    x: np.ndarray
    spacing: float
    density: np.ndarray
    cell_mass: np.ndarray


def support(prior, truncation: float = TRUNCATION) -> tuple[float, float]:
    """The interval where ``p >= truncation * max p``, found by scanning out from the mean.

    Parameters
    ----------
    prior : invlin.priors.Prior
        A 1-D prior.
    truncation : float
        Relative density level at which the support is cut.

    Returns
    -------
    (lo, hi) : tuple of float

    Notes
    -----
    From the mean the scan steps outwards by ``SCAN_STEP`` standard deviations until
    log p falls below log(truncation) + max log p seen so far, then brackets the crossing with
    Brent's method (to rounding). For unimodal or moderately separated multimodal priors the
    density is above the level everywhere in between.
    """
    mean = float(prior.mean[0])
    std = float(np.sqrt(prior.covariance[0, 0]))
    logpdf = _log_density(prior)
    peak = logpdf(mean)
    ends = []
    for direction in (-1.0, 1.0):
        previous, current = mean, mean
        for _ in range(MAX_SCAN_STEPS):
            previous, current = current, current + direction * SCAN_STEP * std
            value = logpdf(current)
            peak = max(peak, value)
            if value < peak + np.log(truncation):
                break
        else:
            raise RuntimeError(
                f"the density of {prior!r} stays above {truncation:g} of its maximum over "
                f"{MAX_SCAN_STEPS * SCAN_STEP:g} standard deviations"
            )
        level = peak + np.log(truncation)
        ends.append(brentq(lambda t: logpdf(t) - level, previous, current, xtol=1e-14,
                           rtol=4 * np.finfo(np.float64).eps))
    return ends[0], ends[1]


def uniform_grid(prior, lo: float, hi: float, n_cells: int) -> Grid:
    """Nodes x_i = lo + i h, h = (hi - lo)/n_cells, with the prior's density and cell masses."""
    x = np.linspace(lo, hi, n_cells + 1)
    h = (hi - lo) / n_cells
    nodes, weights = np.polynomial.legendre.leggauss(CELL_NODES)
    centres = 0.5 * (x[:-1] + x[1:])
    points = centres[:, None] + 0.5 * h * nodes[None, :]
    density_at = np.exp(prior.logpdf(points.reshape(-1, 1))).reshape(points.shape)
    cell_mass = 0.5 * h * density_at @ weights
    return Grid(x=x, spacing=h, density=np.exp(prior.logpdf(x[:, None])), cell_mass=cell_mass)


def _log_density(prior):
    return lambda t: float(prior.logpdf(np.array([[t]]))[0])
