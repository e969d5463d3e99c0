"""Exact 1-D Bayesian point estimators from y or z data: posterior mean and MAP."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array, choice
from invlin.estimators import map_estimate, posterior_mean
from invlin.references._setting import setting

DATA_FORMS = ("y", "z")


def _measurements(prior, a, delta, data, form):
    """The validated setting and the measurements y (z = a y is converted back)."""
    choice(form, "form", DATA_FORMS)
    current = setting(prior, a, delta, "approximation", form, None)
    data = as_float_array(data, "data")
    if data.ndim != 1:
        raise ValueError(f"data must be a 1-D array of measurements, got shape {data.shape}")
    y = data if form == "y" else data / current.a
    return current, y[:, None]


def exact_posterior_mean(prior, a, delta, data, form="y") -> np.ndarray:
    """E[x | data] for y = a x + delta eta, x ~ prior (1-D), from y or from z = a y.

    Parameters
    ----------
    prior : invlin.priors.Prior
        Any 1-D prior (the estimators' route follows its capabilities).
    a : float
        Non-zero (``a > 0`` in the y-form).
    delta : float
        Noise level > 0.
    data : array_like, shape (N,)
        y (form "y") or z = a y (form "z").
    form : {"y", "z"}

    Returns
    -------
    ndarray, shape (N,)

    Notes
    -----
    z = a y is an invertible function of y, so E[x | z] = E[x | y = z/a]. The value is
    :func:`invlin.estimators.posterior_mean` of the 1 x 1 problem [[a]]: closed form for
    Gaussian mixtures (rounding error only), trapezoidal quadrature for the logistic and Gumbel
    priors (absolute error below 1e-12, checked against 30-digit quadrature in
    ``tests/invlin/references``), composite Gauss-Legendre on a window for other priors
    (Student-t, ``from_logpdf``, user priors: agreement with brute-force grids to 1e-10 in
    ``tests/invlin/estimators/test_posterior_1d.py``).
    """
    current, y = _measurements(prior, a, delta, data, form)
    return posterior_mean(current.problem, y)[:, 0]


def exact_map(prior, a, delta, data, form="y") -> np.ndarray:
    """argmax_x p(x | data) for y = a x + delta eta (1-D), from y or from z = a y.

    Parameters and conversion as :func:`exact_posterior_mean`; the value is
    :func:`invlin.estimators.map_estimate` of the 1 x 1 problem [[a]] (global damped Newton from
    several starts, relative gradient tolerance 1e-12).

    Raises
    ------
    RuntimeError
        If the MAP search did not converge or found two tied global minima for some data.
    """
    current, y = _measurements(prior, a, delta, data, form)
    x, info = map_estimate(current.problem, y, return_info=True)
    bad = ~(info.converged & info.unique)
    if np.any(bad):
        raise RuntimeError(
            f"the MAP is not determined for {int(bad.sum())} data value(s) (first: "
            f"{float(y[bad][0, 0])!r}): the search did not converge or two modes tie"
        )
    return x[:, 0]
