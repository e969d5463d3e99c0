"""Vectorised solution of f(x) = target for a non-decreasing scalar function f."""

from __future__ import annotations

import numpy as np

# Bracket expansion: the initial half-width is doubled at most this many times (2^200 times the
# start: beyond any float of interest).
MAX_EXPANSIONS = 200
# Illinois iterations: superlinear convergence needs ~10-20; bisection steps (every third
# iteration) alone halve the bracket, so 400 iterations reach any float64 resolution.
MAX_ITERATIONS = 400
EPS = np.finfo(np.float64).eps


def solve_increasing(function, target, start, half_width, *, lower=None, upper=None):
    """Solve ``function(x) = target`` elementwise for a continuous non-decreasing ``function``.

    Parameters
    ----------
    function : callable
        Vectorised: ``function(x)`` for an array ``x`` returns an array of the same shape.
    target : ndarray, shape (N,)
    start : ndarray, shape (N,)
        Initial guesses.
    half_width : float
        Initial half-width of the brackets ``[start - w, start + w]`` (doubled until they
        bracket the target).
    lower, upper : float, optional
        Hard ends of the domain: the bracket is never expanded beyond them; a target outside
        ``[function(lower), function(upper)]`` raises ``ValueError``.

    Returns
    -------
    ndarray, shape (N,)
        x with bracket width <= 4 eps (1 + |x|): the root to rounding. Where ``function`` is
        constant and equal to the target on an interval (a flat piece) any point of it may be
        returned.

    Notes
    -----
    The Illinois variant of regula falsi (the retained end's function value is halved when the
    same end is kept twice), with a bisection step every third iteration so that the bracket at
    least halves every three iterations whatever the shape of ``function``.
    """
    function = _skip_empty(function)
    target = np.asarray(target, dtype=np.float64)
    lo = np.asarray(start, dtype=np.float64) - half_width
    hi = np.asarray(start, dtype=np.float64) + half_width
    if lower is not None:
        lo = np.maximum(lo, lower)
        hi = np.maximum(hi, lower)
    if upper is not None:
        hi = np.minimum(hi, upper)
        lo = np.minimum(lo, upper)
    f_lo = function(lo) - target
    f_hi = function(hi) - target
    width = half_width
    for _ in range(MAX_EXPANSIONS):
        low_bad = f_lo > 0
        high_bad = f_hi < 0
        if lower is not None:
            stuck = low_bad & (lo <= lower)
            if np.any(stuck):
                raise ValueError(
                    f"target {target[stuck][0]!r} lies below the range of the map "
                    f"(its value at the lower end {lower!r} is {function(np.array([lower]))[0]!r})"
                )
        if upper is not None:
            stuck = high_bad & (hi >= upper)
            if np.any(stuck):
                raise ValueError(
                    f"target {target[stuck][0]!r} lies above the range of the map "
                    f"(its value at the upper end {upper!r} is {function(np.array([upper]))[0]!r})"
                )
        if not (np.any(low_bad) or np.any(high_bad)):
            break
        width *= 2.0
        new_lo = lo[low_bad] - width
        new_hi = hi[high_bad] + width
        if lower is not None:
            new_lo = np.maximum(new_lo, lower)
        if upper is not None:
            new_hi = np.minimum(new_hi, upper)
        # The old opposite end stays valid: the new bracket still contains the root side.
        hi[low_bad], f_hi[low_bad] = lo[low_bad], f_lo[low_bad]
        lo[low_bad] = new_lo
        f_lo[low_bad] = function(new_lo) - target[low_bad]
        lo[high_bad], f_lo[high_bad] = hi[high_bad], f_hi[high_bad]
        hi[high_bad] = new_hi
        f_hi[high_bad] = function(new_hi) - target[high_bad]
    else:
        raise RuntimeError("could not bracket the targets")
    if not (np.all(np.isfinite(f_lo)) and np.all(np.isfinite(f_hi))):
        raise ValueError("the map is not finite on the brackets of the targets")

    side = np.zeros(target.shape, dtype=int)  # -1: lo kept twice, +1: hi kept twice
    for iteration in range(MAX_ITERATIONS):
        active = (hi - lo) > 4.0 * EPS * (1.0 + np.maximum(np.abs(lo), np.abs(hi)))
        active &= (f_lo != 0) & (f_hi != 0)
        if not np.any(active):
            break
        a, b, fa, fb = lo[active], hi[active], f_lo[active], f_hi[active]
        if iteration % 3 == 2:
            trial = 0.5 * (a + b)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                trial = b - fb * (b - a) / (fb - fa)
            bad = ~np.isfinite(trial) | (trial <= a) | (trial >= b)
            trial[bad] = 0.5 * (a[bad] + b[bad])
        f_trial = function(trial) - target[active]
        index = np.flatnonzero(active)
        up = f_trial < 0  # the root lies above the trial point
        down = ~up
        # Illinois: halve the function value at the end that is kept for the second time.
        keep_hi_again = up & (side[index] == 1)
        keep_lo_again = down & (side[index] == -1)
        f_hi[index[keep_hi_again]] *= 0.5
        f_lo[index[keep_lo_again]] *= 0.5
        lo[index[up]], f_lo[index[up]] = trial[up], f_trial[up]
        hi[index[down]], f_hi[index[down]] = trial[down], f_trial[down]
        side[index[up]] = 1
        side[index[down]] = -1
    else:
        raise RuntimeError("the root search did not converge")
    result = np.where(f_lo == 0, lo, np.where(f_hi == 0, hi, 0.5 * (lo + hi)))
    return result


def _skip_empty(function):
    """``function`` that is not called on empty arrays (some estimators reject them)."""
    def wrapped(x):
        return function(x) if x.size else np.empty(0)
    return wrapped
