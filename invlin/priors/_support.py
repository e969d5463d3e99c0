"""Cuts of a 1-D prior's support at a given tail mass, from its declared tail masses."""

from __future__ import annotations

import weakref

import numpy as np

# Outward search: steps of resolution * 2^k, k < MAX_DOUBLINGS (2^200 resolutions: beyond any
# finite cut of a proper prior), then BISECTIONS halvings of the last step (2^-60: rounding).
MAX_DOUBLINGS = 200
BISECTIONS = 60
# The cuts of each prior object, per tolerance (priors are immutable; entries go with them).
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def tail_cuts(prior, tail_tol: float) -> tuple[float, float, float, float] | None:
    """(lo, hi, P(X < lo), P(X > hi)) with each tail mass <= tail_tol, or None.

    None when the prior declares no tail masses (``prior.tail_masses`` returns None). The cuts
    are the innermost points (to rounding) of an outward doubling search from a mode candidate
    at which the declared tail-mass bound meets ``tail_tol``. Cached per prior object and
    tolerance.
    """
    try:
        cached = _CACHE.setdefault(prior, {})
    except TypeError:  # not weakly referenceable: no cache
        cached = {}
    if tail_tol not in cached:
        cached[tail_tol] = _search(prior, tail_tol)
    return cached[tail_tol]


def _search(prior, tail_tol):
    if prior.tail_masses(0.0, 0.0) is None:
        return None
    start = float(prior.mode_candidates()[0, 0])
    unit = prior.resolution()
    cuts = []
    for side in (0, 1):
        sign = -1.0 if side == 0 else 1.0

        def mass(t, side=side):
            return prior.tail_masses(t, t)[side]

        inner, step = start, unit
        for _ in range(MAX_DOUBLINGS):
            outer = start + sign * step
            if mass(outer) <= tail_tol:
                break
            inner, step = outer, 2.0 * step
        else:
            raise ValueError(f"the tail mass of {prior!r} stays above {tail_tol:g} out to "
                             f"{step:.3g} from {start:g}")
        for _ in range(BISECTIONS):
            middle = 0.5 * (inner + outer)
            if middle in (inner, outer):
                break
            if mass(middle) <= tail_tol:
                outer = middle
            else:
                inner = middle
        cuts.append((outer, mass(outer)))
    (lo, low), (hi, high) = cuts
    return lo, hi, low, high
