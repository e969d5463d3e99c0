"""Evaluating the theory's predictions numerically: the one bridge from :mod:`theory` to numbers.

Every prediction a study or a numeric check evaluates is a SymPy expression from :mod:`theory`, turned into
a NumPy function by :func:`theory.numeric.numeric` (cached lambdify) and evaluated here.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory import symbols
from theory.function_space import divergence_minimiser
from theory.numeric import numeric


def evaluate(expr, **values) -> np.ndarray:
    """Evaluate ``expr`` at ``values`` keyed by the names in :mod:`theory.symbols`.

    Arrays broadcast against each other; the result is a float64 array.
    """
    names = sorted(values)
    unknown = [name for name in names if not isinstance(getattr(symbols, name, None), sp.Symbol)]
    if unknown:
        raise ValueError(f"values must be keyed by symbols of theory.symbols; unknown {unknown}")
    args = [getattr(symbols, name) for name in names]
    function = numeric(expr, *args)
    arrays = np.broadcast_arrays(*[np.asarray(values[name], dtype=np.float64) for name in names])
    return np.asarray(function(*arrays), dtype=np.float64) + np.zeros(arrays[0].shape)


_LOG_DENSITY = sp.Function("log_p")
_SCORE = sp.Symbol("score", real=True)


def _divergence_minimiser_function():
    """theory's 1-D divergence minimiser with ``(log p)'`` replaced by a plain symbol."""
    generic = divergence_minimiser(_LOG_DENSITY(symbols.x))
    expr = generic.subs(sp.Derivative(_LOG_DENSITY(symbols.x), symbols.x), _SCORE)
    return numeric(expr, symbols.a, symbols.delta, symbols.x, _SCORE)


def divergence_optimum(singular_values, basis, delta: float, x, score) -> np.ndarray:
    """The divergence loss's minimiser over all maps, evaluated at points ``x``.

    Parameters
    ----------
    singular_values : array_like, shape (n,)
    basis : ndarray, shape (n, n)
        Right singular vectors (columns), in which ``A^T A`` is diagonal.
    delta : float
    x, score : ndarray, shape (N, n)
        Points and the prior's score ``grad log p`` at them.

    Returns
    -------
    ndarray, shape (N, n)

    Notes
    -----
    In the singular basis ``A^T A`` is diagonal, so the minimiser ``A^T A x - delta^2
    grad log p(x)`` has the components of :func:`theory.function_space.divergence_minimiser`
    (``a^2 t - delta^2 (log p)'(t)``) with ``a = sigma_j``, ``t = <x, v_j>`` and the score's
    component ``<grad log p(x), v_j>`` in place of ``(log p)'``.
    """
    basis = np.asarray(basis, dtype=np.float64)
    function = _divergence_minimiser_function()
    sigma = np.asarray(singular_values, dtype=np.float64)[None, :]
    components = function(sigma, float(delta), np.asarray(x) @ basis, np.asarray(score) @ basis)
    return components @ basis.T
