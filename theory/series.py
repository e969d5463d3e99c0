"""Leading terms of series expansions (in the noise level, by default)."""

import sympy as sp

from theory import symbols as S
from theory._checks import expression

_MAX_ORDER = 16


def leading_order(expr, var=S.delta, max_order=_MAX_ORDER):
    """Return the leading term ``coeff * var**p`` of the series of ``expr`` at ``var = 0``.

    Parameters
    ----------
    expr : sympy.Expr
        Expression analytic (or with a Puiseux/Laurent expansion) at ``var = 0``.
    var : sympy.Symbol, default ``delta``
    max_order : int, default 16
        Highest order tried; beyond it the expression is declared zero to that order.

    Returns
    -------
    sympy.Expr
        The leading term; ``0`` if ``expr`` vanishes identically to order ``max_order``.

    Notes
    -----
    The series is computed to increasing order (2, 4, ...) until a term with a non-zero
    (simplified) coefficient appears; the lowest power present is the leading order.
    """
    expr = expression(expr, "expr")
    for order in range(2, max_order + 1, 2):
        ser = sp.expand(sp.series(expr, var, 0, order).removeO())
        terms = sp.collect(ser, var, evaluate=False)
        powers = []
        for monomial, coeff in terms.items():
            coeff = sp.simplify(coeff)
            if coeff != 0:
                power = sp.degree(monomial, var) if monomial != 1 else 0
                powers.append((power, coeff * monomial))
        if powers:
            return min(powers, key=lambda item: item[0])[1]
    return sp.Integer(0)


def order_in(expr, var=S.delta, max_order=_MAX_ORDER):
    """Return the power ``p`` of the leading term of ``expr`` in ``var`` (None if zero)."""
    lead = leading_order(expr, var, max_order)
    if lead == 0:
        return None
    return sp.degree(lead, var)
