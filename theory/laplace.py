"""The Laplace (l1, sparsity) prior in 1-D: MAP, PM, and what each loss's optimum is.

Setting: ``y = a x + delta eta``, ``eta ~ N(0, 1)``, prior ``p(x) = exp(-|x - mu|/b)/(2b)``. The
translation ``x -> x - mu``, ``y -> y - a mu`` maps the problem to ``mu = 0``, which every
function here assumes (every estimate and every optimum below shifts with ``mu``). Names:

- ``t = y/a`` (the noiseless inverse of the data), ``sigma = delta/a`` (the likelihood's width in
  x), ``tau = delta^2/(a^2 b) = sigma^2/b`` (the soft threshold, :func:`threshold`);
- ``xi = t/sigma`` (the layer variable, :data:`xi`), ``epsilon = tau/sigma = delta/(a b)``;
- a training target ``T x + noise`` with data-term weight ``M`` (``T = a, M = 1`` for the y-form,
  ``T = a^2`` and ``M = 1`` or ``1/a^2`` for the z- and z-weighted forms; :mod:`theory.scalar`),
  regulariser weight ``c`` (default ``2 delta^2``) and ``kappa = c/(2 M b)`` (:func:`jump`).

Derivations (the claims in :mod:`theory.claims._laplace` check each step):

- :func:`posterior_mean`: the posterior is a two-sided truncated Gaussian; on ``x > 0`` it is
  ``N(t - tau, sigma^2)``, on ``x < 0`` ``N(t + tau, sigma^2)``, weighted by ``exp(-+t/b)``
  times the truncated masses. :func:`posterior_mean_mills` is the same in Mills ratios
  ``R(u) = Phi(u)/phi(u)``: ``PM = t - tau (R(alpha) - R(beta))/(R(alpha) + R(beta))`` with
  ``alpha = (t - tau)/sigma``, ``beta = -(t + tau)/sigma``; the factor ``exp(t/b) phi(beta)``
  common to both weights cancels, which is what makes it stable (``log R`` has no overflow).
- :func:`divergence_optimum`: ``phi*(x) = T x + kappa sign(x)`` (Stein's identity holds for
  absolutely continuous maps because ``p`` is continuous; the loss is then
  ``M ||phi - phi*||^2_{L2(p)}`` + const).
- :func:`slope_bounded_optimum`: the L2(p) projection of ``phi*`` onto maps with slopes in
  ``[lo, H]`` (``lo <= T <= H``) is ``sign(x) min(H |x|, T |x| + kappa)``.
- :func:`logdet_inverse_leading`: the log-det Euler-Lagrange solution, to leading order in the
  layer ``|t| ~ sigma`` and exactly in its far field.
"""

import sympy as sp

from theory import symbols as S
from theory._checks import choice, expression
from theory.function_space import divergence_minimiser
from theory import scalar

a, b, delta, x, y, c, H = S.a, S.b, S.delta, S.x, S.y, S.c, S.H

#: The layer variable ``xi = t/sigma = a t/delta`` (``t = y/a``).
xi = sp.Symbol("xi", real=True)
#: A generic Mills-ratio argument.
_u = sp.Symbol("u", real=True)


def sigma():
    """``delta/a``: the likelihood's standard deviation in x."""
    return delta / a


def threshold():
    """``tau = delta^2/(a^2 b)``: the soft threshold of the MAP (in ``t = y/a``)."""
    return delta**2 / (a**2 * b)


def log_density(var=x):
    """``log p(x) = -|x|/b - log(2 b)`` (``mu = 0``)."""
    return -sp.Abs(var) / b - sp.log(2 * b)


def soft_threshold(value, level):
    """``S_level(value) = sign(value) max(|value| - level, 0)`` as a Piecewise."""
    value, level = expression(value, "value"), expression(level, "level")
    return sp.Piecewise((value - level, value > level), (value + level, value < -level), (0, True))


def map_objective(var=x):
    """The negative log posterior ``(y - a x)^2/(2 delta^2) + |x|/b`` (up to a constant)."""
    return (y - a * var) ** 2 / (2 * delta**2) + sp.Abs(var) / b


def map_estimate():
    """The MAP as a function of ``y``: ``S_tau(y/a)`` (the soft threshold)."""
    return soft_threshold(y / a, threshold())


def _half_line_integrals():
    """``Z(m) = int_0^oo exp(-(x-m)^2/(2 sigma^2)) dx`` and ``N(m)``, the same with a factor x."""
    mean = sp.Symbol("m_half", real=True)
    var = sp.Symbol("x_half", positive=True)
    kernel = sp.exp(-(var - mean) ** 2 / (2 * sigma() ** 2))
    mass = sp.integrate(kernel, (var, 0, sp.oo))
    first = sp.integrate(var * kernel, (var, 0, sp.oo))
    return mean, mass, first


def completed_squares():
    """Return ``(m_plus, C_plus, m_minus, C_minus)``.

    On ``x > 0``: ``-(y - a x)^2/(2 delta^2) - x/b = -(x - m_plus)^2/(2 sigma^2) + C_plus``; on
    ``x < 0`` the same with ``+x/b``, ``m_minus``, ``C_minus`` (solved for by SymPy from the
    coefficients of ``x`` and ``x^0``).
    """
    out = []
    for side in (1, -1):
        mean, const = sp.symbols("m_s C_s", real=True)
        lhs = -(y - a * x) ** 2 / (2 * delta**2) - side * x / b
        rhs = -(x - mean) ** 2 / (2 * sigma() ** 2) + const
        poly = sp.Poly(sp.expand(lhs - rhs), x)
        solution = sp.solve(poly.coeffs(), [mean, const], dict=True)[0]
        out += [sp.simplify(solution[mean]), sp.expand(solution[const])]
    return tuple(out)


def posterior_mean():
    """The posterior mean ``E[x | y]`` in closed form (erfc), derived by integration.

    ``(e^{C+} N(m+) - e^{C-} N(-m-)) / (e^{C+} Z(m+) + e^{C-} Z(-m-))`` with the half-line
    integrals ``Z, N`` (:func:`completed_squares`; the negative half-line by ``x -> -x``).
    """
    mean, mass, first = _half_line_integrals()
    m_plus, c_plus, m_minus, c_minus = completed_squares()
    numerator = sp.exp(c_plus) * first.subs(mean, m_plus) - sp.exp(c_minus) * first.subs(mean, -m_minus)
    denominator = sp.exp(c_plus) * mass.subs(mean, m_plus) + sp.exp(c_minus) * mass.subs(mean, -m_minus)
    return numerator / denominator


def data_density():
    """``p_T(t)`` of ``t = y/a = x + sigma eta`` in closed form (erfc), in ``y`` (``t = y/a``).

    The posterior's normaliser over ``2 b sigma sqrt(2 pi)``.
    """
    mean, mass, _ = _half_line_integrals()
    m_plus, c_plus, m_minus, c_minus = completed_squares()
    normaliser = sp.exp(c_plus) * mass.subs(mean, m_plus) + sp.exp(c_minus) * mass.subs(mean, -m_minus)
    return normaliser / (2 * b * sigma() * sp.sqrt(2 * sp.pi))


def mills(value):
    """``R(u) = Phi(u)/phi(u) = sqrt(pi/2) exp(u^2/2) erfc(-u/sqrt(2))``."""
    return sp.sqrt(sp.pi / 2) * sp.exp(value**2 / 2) * sp.erfc(-value / sp.sqrt(2))


def mills_arguments(data=y):
    """``(alpha, beta) = ((t - tau)/sigma, -(t + tau)/sigma)`` with ``t = data/a``."""
    t = data / a
    return (t - threshold()) / sigma(), -(t + threshold()) / sigma()


def posterior_mean_mills(data=y):
    """``PM = t - tau (R(alpha) - R(beta))/(R(alpha) + R(beta))`` (the stable form)."""
    alpha, beta = mills_arguments(data)
    return data / a - threshold() * (mills(alpha) - mills(beta)) / (mills(alpha) + mills(beta))


def jump(form="z", weight=None):
    """``kappa = c/(2 M b)``: half the jump of the divergence optimum at the kink."""
    choice(form, "form", scalar.FORMS)
    weight = S.PAPER_WEIGHT if weight is None else expression(weight, "weight")
    return sp.simplify(weight / (2 * scalar.metric(form) * b))


def target_coefficient(form="z"):
    """``T``: the coefficient of x in the form's training target."""
    return sp.diff(scalar.target(form), x)


def divergence_optimum(form="z", weight=None):
    """``phi*(x) = T x - (c/(2M)) (log p)'(x) = T x + kappa sign(x)`` (minimiser over all maps)."""
    weight = S.PAPER_WEIGHT if weight is None else weight
    return sp.expand(divergence_minimiser(log_density(), x, a=sp.sqrt(target_coefficient(form)),
                                          weight=weight / scalar.metric(form)))


def divergence_inverse(data=S.t, form="z", weight=None):
    """The generalised inverse of :func:`divergence_optimum`: ``S_kappa(data)/T``."""
    return soft_threshold(data, jump(form, weight)) / target_coefficient(form)


def zone_edge(upper=H, form="z", weight=None):
    """``x0 = kappa/(H - T)``: where ``H x`` meets ``phi*`` (``H > T``)."""
    return jump(form, weight) / (upper - target_coefficient(form))


def slope_bounded_optimum(upper=H, form="z", weight=None, var=x):
    """The L2(p) projection of ``phi*`` onto maps with slopes in ``[lo, upper]``, ``lo <= T < upper``.

    ``upper x`` for ``|x| <= x0`` (:func:`zone_edge`), ``phi*(x)`` beyond (odd in ``x``).
    """
    T, kappa, x0 = target_coefficient(form), jump(form, weight), zone_edge(upper, form, weight)
    return sp.Piecewise((upper * var, sp.Abs(var) <= x0), (T * var + kappa * sp.sign(var), True))


def slope_bounded_inverse(data=S.t, upper=H, form="z", weight=None):
    """The inverse of :func:`slope_bounded_optimum`: ``data/H`` on ``|data| <= H x0``, else ``phi*^{-1}``.

    Its slope in the dead zone of the soft threshold is ``1/H`` (one block ``H = 1 + L``;
    ``B`` blocks ``H = (1 + L)^B``).
    """
    T, kappa = target_coefficient(form), jump(form, weight)
    edge = upper * zone_edge(upper, form, weight)
    return sp.Piecewise((data / upper, sp.Abs(data) <= edge), ((data - kappa * sp.sign(data)) / T, True))


def composition_slopes(count=S.B, derivative=None):
    """The block slopes of the composition that realises a map ``f`` with ``B`` blocks.

    With ``h_k(x) = int_0^x f'(s)^{k/B} ds`` (``h_0 = Id``, ``h_B = f``), block ``k`` is
    ``g_k = h_k o h_{k-1}^{-1}``; by the chain rule its slope at ``h_{k-1}(x)`` is
    ``h_k'(x)/h_{k-1}'(x)``. Returns ``(slope_k, product_of_slopes)`` for a symbolic ``k`` and
    ``f'(x)`` (default the undefined function ``fp(x)``).
    """
    derivative = sp.Function("fp", positive=True)(x) if derivative is None else derivative
    k = sp.Symbol("k_block", integer=True, positive=True)
    slope = derivative ** (k / count) / derivative ** ((k - 1) / count)
    product = sp.powsimp(derivative ** sp.Sum(1 / count, (k, 1, count)).doit(), force=True)
    return sp.powsimp(slope, force=True), product


def layer_pm_map_gap():
    """Leading term of ``(PM - MAP)/tau`` at fixed ``xi = t/sigma``, ``xi > 0``, delta -> 0.

    ``2 R(beta)/(R(alpha) + R(beta))`` (the exact ratio for ``t > tau``) at ``epsilon = 0``:
    ``2 Phi(-xi)`` (odd continuation for ``xi < 0``).
    """
    eps = sp.Symbol("epsilon_layer", positive=True)
    ratio = 2 * mills(-xi - eps) / (mills(xi - eps) + mills(-xi - eps))
    return ratio, eps


def layer_logdet_profile():
    """``Psi(xi) = 1 - exp(-xi)`` (``xi > 0``, odd): the log-det inner solution.

    The log-det optimum is ``T x + psi_inf Psi(r x)``, ``psi_inf = c/(2 M b T)``,
    ``r = T sqrt(M)/delta``, to leading order (:func:`logdet_residual`).
    """
    return 1 - sp.exp(-xi)


def logdet_residual(form="y", profile=None):
    """The log-det Euler-Lagrange residual of the ansatz on ``x > 0``, in ``xi = r x``.

    The Euler-Lagrange equation of ``M E(phi - T x)^2 - c E log phi'`` is
    ``2 M (phi - T x) p + c (p/phi')' = 0``; on ``x > 0`` (``p'/p = -1/b``) divided by ``p``:
    ``2 M (phi - T x) - c/(b phi') - c phi''/phi'^2``. Returned divided by ``2 M psi_inf`` (the
    size of each term), as a function of ``xi`` and ``delta`` (paper weight).
    """
    profile = layer_logdet_profile() if profile is None else profile
    T, M, c_ = target_coefficient(form), scalar.metric(form), S.PAPER_WEIGHT
    psi_inf = c_ / (2 * M * b * T)
    rate = T * sp.sqrt(M) / delta
    phi = T * x + psi_inf * profile.subs(xi, rate * x)
    slope = sp.diff(phi, x)
    residual = 2 * M * (phi - T * x) - c_ / (b * slope) - c_ * sp.diff(phi, x, 2) / slope**2
    return sp.simplify((residual / (2 * M * psi_inf)).subs(x, xi / rate))


def logdet_far_field(form="y"):
    """``psi_inf = c/(2 M b T)``: the constant offset ``phi - T x`` of the log-det optimum for x >> sigma."""
    T, M = target_coefficient(form), scalar.metric(form)
    return S.PAPER_WEIGHT / (2 * M * b * T)


def logdet_inverse_leading(data=y, form="y"):
    """Leading-order inverse of the log-det optimum: ``t - (psi_inf/T) sign(t) (1 - exp(-r |t|))``.

    ``t = data/T`` (the data divided by the target coefficient: ``y/a`` or ``z/a^2``); for the y-
    and z-weighted forms ``psi_inf/T = tau`` and ``r = 1/sigma``.
    """
    T, M = target_coefficient(form), scalar.metric(form)
    t = data / T
    rate = T * sp.sqrt(M) / delta
    return t - logdet_far_field(form) / T * sp.sign(t) * (1 - sp.exp(-rate * sp.Abs(t)))


__all__ = ["xi", "sigma", "threshold", "log_density", "soft_threshold", "map_objective",
           "map_estimate", "completed_squares", "posterior_mean", "data_density", "mills",
           "mills_arguments", "posterior_mean_mills", "jump", "target_coefficient",
           "divergence_optimum", "divergence_inverse", "zone_edge", "slope_bounded_optimum",
           "slope_bounded_inverse", "composition_slopes", "layer_pm_map_gap",
           "layer_logdet_profile", "logdet_residual", "logdet_far_field", "logdet_inverse_leading"]
