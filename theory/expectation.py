"""Expectations of polynomials in independent centred Gaussian variables.

The expected losses of the scalar setting are expectations, over ``x ~ N(0, s^2)`` and
``eta ~ N(0, delta^2)``, of polynomials in ``x`` and ``eta`` (with coefficients that may contain
``k``, ``1/k``, ``a``, ...). This module takes those expectations exactly, from the Gaussian
moments, so that no expected loss is written down by hand.
"""

import sympy as sp

from theory._checks import expression


def gaussian_moment(std, order):
    """Return ``E[X**order]`` for ``X ~ N(0, std**2)``.

    Parameters
    ----------
    std : sympy.Expr
        Standard deviation (positive).
    order : int
        Non-negative moment order.

    Returns
    -------
    sympy.Expr
        ``0`` for odd orders, ``std**order * (order - 1)!!`` for even orders.

    Notes
    -----
    For a centred Gaussian, :math:`E[X^{2j}] = \\sigma^{2j}(2j-1)!!` and odd moments vanish by
    symmetry.
    """
    if order < 0:
        raise ValueError(f"order must be >= 0, got {order}")
    if order % 2:
        return sp.Integer(0)
    return std**order * sp.factorial2(order - 1)


def gaussian_expectation(expr, stds):
    """Return the expectation of a polynomial in independent centred Gaussian variables.

    Parameters
    ----------
    expr : sympy.Expr
        Polynomial in the variables (coefficients may be any expressions free of them).
    stds : dict
        Maps each random variable (a SymPy symbol) to its standard deviation.

    Returns
    -------
    sympy.Expr
        The exact expectation.

    Notes
    -----
    By independence, :math:`E[\\prod_i X_i^{n_i}] = \\prod_i E[X_i^{n_i}]`, so the expectation is
    the polynomial's coefficients contracted with products of :func:`gaussian_moment`.
    """
    expr = expression(expr, "expr")
    variables = list(stds)
    poly = sp.Poly(sp.expand(expr), *variables)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        moment = sp.Integer(1)
        for var, power in zip(variables, powers):
            moment *= gaussian_moment(stds[var], power)
        total += coeff * moment
    return total
