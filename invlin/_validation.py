"""Input validation shared by every public entry point.

Each helper raises ``ValueError`` (or ``TypeError``) whose message names the parameter and the
violated condition, so that nothing is ever computed from bad input.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name: str, *, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a C-contiguous float64 array with only finite entries."""
    try:
        array = np.array(value, dtype=np.float64, order="C", copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be convertible to a float array ({exc})") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return array


def as_points(value, name: str, dim: int) -> tuple[np.ndarray, bool]:
    """Return points as an ``(N, dim)`` float64 array and whether a single point was given.

    A 1-D input of length ``dim`` is one point; the caller uses the flag to return a 1-D result.
    """
    array = as_float_array(value, name)
    if array.ndim == 1 and array.shape[0] == dim:
        return array.reshape(1, dim), True
    if array.ndim == 2 and array.shape[1] == dim:
        return array, False
    raise ValueError(f"{name} must have shape (N, {dim}) or ({dim},), got shape {array.shape}")


def finite_scalar(value, name: str) -> float:
    """Return ``value`` as a float, requiring one finite real number (a 0-d array counts)."""
    array = as_float_array(value, name)
    if array.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {array.shape}")
    return float(array)


def positive_scalar(value, name: str) -> float:
    """Return ``value`` as a float, requiring it to be real, finite and strictly positive."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0.0:
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return value


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int, requiring it to be integral and >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def choice(value, name: str, options) -> str:
    """Return ``value`` if it is one of ``options``; otherwise name the valid options."""
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {sorted(options)}")
    return value


def require_generator(rng, name: str = "rng") -> np.random.Generator:
    """Require an explicit ``numpy.random.Generator`` (seeds are always explicit)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng
