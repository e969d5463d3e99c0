"""Evaluating the theory's predictions numerically (never re-derived here).

Every prediction a study plots or checks is a SymPy expression from :mod:`theory`, turned into
a NumPy function by :func:`theory.numeric.numeric` (cached lambdify) and evaluated here.
"""

from __future__ import annotations

import numpy as np

from theory import symbols
from theory.numeric import numeric


def evaluate(expr, **values) -> np.ndarray:
    """Evaluate ``expr`` at ``values`` keyed by the names in :mod:`theory.symbols`.

    Arrays broadcast against each other; the result is a float64 array.
    """
    names = sorted(values)
    args = [getattr(symbols, name) for name in names]
    function = numeric(expr, *args)
    arrays = np.broadcast_arrays(*[np.asarray(values[name], dtype=np.float64) for name in names])
    return np.asarray(function(*arrays), dtype=np.float64) + np.zeros(arrays[0].shape)
