"""Closed-form posterior mean and MAP of y = a x + delta eta under a Laplace prior (vectorised).

The formulas are derived in :mod:`theory.laplace` (claims ``laplace-posterior-mean`` and
``laplace-map-soft-threshold``); here they are evaluated stably in float64.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfcx, log_ndtr

_LOG_SQRT_HALF_PI = 0.5 * np.log(np.pi / 2.0)
_HALF_LOG_TWO_PI = 0.5 * np.log(2.0 * np.pi)


def log_mills(u) -> np.ndarray:
    r"""log R(u), R(u) = Phi(u)/phi(u), without overflow or cancellation.

    Notes
    -----
    For u < 0, :math:`R(u) = \sqrt{\pi/2}\,\mathrm{erfcx}(-u/\sqrt2)` (erfcx of a positive
    argument: no overflow, relative accuracy ~1e-15). For u >= 0,
    :math:`\log R(u) = \log\Phi(u) + u^2/2 + \log\sqrt{2\pi}`: ``log_ndtr(u)`` lies in
    [-log 2, 0] and the other two terms are positive, so the sum loses no digits.
    """
    u = np.asarray(u, dtype=np.float64)
    negative = u < 0
    with np.errstate(over="ignore"):
        low = _LOG_SQRT_HALF_PI + np.log(erfcx(-np.minimum(u, 0.0) / np.sqrt(2.0)))
        high = log_ndtr(np.maximum(u, 0.0)) + 0.5 * np.maximum(u, 0.0) ** 2 + _HALF_LOG_TWO_PI
    return np.where(negative, low, high)


def laplace_posterior_mean(data, loc, scale, a, delta) -> np.ndarray:
    r"""E[x | data] for data = a x + delta eta, x ~ Laplace(loc, scale) (all broadcast).

    Notes
    -----
    With :math:`t = data/a - \mu`, :math:`\sigma = \delta/a`, :math:`\tau = \sigma^2/b`,
    :math:`\alpha = (t - \tau)/\sigma`, :math:`\beta = -(t + \tau)/\sigma`:

    .. math::

        E[x \mid y] = \mu + t - \tau\tanh\bigl((\log R(\alpha) - \log R(\beta))/2\bigr),

    the Mills-ratio form :math:`t - \tau (R(\alpha) - R(\beta))/(R(\alpha) + R(\beta))` of the
    claim ``laplace-posterior-mean``. ``log R`` (:func:`log_mills`) is finite for every finite
    argument, and tanh saturates to +-1 without overflow, so the result is finite and accurate
    for measurements arbitrarily far out (checked to 50 prior scales against 30-digit
    quadrature in ``tests/invlin/priors/test_laplace.py``).
    """
    a = np.asarray(a, dtype=np.float64)
    sigma = delta / a
    tau = sigma**2 / scale
    t = np.asarray(data, dtype=np.float64) / a - loc
    alpha, beta = (t - tau) / sigma, -(t + tau) / sigma
    return loc + t - tau * np.tanh(0.5 * (log_mills(alpha) - log_mills(beta)))


def laplace_map(data, loc, scale, a, delta) -> np.ndarray:
    """The MAP loc + S_tau(data/a - loc), tau = delta^2/(a^2 scale) (the soft threshold)."""
    a = np.asarray(a, dtype=np.float64)
    tau = delta**2 / (a**2 * scale)
    t = np.asarray(data, dtype=np.float64) / a - loc
    return loc + np.sign(t) * np.maximum(np.abs(t) - tau, 0.0)
