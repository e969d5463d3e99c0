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


def rms_difference(estimate, target, other) -> tuple[float, float]:
    """``RMS(estimate - other) - RMS(estimate - target)`` and its standard error.

    Positive when ``estimate`` is nearer ``target`` than ``other`` on these points.

    Parameters
    ----------
    estimate, target, other : ndarray, shape (N, n)

    Returns
    -------
    difference : float
    se : float
        Standard error over the N points (delta method; 0 for N < 2).

    Notes
    -----
    With ``a_i = |estimate_i - other_i|^2``, ``b_i = |estimate_i - target_i|^2`` and
    ``d_o = sqrt(mean a)``, ``d_t = sqrt(mean b)``, the difference is ``D = d_o - d_t``. To first
    order in the sampling error of the two means, ``D - E D`` is the mean of the influence
    values ``u_i = a_i / (2 d_o) - b_i / (2 d_t)`` (the gradient of ``D`` in the two means applied
    to each point), so ``se(D) = std(u) / sqrt(N)``. The two distances are measured on the same
    points, and ``u`` keeps their correlation (a paired comparison). A distance that is exactly
    zero has all its ``a_i`` (or ``b_i``) zero and contributes nothing.
    """
    to_other = _squared_norms(estimate, other)
    to_target = _squared_norms(estimate, target)
    d_other = float(np.sqrt(np.mean(to_other)))
    d_target = float(np.sqrt(np.mean(to_target)))
    if to_other.size < 2:
        return d_other - d_target, 0.0
    influence = np.zeros_like(to_other)
    if d_other > 0.0:
        influence += to_other / (2.0 * d_other)
    if d_target > 0.0:
        influence -= to_target / (2.0 * d_target)
    return d_other - d_target, float(np.std(influence, ddof=1) / np.sqrt(influence.size))


def loglog_slope(x, y) -> float:
    """Least-squares slope of ``log y`` against ``log x``."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])
