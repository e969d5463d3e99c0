"""Minimisers on an interval from the Karush-Kuhn-Tucker conditions (the Lipschitz constraint)."""

import sympy as sp

from theory._checks import expression


def _sign(expr, what):
    """Return -1, 0 or 1 for ``expr``; raise if SymPy cannot decide it.

    Tries the simplified expression, then its numerator and denominator (expanded) separately:
    a sum of positive terms is recognised as positive only once multiplied out.
    """
    reduced = sp.simplify(expr)
    if reduced.is_zero:
        return 0
    for form in (reduced, sp.factor(reduced)):
        if form.is_positive:
            return 1
        if form.is_negative:
            return -1
    numerator, denominator = (sp.expand(part) for part in sp.fraction(sp.together(reduced)))
    signs = []
    for part in (numerator, denominator):
        signs.append(1 if part.is_positive else -1 if part.is_negative else None)
    if None not in signs:
        return signs[0] * signs[1]
    raise ValueError(f"cannot decide the sign of {what}: {reduced}")


def kkt_points(derivative, var, lower, upper):
    """Return the points of ``[lower, upper]`` that satisfy the KKT conditions.

    Parameters
    ----------
    derivative : sympy.Expr
        ``f'(var)`` of the function ``f`` to minimise.
    var : sympy.Symbol
    lower, upper : sympy.Expr
        The interval; every comparison the conditions need must be decidable by SymPy (numbers,
        or symbols whose assumptions settle the signs).

    Returns
    -------
    list of sympy.Expr
        The candidates: ``lower`` if ``f'(lower) >= 0`` (multiplier ``f'(lower)``), ``upper`` if
        ``f'(upper) <= 0`` (multiplier ``-f'(upper)``), and every root of ``f'`` strictly
        inside (multipliers zero).

    Notes
    -----
    For ``min f(k)`` subject to ``lower - k <= 0`` and ``k - upper <= 0`` the KKT conditions
    are :math:`f'(k) = \\mu_l - \\mu_u`, :math:`\\mu_l, \\mu_u \\ge 0`, with complementary
    slackness. They are necessary at a minimiser; for a function whose derivative changes sign
    once, from negative to positive (strictly convex, or strictly quasi-convex with
    ``f' = (k - k*) g``, ``g > 0``) they are also sufficient and have exactly one solution.
    """
    derivative = expression(derivative, "derivative")
    if _sign(upper - lower, "upper - lower") <= 0:
        raise ValueError(f"lower must be below upper, got [{lower}, {upper}]")
    points = []
    if _sign(derivative.subs(var, lower), "f'(lower)") >= 0:
        points.append(sp.simplify(lower))
    if _sign(derivative.subs(var, upper), "f'(upper)") <= 0:
        points.append(sp.simplify(upper))
    for root in sp.solve(derivative, var):
        if root.is_real is False:
            continue
        if (_sign(root - lower, f"{root} - ({lower})") > 0
                and _sign(upper - root, f"{upper} - ({root})") > 0):
            points.append(sp.simplify(root))
    return points


def kkt_minimiser(derivative, var, lower, upper):
    """Return the unique KKT point of ``[lower, upper]`` (see :func:`kkt_points`).

    Raises
    ------
    ValueError
        If there is not exactly one KKT point (then the function is not unimodal on the
        interval, and the KKT conditions alone do not identify the minimiser).
    """
    points = kkt_points(derivative, var, lower, upper)
    if len(points) != 1:
        raise ValueError(f"expected exactly one KKT point on [{lower}, {upper}], got {points}")
    return points[0]
