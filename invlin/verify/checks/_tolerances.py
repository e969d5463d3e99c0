"""Tolerances with their reasons, shared by the numeric checks.

Every check states why its tolerance has its value; these helpers compute the two kinds used:
rounding bounds (a multiple of machine epsilon times a condition number) and statistical bounds
(k standard errors computed from the sample).
"""

from __future__ import annotations

import numpy as np

EPS = float(np.finfo(np.float64).eps)

#: Standard errors allowed for a Monte Carlo or sample-based comparison. For a Gaussian
#: estimator |Z| > 4 has probability 6.3e-5, so a correct claim fails by chance about once in
#: 16000 comparisons.
K_SIGMA = 4.0


def rounding(condition: float, factor: float = 1e3) -> tuple[float, str]:
    """``factor * condition * eps`` and its reason (backward-stable linear algebra)."""
    tol = factor * max(condition, 1.0) * EPS
    return tol, (f"floating point: {factor:g} x condition number {condition:.3g} x eps "
                 f"(backward-stable solves lose about cond*eps relative accuracy)")


def standard_errors(se: float, n: int, what: str = "mean") -> tuple[float, str]:
    """``K_SIGMA * se`` and its reason."""
    return K_SIGMA * se, (f"{K_SIGMA:g} standard errors of the {what} from n = {n} samples "
                          f"(SE = {se:.3g})")


def batch_standard_error(values: np.ndarray, n_batches: int = 50) -> float:
    """Standard error of the mean of ``values`` (per-sample terms), from batch means.

    Batch means are nearly independent and Gaussian, so their spread estimates the error of the
    overall mean without assuming a per-sample distribution.
    """
    values = np.asarray(values, dtype=np.float64)
    batches = np.array_split(values, n_batches)
    means = np.array([b.mean() for b in batches])
    return float(means.std(ddof=1) / np.sqrt(n_batches))
