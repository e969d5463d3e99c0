"""Lambdify derived expressions once, for the numeric side.

The numeric side (``invlin``) evaluates the theory's predictions through :func:`numeric` and
never re-derives a formula by hand.
"""

from functools import lru_cache

import sympy as sp

from theory._checks import expression


@lru_cache(maxsize=None)
def _lambdify(expr, args):
    return sp.lambdify(args, expr, modules="numpy")


def numeric(expr, *args):
    """Return a NumPy function evaluating ``expr`` at values of ``args`` (cached).

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix
        The expression (e.g. ``theory.optimal_gain("logdet", "y")``).
    *args : sympy.Symbol
        The symbols, in the order of the returned function's positional arguments. Every free
        symbol of ``expr`` must be among them.

    Returns
    -------
    callable
        ``f(*values)``, broadcasting over NumPy arrays. Identical ``(expr, args)`` return the
        same compiled function.

    Examples
    --------
    >>> import theory
    >>> from theory.symbols import a, s, delta
    >>> f = theory.numeric(theory.pm_gain("z"), a, s, delta)
    >>> float(f(2.0, 1.0, 0.5))
    4.25
    """
    if not isinstance(expr, sp.MatrixBase):
        expr = expression(expr, "expr")
    else:
        expr = sp.ImmutableMatrix(expr)
    for i, arg in enumerate(args):
        if not isinstance(arg, sp.Symbol):
            raise TypeError(f"args[{i}] must be a SymPy Symbol, got {type(arg).__name__}")
    missing = expr.free_symbols - set(args)
    if missing:
        raise ValueError(
            f"args must include every free symbol of expr; missing {sorted(map(str, missing))}"
        )
    return _lambdify(expr, tuple(args))
