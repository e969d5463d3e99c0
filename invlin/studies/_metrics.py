"""Error measures with standard errors, used to compare learned inverses with PM and MAP."""

from __future__ import annotations

import numpy as np


def _squared_norms(estimate, reference) -> np.ndarray:
    diff = np.asarray(estimate, dtype=np.float64) - np.asarray(reference, dtype=np.float64)
    return np.sum(diff.reshape(diff.shape[0], -1) ** 2, axis=1)


def rms_error(estimate, reference) -> tuple[float, float]:
    """Root-mean-square Euclidean error over points and its standard error.

    Parameters
    ----------
    estimate, reference : ndarray, shape (N, n)

    Returns
    -------
    rms : float
        ``sqrt(mean_i |estimate_i - reference_i|^2)``.
    se : float
        Standard error of ``rms`` over the N points.

    Notes
    -----
    With ``e_i = |estimate_i - reference_i|^2`` the mean squared error has standard error
    ``std(e) / sqrt(N)``; the delta method for the square root gives
    ``se(rms) = se(mean e) / (2 rms)``.
    """
    squared = _squared_norms(estimate, reference)
    rms = float(np.sqrt(np.mean(squared)))
    if squared.size < 2 or rms == 0.0:
        return rms, 0.0
    se_mean = float(np.std(squared, ddof=1) / np.sqrt(squared.size))
    return rms, se_mean / (2.0 * rms)


def relative_rms(estimate, reference) -> float:
    """RMS of ``estimate - reference`` relative to the RMS of ``reference`` (1-D curves)."""
    estimate, reference = np.asarray(estimate, float), np.asarray(reference, float)
    return float(np.sqrt(np.mean((estimate - reference) ** 2) / np.mean(reference**2)))


def rms_ratio(estimate, target, other, rng: np.random.Generator,
              n_boot: int = 400) -> tuple[float, float]:
    """``RMS(estimate - target) / RMS(estimate - other)`` and its bootstrap standard error.

    A ratio below 1 says the estimate is nearer ``target`` than ``other`` on these points. The
    standard error comes from ``n_boot`` paired bootstrap resamples of the points (both RMS
    values are recomputed on the same resample, so their correlation is accounted for).
    """
    to_target = _squared_norms(estimate, target)
    to_other = _squared_norms(estimate, other)
    ratio = float(np.sqrt(np.mean(to_target) / np.mean(to_other)))
    index = rng.integers(0, to_target.size, size=(n_boot, to_target.size))
    boot = np.sqrt(np.mean(to_target[index], axis=1) / np.mean(to_other[index], axis=1))
    return ratio, float(np.std(boot, ddof=1))


def loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x``."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])
