"""Beyond first order: the point estimators and the learned inverses as series in delta^2.

Setting: one component ``y = a x + delta eta``, ``eta ~ N(0, 1)``, a smooth prior density
``p_X = exp(l)`` (any, not only Gaussian), ``z = a y``. Every estimator ``x_hat`` below is a
function of the data; at the data point ``y`` (``z = a y``) it is expanded as

.. math:: \\hat x = \\frac{y}{a} + \\sum_{n\\ge1} \\delta^{2n} C_n(a; l_1, l_2, \\dots),
   \\qquad l_k = l^{(k)}(y/a),

the derivatives of ``l = log p_X`` **evaluated at ``t = y/a``** (the noiseless inverse of the
data; symbols ``theory.symbols.l1 ... l7``). Results (derived here, to ``delta^4``):

======================================  ==========================================================
posterior mean (Tweedie + heat)         ``t + d^2 l1/a^2 + d^4 (l1 l2 + l3/2)/a^4``
MAP                                     ``t + d^2 l1/a^2 + d^4 l1 l2/a^4``
log-det inverse, y and z-weighted       ``t + d^2 l1/a^2 + d^4 (2 l1 l2 + l3)/a^4``
log-det inverse, z unweighted           ``t + d^2 l1/a^4 + d^4 (2 l1 l2 + l3)/a^8``
divergence inverse, z                   the MAP (to all orders: the same equation)
divergence inverse, y                   ``t + d^2 l1/a + d^4 l1 l2/a^2`` (MAP at ``a delta^2``)
divergence inverse, z-weighted          ``t + d^2 l1 + d^4 l1 l2`` (MAP at ``a^2 delta^2``)
======================================  ==========================================================

Nothing in that table is typed into the code: each series is computed by SymPy from the
defining equation (Tweedie's formula with the heat expansion of ``p_Y``, the MAP equation, the
log-det Euler-Lagrange equation, the divergence minimiser), solved order by order.

Method (jets)
-------------
The coefficient of ``delta^{2n}`` at the point depends only on finitely many derivatives of
``l`` there (at most ``l^{(2n-1)}``). So ``l`` is replaced by its Taylor polynomial of degree
``2 order + 1`` about ``t`` with symbolic coefficients ``l_k``; every function (of the data
offset ``v``) is then a polynomial, derivatives are exact up to that degree, and the result is
checked to be free of the two highest ``l_k`` (so the truncation cannot have entered).
"""

from functools import lru_cache

import sympy as sp

from theory import function_space as fs
from theory import scalar as sc
from theory import symbols as S
from theory._checks import choice
from theory.expectation import gaussian_expectation

FORMS = sc.FORMS
MAX_ORDER = 3

_EPS = sp.Symbol("epsilon_sq", positive=True)  # delta^2 during the derivation
_V = sp.Symbol("v_offset", real=True)  # offset of the data variable from the data point
_T0 = sp.Symbol("t_point", real=True)  # the point t = y/a


def _check_order(order):
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must be an int in [1, {MAX_ORDER}], got {order!r}")
    return order


def _jet(offset, degree):
    """``l(t + offset) - l(t)``: the Taylor polynomial of ``l`` about ``t`` (coefficients l_k)."""
    return sum(S.LOG_DERIVATIVES[k - 1] * offset**k / sp.factorial(k) for k in range(1, degree + 1))


def _form(form):
    """``(T, M)``: the target's slope in ``x`` and the data-term weight (theory.scalar)."""
    choice(form, "form", FORMS)
    return sp.diff(sc.target(form), S.x), sc.metric(form)


def _truncate(expr, order):
    """Drop the powers of ``epsilon`` above ``order`` from a polynomial in it."""
    expr = sp.expand(expr)
    return sum(expr.coeff(_EPS, n) * _EPS**n for n in range(order + 1))


def _polynomial_part(expr, degrees):
    """Drop from a polynomial the monomials whose degree in a variable exceeds ``degrees[var]``."""
    variables = list(degrees)
    poly = sp.Poly(sp.expand(expr), *variables)
    keep = [sp.Mul(coeff, *[v**e for v, e in zip(variables, powers)])
            for powers, coeff in poly.terms()
            if all(e <= degrees[v] for v, e in zip(variables, powers))]
    return sp.Add(*keep)


def _compose(polynomial, var, offset, keep):
    """Evaluate a polynomial in ``var`` at ``offset`` (Horner), truncating by ``keep`` degrees."""
    result = sp.Integer(0)
    for coeff in sp.Poly(polynomial, var).all_coeffs():
        result = _polynomial_part(result * offset + coeff, keep)
    return result


def _solve_order_by_order(equation, leading, order, derivatives=0):
    """Solve ``equation(psi) = 0`` for ``psi = leading + sum_n eps^n h_n(v)``, order by order.

    ``equation(psi, keep)`` returns the equation's left side as a polynomial in ``eps`` and
    ``v``, truncated to the degrees ``keep``. At order ``n`` the unknown ``h_n`` enters only
    through ``psi`` itself, linearly: its derivatives (log-det) come with a further factor
    ``eps``. So ``h_n`` is solved for as a constant symbol ``H`` at that order, and the
    solution (a polynomial in ``v``, from the lower orders) is added to ``psi``.

    ``derivatives`` is the highest derivative of ``psi`` in the equation (0 for a pointwise
    equation): ``h_n`` is then needed to degree ``derivatives * (order - n)`` in ``v`` (each
    later order differentiates the earlier ones at most that often), so the polynomials are
    truncated there. Returns ``psi``, after checking that it leaves no residual in the
    equation at ``v = 0`` up to ``eps^order``.
    """
    H = sp.Symbol("H_unknown", real=True)
    psi = leading
    for n in range(1, order + 1):
        keep = {_EPS: n, _V: derivatives * (order - n)}
        coefficient = sp.expand(equation(psi + _EPS**n * H, keep)).coeff(_EPS, n)
        slope, rest = coefficient.coeff(H, 1), coefficient.coeff(H, 0)
        if sp.expand(coefficient - slope * H - rest) != 0 or slope.has(_V) or slope == 0:
            raise RuntimeError(f"order {n}: the equation is not linear in h_{n}: {coefficient}")
        psi = psi + _EPS**n * sp.expand(-rest / slope)
    residual = sp.expand(equation(psi, {_EPS: order, _V: 0}))
    if residual != 0:
        raise RuntimeError(f"the order-by-order solution leaves the residual {residual}")
    return psi


def _at_point(psi, order):
    """Evaluate at the data point (v = 0), eps = delta^2, t = y/a; check the jet was enough."""
    value = sp.expand(psi.subs(_V, 0))
    degree = 2 * order + 1
    spare = set(S.LOG_DERIVATIVES[degree - 2:degree])
    if value.free_symbols & spare:
        raise RuntimeError(f"series depends on the jet's top coefficients {spare}: jet too short")
    return sp.expand(value.subs({_EPS: S.delta**2, _T0: S.y / S.a}))


# --- estimators ------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def posterior_mean_series(order=2):
    """Return the posterior mean ``E[x | y]`` as a series in ``delta`` to ``delta^(2 order)``.

    Parameters
    ----------
    order : int, default 2
        Highest power of ``delta^2`` kept (``1 <= order <= 3``).

    Returns
    -------
    sympy.Expr
        ``y/a + sum_{n<=order} delta^{2n} C_n``, polynomial in ``l_k = l^{(k)}(y/a)``. To
        ``delta^4``: ``y/a + delta^2 l1/a^2 + delta^4 (l1 l2 + l3/2)/a^4``.

    Notes
    -----
    Tweedie: :math:`a\\,x_{PM}(y) = y + \\delta^2 (\\log p_Y)'(y)` with
    :math:`p_Y(y) = E_v\\,p_{aX}(y - v)`, :math:`v \\sim N(0, \\delta^2)`,
    :math:`p_{aX}(y) = p_X(y/a)/a`. Expanding :math:`p_{aX}(y - v)/p_{aX}(y) =
    \\exp(l((y - v)/a) - l(y/a))` in ``v`` and taking the Gaussian moments
    (:func:`theory.expectation.gaussian_expectation`) gives the heat expansion
    :math:`p_Y = p_{aX}(1 + \\frac{\\delta^2}{2a^2}(l'' + l'^2) + \\dots)`; its logarithmic
    derivative, expanded in ``delta``, gives the series. The expansion in ``v`` is asymptotic:
    it assumes ``p_X`` smooth with derivatives dominated by ``p_X`` itself near the point.
    """
    order = _check_order(order)
    degree = 2 * order + 1
    noise = sp.Symbol("v_noise", real=True)
    # log p_aX(y + w) - log p_aX(y) = l(t + w/a) - l(t): a polynomial in w (the jet). Only the
    # value and the first derivative in v at v = 0 are needed: keep v to degree 1.
    shift = _polynomial_part(_jet((_V - noise) / S.a, degree) - _jet(_V / S.a, degree),
                             {_V: 1, noise: 2 * order})
    # exp(shift), shift = O(noise): its Taylor polynomial in noise to degree 2 order.
    factor, power = sp.Integer(1), sp.Integer(1)
    for j in range(1, 2 * order + 1):
        power = _polynomial_part(power * shift, {_V: 1, noise: 2 * order})
        factor += power / sp.factorial(j)
    heat = gaussian_expectation(factor, {noise: sp.sqrt(_EPS)})  # p_Y / p_aX near y
    heat = _polynomial_part(heat, {_V: 1, _EPS: order})
    # (log p_Y)' = (log p_aX)' + heat'/heat at v = 0; heat(0) = 1 + O(eps), inverted as a
    # truncated geometric series in eps.
    value, slope = heat.subs(_V, 0), sp.diff(heat, _V).subs(_V, 0)
    inverse, term = sp.Integer(1), sp.Integer(1)
    for _ in range(order):
        term = _truncate(term * (1 - value), order)
        inverse += term
    score_y = sp.diff(_jet(_V / S.a, degree), _V).subs(_V, 0) + _truncate(slope * inverse, order)
    pm = (_T0 * S.a + _EPS * score_y) / S.a
    return _at_point(_truncate(pm, order), order)


@lru_cache(maxsize=None)
def map_series(order=2):
    """Return the MAP estimate as a series in ``delta`` to ``delta^(2 order)``.

    Returns
    -------
    sympy.Expr
        To ``delta^4``: ``y/a + delta^2 l1/a^2 + delta^4 l1 l2/a^4`` (``l_k`` at ``y/a``).

    Notes
    -----
    The MAP minimises :math:`J(x) = \\frac12 (a x - y)^2 - \\delta^2 l(x)`; the series solves
    :math:`J'(x) = 0` order by order in :math:`\\delta^2`, starting from ``y/a``.
    """
    order = _check_order(order)
    w = sp.Dummy("w", real=True)  # x - t
    data = S.a * _T0  # pointwise equation: only v = 0 is needed
    objective = (S.a * (_T0 + w) - data) ** 2 / 2 - _EPS * _jet(w, 2 * order + 1)
    gradient = sp.expand(sp.diff(objective, w))
    psi = _solve_order_by_order(
        lambda p, keep: _compose(gradient, w, p - _T0, keep), data / S.a, order)
    return _at_point(psi, order)


@lru_cache(maxsize=None)
def logdet_inverse_series(form="y", order=2):
    """Return the inverse of the log-det optimum at the data point, as a series in ``delta``.

    Parameters
    ----------
    form : {"y", "z", "z-weighted"}, default "y"
        The data is ``y`` (y-form) or ``z = a y`` (z-forms); the inverse is evaluated at it.
    order : int, default 2

    Returns
    -------
    sympy.Expr
        y and z-weighted: ``y/a + delta^2 l1/a^2 + delta^4 (2 l1 l2 + l3)/a^4``; unweighted z:
        ``y/a + delta^2 l1/a^4 + delta^4 (2 l1 l2 + l3)/a^8`` (``l_k`` at ``y/a``).

    Notes
    -----
    The minimiser over increasing maps satisfies the Euler-Lagrange equation (claim
    ``logdet-euler-lagrange``) :math:`T\\psi(u) = u + \\frac{c}{2M}(\\log q)'(u)` with
    :math:`\\psi = \\phi^{-1}`, :math:`c = 2\\delta^2`, :math:`q = \\phi_\\# p_X`, i.e.
    :math:`q(u) = p_X(\\psi(u))\\,\\psi'(u)`, so :math:`(\\log q)' = l'(\\psi)\\psi' +
    \\psi''/\\psi'`. Multiplied by :math:`\\psi' > 0` the equation is polynomial in
    :math:`\\delta^2` and is solved order by order from ``psi = u/T``. Unlike the PM and MAP
    equations it involves the derivatives of ``psi``: the learned inverse is determined by a
    differential equation, not pointwise.
    """
    order = _check_order(order)
    T, M = _form(form)
    w = sp.Dummy("w", real=True)  # x - t
    score = sp.expand(sp.diff(_jet(w, 2 * order + 1), w))  # l'(t + w)
    weight = S.PAPER_WEIGHT.subs(S.delta, sp.sqrt(_EPS))
    data = T * _T0 + _V
    bracket, (G1, P1, P2) = _score_of_pushforward_times_slope()

    def equation(psi, keep):
        slope = sp.diff(psi, _V)
        values = {G1: _compose(score, w, psi - _T0, keep), P1: slope, P2: sp.diff(slope, _V)}
        q_term = _polynomial_part(bracket.subs(values), keep)
        return _polynomial_part((T * psi - data) * slope - weight / (2 * M) * q_term, keep)

    psi = _solve_order_by_order(equation, data / T, order, derivatives=2)
    return _at_point(psi, order)


def _score_of_pushforward_times_slope():
    """``(log q)'(u) psi'(u)`` for ``q(u) = p(psi(u)) psi'(u)``, derived with generic functions.

    Returns the expression in placeholders ``G1 = l'(psi(u))``, ``P1 = psi'(u)``,
    ``P2 = psi''(u)`` (it is ``G1 P1^2 + P2``) and the placeholders.
    """
    F, log_p = sp.Function("F")(_V), sp.Function("log_p")
    log_q = log_p(F) + sp.log(sp.diff(F, _V))
    expr = sp.expand(sp.diff(log_q, _V) * sp.diff(F, _V))
    G1, P1, P2 = sp.symbols("G1 P1 P2", real=True)
    xi = sp.Dummy("xi")
    generic_score = sp.diff(log_p(xi), xi).subs(xi, F)
    expr = expr.subs(sp.diff(F, _V, 2), P2).subs(sp.diff(F, _V), P1)
    expr = expr.subs(generic_score, G1)
    if expr.has(F) or expr.has(log_p):
        raise RuntimeError(f"unexpected form of (log q)' psi': {expr}")
    return sp.expand(expr), (G1, P1, P2)


@lru_cache(maxsize=None)
def divergence_inverse_series(form="z", order=2):
    """Return the inverse of the divergence optimum at the data point, as a series in ``delta``.

    Returns
    -------
    sympy.Expr
        z: the MAP series; y: ``y/a + delta^2 l1/a + delta^4 l1 l2/a^2``; z-weighted:
        ``y/a + delta^2 l1 + delta^4 l1 l2`` (``l_k`` at ``y/a``).

    Notes
    -----
    The minimiser :math:`\\phi^*(x) = Tx - \\frac{c}{2M} l'(x)`
    (:func:`theory.function_space.divergence_minimiser`, pointwise, from Stein's identity); its
    inverse at data ``u`` solves :math:`\\phi^*(x) = u`, i.e.
    :math:`x = u/T + \\frac{c}{2MT} l'(x)`: the MAP equation :math:`x = y/a + \\frac{\\delta^2}{a^2}
    l'(x)` with :math:`\\delta^2` replaced by :math:`\\delta^2 a^2/(MT)`, which is
    :math:`\\delta^2` (z), :math:`a\\delta^2` (y), :math:`a^2\\delta^2` (z-weighted).
    """
    order = _check_order(order)
    T, _ = _form(form)
    w = sp.Dummy("w", real=True)  # x - t
    log_p = sp.Function("log_p")
    generic = fs.divergence_minimiser(log_p(w), var=w, form=form)
    score = sp.diff(_jet(w, 2 * order + 1), w)  # l'(t + w)
    phi_star = generic.subs(sp.Derivative(log_p(w), w), score)
    phi_star = sp.expand(phi_star.subs(S.delta, sp.sqrt(_EPS)) + T * _T0)  # x = t + w
    data = T * _T0  # pointwise equation: only v = 0 is needed
    psi = _solve_order_by_order(
        lambda p, keep: _compose(phi_star - data, w, p - _T0, keep), data / T, order)
    return _at_point(psi, order)


# --- coefficients and concrete priors --------------------------------------------------------

def coefficient(series, power):
    """Return the coefficient of ``delta**power`` in a series of this module."""
    return sp.expand(series).coeff(S.delta, power)


def at_prior(expr, prior, var=None):
    """Substitute a concrete prior's ``l_k`` (evaluated at ``y/a``) into ``expr``.

    Parameters
    ----------
    expr : sympy.Expr
        A series or coefficient of this module (in ``l1, l2, ...``).
    prior : str
        One of :data:`theory.function_space.ALL_PRIORS`.
    var : sympy.Expr, optional
        Where the derivatives are evaluated; default ``y/a`` (the convention of this module).
    """
    var = S.y / S.a if var is None else var
    count = max((S.LOG_DERIVATIVES.index(sym) + 1 for sym in expr.free_symbols
                 if sym in S.LOG_DERIVATIVES), default=1)
    return expr.subs(fs.log_density_derivatives(prior, var, count))


# --- exact instances (cross-checks independent of the jet machinery) -------------------------

def taylor(expr, var, order):
    """Taylor polynomial of ``expr`` in ``var`` at 0 to ``var**order``, by differentiation.

    Used instead of ``sympy.series`` for the exact instances: SymPy 1.x's ``series`` drops the
    first-order term of ``log(sech(f(eps)))`` (e.g. ``series(log(sech(1 + eps)), eps, 0, 2)``
    returns ``log(sech(1)) + O(eps^2)``); differentiating is slower but safe.
    """
    return sum(sp.diff(expr, var, k).subs(var, 0) * var**k / sp.factorial(k)
               for k in range(order + 1))


def logdet_exact_instance(order=2):
    """An exact log-det optimum for a non-Gaussian prior, built backwards from its output law.

    Choose the output law ``q(u) = sech(u)/pi``. The Euler-Lagrange equation (y-form,
    ``c = 2 delta^2``) ``a psi(u) = u + delta^2 (log q)'(u)`` then *defines* the inverse
    ``psi(u) = (u - delta^2 tanh u)/a`` (increasing for ``delta < 1``), and the prior for
    which this is the optimum is the law of ``psi(U)``, ``U ~ q``:
    ``l(psi(u)) = log q(u) - log psi'(u)``.

    Parameters
    ----------
    order : int, default 2
        The series order the instance serves (``delta^(2 order)``): the prior is expanded to
        ``delta^(2 order - 2)``.

    Returns
    -------
    exact : sympy.Expr
        ``psi(y)`` in ``y, a, delta``.
    log_prior : sympy.Expr
        ``l = log p_X`` in ``x``, to ``delta^(2 order - 2)``, enough for the ``delta^(2 order)``
        term of the series (``l`` enters it multiplied by ``delta^2``).

    Notes
    -----
    ``x = psi(u)`` inverts to the fixed point ``u = a x + delta^2 tanh(u)``; ``order - 1``
    iterations from ``a x`` are exact to ``delta^(2 order - 2)`` and are substituted into
    ``log q(u) - log psi'(u)``; the prior depends on
    ``delta`` (it is built for this noise level), so the series is compared with the exact
    ``psi(y)`` as a whole, order by order in ``delta^2``.
    """
    order = _check_order(order)
    eps = sp.Symbol("epsilon_sq", positive=True)
    u = sp.Dummy("u", real=True)
    log_q = sp.log(sp.sech(u) / sp.pi)
    psi = (u + eps * sp.diff(log_q, u)) / S.a
    inverse = S.a * S.x
    for _ in range(order - 1):
        inverse = S.a * S.x + eps * sp.tanh(inverse)
    log_prior = taylor((log_q - sp.log(sp.diff(psi, u))).subs(u, inverse), eps, order - 1)
    return psi.subs(u, S.y).subs(eps, S.delta**2), log_prior.subs(eps, S.delta**2)


def at_log_density(expr, log_density, var=S.x):
    """Substitute ``l_k = d^k/dvar^k log_density`` at ``var = y/a`` into ``expr``."""
    return expr.subs({sym: sp.diff(log_density, var, k).subs(var, S.y / S.a)
                      for k, sym in enumerate(S.LOG_DERIVATIVES, 1) if expr.has(sym)})


def series_residual(series, exact, order=2):
    """Return the Taylor coefficients (in ``delta^2``, to ``order``) of ``series - exact``."""
    eps = sp.Symbol("epsilon_sq", positive=True)
    difference = (series - exact).subs(S.delta, sp.sqrt(eps))
    return sp.simplify(taylor(difference, eps, order))
