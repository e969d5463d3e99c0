"""The theory's 1-D formulas that the references evaluate (lambdified once, never re-derived).

Per form the data term is ``M E(phi(x) - t)^2`` with target ``t = T x + noise``: ``T`` is the
coefficient of ``x`` in :func:`theory.scalar.target` (``a`` for y, ``a^2`` for z and z-weighted)
and ``M`` is :func:`theory.scalar.metric` (``1``, or ``1/a^2`` for z-weighted).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from theory import scalar
from theory import symbols as S
from theory.function_space import divergence_minimiser
from theory.numeric import numeric

_LOG_DENSITY = sp.Function("log_p")
_SCORE = sp.Symbol("score", real=True)


@lru_cache(maxsize=None)
def target_coefficient(form: str):
    """``T(a)``: the coefficient of x in the training target, as a function of ``a``."""
    return numeric(sp.diff(scalar.target(form), S.x), S.a)


@lru_cache(maxsize=None)
def data_metric(form: str):
    """``M(a)``: the data-term weight of the form, as a function of ``a``."""
    return numeric(scalar.metric(form), S.a)


@lru_cache(maxsize=None)
def divergence_closed_form(form: str):
    """``phi*(a, c, x, score)``: the divergence loss's minimiser over all maps (1-D).

    Notes
    -----
    :func:`theory.function_space.divergence_minimiser` is the z-form minimiser
    ``a^2 x - (c/2) (log p)'(x)`` of ``E(phi - a^2 x)^2 - c E phi'``. For a form with target
    coefficient ``T`` and metric ``M`` the loss is ``M [E(phi - T x)^2 - (c/M) E phi']`` + const,
    the same problem with ``a^2 -> T`` and ``c -> c/M``; the theory's function is called with
    exactly these arguments (``a = sqrt(T)``, ``weight = c/M``), giving
    ``T x - (c/(2M)) (log p)'(x)``.
    """
    coefficient = sp.diff(scalar.target(form), S.x)
    generic = divergence_minimiser(
        _LOG_DENSITY(S.x), S.x, a=sp.sqrt(coefficient), weight=S.c / scalar.metric(form)
    )
    expr = generic.subs(sp.Derivative(_LOG_DENSITY(S.x), S.x), _SCORE)
    return numeric(expr, S.a, S.c, S.x, _SCORE)


@lru_cache(maxsize=None)
def logdet_gaussian_gain(form: str):
    """``k(a, s, c)``: the log-det gain for the prior ``N(0, s^2)`` (``theory.optimal_gain``)."""
    return numeric(scalar.optimal_gain("logdet", form, weight=S.c), S.a, S.s, S.c)
