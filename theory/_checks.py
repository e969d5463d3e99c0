"""Input checks of the theory package (SymPy-side; the package never imports invlin).

Each helper raises ``ValueError`` or ``TypeError`` whose message names the parameter and the
violated condition.
"""

import sympy as sp


def choice(value, name, options):
    """Return ``value`` if it is one of ``options``; otherwise name the valid options."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {list(options)}, got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value


def expression(value, name):
    """Return ``value`` sympified; reject what SymPy cannot read as an expression."""
    try:
        expr = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError) as exc:
        raise TypeError(f"{name} must be a SymPy expression or a number ({exc})") from None
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"{name} must be a SymPy expression, got {type(expr).__name__}")
    return expr


def positive_expression(value, name):
    """Return ``value`` sympified, requiring that SymPy can establish it is positive."""
    expr = expression(value, name)
    if expr.is_positive is not True:
        raise ValueError(
            f"{name} must be positive (provably, from the symbols' assumptions), got {expr}"
        )
    return expr


def lipschitz_bound(value, name="lipschitz"):
    """Return a Lipschitz bound ``L`` with ``0 < L < 1`` (numbers checked; symbols must be positive)."""
    expr = positive_expression(value, name)
    if expr.is_number and not expr < 1:
        raise ValueError(f"{name} must satisfy 0 < {name} < 1, got {expr}")
    if (expr - 1).is_nonnegative:
        raise ValueError(f"{name} must satisfy 0 < {name} < 1, got {expr}")
    return expr
