"""The 1-D logistic density of scale s and its derivatives, elementwise (shared by the priors)."""

from __future__ import annotations

import numpy as np


def logistic_logpdf(c, s):
    """log l(c; s) = -log s - |u| - 2 log1p(e^{-|u|}), u = c / s (never overflows)."""
    u = np.abs(c / s)
    return -np.log(s) - u - 2.0 * np.log1p(np.exp(-u))


def logistic_score(c, s):
    """(log l)'(c) = -tanh(c / (2 s)) / s."""
    return -np.tanh(0.5 * c / s) / s


def logistic_curvature(c, s):
    """(log l)''(c) = -sech^2(u / 2) / (2 s^2), sech^2(u / 2) = 4 e^{-|u|} / (1 + e^{-|u|})^2."""
    decay = np.exp(-np.abs(c / s))
    return -(4.0 * decay / (1.0 + decay) ** 2) / (2.0 * s**2)
