"""The result type of every function-space reference: a map, its inverse and their accuracy."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array


class FunctionSpaceOptimum:
    """The minimiser over increasing maps of one training loss, for one 1-D problem.

    Built by :func:`invlin.references.function_space_optimum`; not meant to be constructed by
    hand.

    Attributes
    ----------
    loss, form : str
        The loss (``"approximation"``, ``"divergence"``, ``"reconstruction"``, ``"logdet"``) and
        the data form (``"y"``, ``"z"``, ``"z-weighted"``).
    a, delta : float
        The problem ``y = a x + delta eta``.
    weight : float or None
        The regulariser weight c (None for unregularised losses).
    forward_accuracy : float
        Stated absolute error bound of ``forward`` (data units) on ``domain``.
    inverse_accuracy : float
        Stated absolute error bound of ``inverse`` (units of x) on ``data_range``; it is the
        forward bound divided by the smallest slope of the map where that slope is below 1.
    accuracy : float
        max(forward_accuracy, inverse_accuracy).
    domain : tuple of float
        Interval of x on which ``forward`` is certified (``(-inf, inf)`` for closed forms).
    data_range : tuple of float
        Interval of data on which ``inverse`` is certified.
    method : str
        How the map was computed (one line, for reports).
    diagnostics : dict
        Method-specific numbers (grid sizes, error estimates, cross-check distances).
    """

    def __init__(self, *, loss, form, a, delta, weight, forward, inverse, forward_accuracy,
                 inverse_accuracy, domain, data_range, method, diagnostics=None):
        self.loss = loss
        self.form = form
        self.a = a
        self.delta = delta
        self.weight = weight
        self.forward_accuracy = float(forward_accuracy)
        self.inverse_accuracy = float(inverse_accuracy)
        self.accuracy = max(self.forward_accuracy, self.inverse_accuracy)
        self.domain = (float(domain[0]), float(domain[1]))
        self.data_range = (float(data_range[0]), float(data_range[1]))
        self.method = method
        self.diagnostics = dict(diagnostics or {})
        self._forward = forward
        self._inverse = inverse

    def __repr__(self) -> str:
        return (
            f"FunctionSpaceOptimum(loss={self.loss!r}, form={self.form!r}, a={self.a!r}, "
            f"delta={self.delta!r}, weight={self.weight!r}, accuracy={self.accuracy:.1e})"
        )

    def forward(self, t) -> np.ndarray:
        """phi*(t): the learned forward map at points ``t`` of the unknown's space.

        Parameters
        ----------
        t : array_like, shape (N,)
            Points inside ``domain``.

        Returns
        -------
        ndarray, shape (N,)
        """
        t = _as_vector(t, "t")
        _require_inside(t, self.domain, "t", "domain")
        return self._forward(t)

    def inverse(self, data) -> np.ndarray:
        """phi*^{-1}(data): the reconstruction from data (y in the y-form, z = a y otherwise).

        Parameters
        ----------
        data : array_like, shape (N,)
            Data inside ``data_range``.

        Returns
        -------
        ndarray, shape (N,)
            Where ``forward`` is constant on an interval (a pooled block of an isotonic
            projection) and ``data`` equals that constant, a point of the interval.
        """
        data = _as_vector(data, "data")
        _require_inside(data, self.data_range, "data", "data_range")
        return self._inverse(data)


def _as_vector(values, name) -> np.ndarray:
    values = as_float_array(values, name)
    if values.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of points, got shape {values.shape}")
    return values


def _require_inside(values, interval, name, label) -> None:
    lo, hi = interval
    outside = (values < lo) | (values > hi)
    if np.any(outside):
        raise ValueError(
            f"{name} must lie in the certified {label} [{lo:.6g}, {hi:.6g}]; "
            f"got {values[outside][0]!r}"
        )
