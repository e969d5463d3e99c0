"""Symbolic theory (SymPy only) of what invertible models learn under each training loss.

This package never imports :mod:`invlin`. Public API:

- :mod:`theory.symbols` - the standard symbols ``a, s, delta, c, L, k, ...``;
- scalar Gaussian setting (:mod:`theory.scalar`): :func:`expected_loss`, :func:`optimal_gain`,
  :func:`pm_gain`, :func:`map_gain`, :func:`inverse_filter`, :func:`gap_to_pm`,
  :func:`gap_to_map`, :func:`exact_weight`;
- :func:`leading_order` - leading term of a series in ``delta``;
- :mod:`theory.linear` - general linear Gaussian setting (matrix optima, log-det equation);
- :mod:`theory.function_space` - Stein identity, Euler-Lagrange equations, Tweedie,
  invertibility, log-det series;
- :mod:`theory.higher_order` - PM, MAP, log-det and divergence inverses as series in delta^2
  (to delta^4, any smooth prior);
- :mod:`theory.constrained` - KKT minimisers on an interval;
- :func:`numeric` - cached lambdify for the numeric side;
- :mod:`theory.claims` - the claim registry (``claims.all()``, ``claims.get(id)``).
"""

from theory import constrained, function_space, higher_order, linear, symbols
from theory.numeric import numeric
from theory.scalar import (
    FORMS,
    LOSSES,
    exact_weight,
    expected_loss,
    gap_to_map,
    gap_to_pm,
    inverse_filter,
    map_gain,
    optimal_gain,
    pm_gain,
)
from theory.series import leading_order
from theory import claims  # noqa: E402  (after the scalar API it builds on)

__all__ = [
    "FORMS",
    "LOSSES",
    "claims",
    "constrained",
    "exact_weight",
    "function_space",
    "higher_order",
    "linear",
    "expected_loss",
    "gap_to_map",
    "gap_to_pm",
    "inverse_filter",
    "leading_order",
    "map_gain",
    "numeric",
    "optimal_gain",
    "pm_gain",
    "symbols",
]
