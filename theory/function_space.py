"""Function-space results: optimality over all maps, with generic and concrete priors.

Generic densities are SymPy ``Function`` objects (e.g. ``p(x)``, a potential ``V`` with
``p_X = exp(-V)``); concrete instances are the Gaussian ``N(0, s^2)``, the symmetric bimodal
Gaussian mixture ``(N(-m, tau^2) + N(m, tau^2))/2``, the standard logistic density, and two
skewed priors: the asymmetric mixture ``omega N(m, tau^2) + (1 - omega) N(-m, tau^2)`` and the
standard Gumbel density ``exp(-(x + e^{-x}))`` (log-concave).

Each function returns SymPy expressions; the claims in :mod:`theory.claims` check them.
"""

import sympy as sp

from theory import symbols as S
from theory._checks import choice

#: Priors with the Stein/Tweedie machinery of this module (symmetric about 0).
PRIORS = ("gaussian", "mixture", "logistic")
#: Skewed priors, where the delta^4 terms of PM, MAP and the learned inverses differ.
SKEWED_PRIORS = ("mixture-asymmetric", "gumbel")
ALL_PRIORS = PRIORS + SKEWED_PRIORS


def density(prior, var=S.x):
    """Return a concrete 1-D prior density in ``var``.

    Parameters
    ----------
    prior : {"gaussian", "mixture", "logistic", "mixture-asymmetric", "gumbel"}
        ``N(0, s^2)``; ``(N(-m, tau^2) + N(m, tau^2))/2``; the standard logistic density
        ``e^{-x}/(1 + e^{-x})^2``; ``omega N(m, tau^2) + (1 - omega) N(-m, tau^2)``
        (``0 < omega < 1``); the standard Gumbel density ``exp(-(x + e^{-x}))``.
    var : sympy.Symbol
    """
    choice(prior, "prior", ALL_PRIORS)
    if prior == "gaussian":
        return gaussian_pdf(var, 0, S.s**2)
    if prior == "mixture":
        return (gaussian_pdf(var, -S.m, S.tau**2) + gaussian_pdf(var, S.m, S.tau**2)) / 2
    if prior == "mixture-asymmetric":
        return (S.omega * gaussian_pdf(var, S.m, S.tau**2)
                + (1 - S.omega) * gaussian_pdf(var, -S.m, S.tau**2))
    if prior == "gumbel":
        return sp.exp(-(var + sp.exp(-var)))
    return sp.exp(-var) / (1 + sp.exp(-var)) ** 2


def gaussian_pdf(var, mean, variance):
    """Return the density of ``N(mean, variance)`` at ``var``."""
    return sp.exp(-((var - mean) ** 2) / (2 * variance)) / sp.sqrt(2 * sp.pi * variance)


def score(prior, var=S.x):
    """Return ``(log p)'`` of a concrete prior, simplified."""
    return sp.simplify(sp.diff(sp.log(density(prior, var)), var))


def log_density_derivatives(prior, var=S.x, count=3):
    """Return ``{l_k: d^k/dvar^k log p(var)}`` for ``k = 1..count`` (a concrete prior).

    Parameters
    ----------
    prior : str
        One of :data:`ALL_PRIORS`.
    var : sympy.Expr
        Where to evaluate; the series of :mod:`theory.higher_order` evaluate at ``y/a``.
    count : int, default 3
        Number of derivatives (at most ``len(theory.symbols.LOG_DERIVATIVES)``).

    Returns
    -------
    dict
        Keys ``theory.symbols.l1, l2, ...``; values SymPy expressions in ``var`` and the prior's
        parameters (``s``; ``m, tau``; ``omega``). E.g. Gumbel: ``l1 = e^{-x} - 1``,
        ``l2 = -e^{-x}``, ``l3 = e^{-x}``; Gaussian: ``-x/s^2, -1/s^2, 0``.
    """
    if not 1 <= count <= len(S.LOG_DERIVATIVES):
        raise ValueError(f"count must be in [1, {len(S.LOG_DERIVATIVES)}], got {count}")
    dummy = sp.Dummy("x", real=True)
    log_p = sp.log(density(prior, dummy))
    return {S.LOG_DERIVATIVES[k - 1]: sp.diff(log_p, dummy, k).subs(dummy, var)
            for k in range(1, count + 1)}


# --- divergence ------------------------------------------------------------------------------

def divergence_minimiser(log_density, var=S.x, a=S.a, weight=None, form="z"):
    """Return the minimiser over all maps of the 1-D divergence loss.

    Parameters
    ----------
    log_density : sympy.Expr
        ``log p_X`` as an expression in ``var`` (generic or concrete).
    var : sympy.Symbol
    a : sympy.Expr
        Singular value (``A^T A = a^2``).
    weight : sympy.Expr, optional
        ``c``; default ``2 delta^2``.
    form : {"z", "y", "z-weighted"}, default "z"
        Target ``t = T x + noise`` with ``T = a`` (y) or ``a^2`` (z-forms) and data-term
        weight ``M = 1`` or ``1/a^2`` (z-weighted), as in :mod:`theory.scalar`.

    Returns
    -------
    sympy.Expr
        ``phi*(x) = T x - (c/(2M)) (log p_X)'(x)``; z-form with ``c = 2 delta^2``:
        ``a^2 x - delta^2 (log p_X)'(x)``; y-form ``a x - delta^2 (log p_X)'(x)``; z-weighted
        ``a^2 (x - delta^2 (log p_X)'(x))``.

    Notes
    -----
    Stein's identity :math:`E[\\phi'(X)] = -E[\\phi(X) (\\log p_X)'(X)]` (integration by parts;
    the boundary term :math:`[\\phi p_X]` vanishes) turns the loss
    :math:`M E(\\phi - t)^2 - c E\\phi'` into :math:`E[M(\\phi - Tx)^2 + c\\,\\phi\\,(\\log p_X)']`
    + const (the noise is independent of ``x``); the integrand is a convex quadratic in the value
    :math:`\\phi(x)`, minimised pointwise where its derivative vanishes. SymPy solves that
    linear equation here.
    """
    choice(form, "form", ("y", "z", "z-weighted"))
    c = S.PAPER_WEIGHT if weight is None else weight
    T = a if form == "y" else a**2
    M = a**-2 if form == "z-weighted" else 1
    value, score_value = sp.Dummy("phi", real=True), sp.Dummy("g", real=True)
    integrand = M * (value - T * var) ** 2 + c * value * score_value
    (minimiser,) = sp.solve(sp.diff(integrand, value), value)
    return sp.expand(minimiser).subs(score_value, sp.diff(log_density, var))


def divergence_completed_square(dim=2, weight=None):
    """Return the pointwise residual of the completed square behind the divergence loss.

    With symbols for the values ``phi``, ``x``, the score ``g = grad log p`` and a generic
    ``A`` (``dim x dim``), returns ``R = |phi - Bx|^2 + c phi . g - |phi - m|^2`` with
    ``B = A^T A`` and ``m = Bx - (c/2) g``, together with ``phi``: ``dR/dphi = 0`` shows that after
    Stein's identity (``-c E div phi = c E phi . grad log p``) the loss differs from
    ``E|phi - m|^2`` by a phi-independent constant.
    """
    c = S.PAPER_WEIGHT if weight is None else weight
    phi = sp.Matrix(sp.symbols(f"phi0:{dim}", real=True))
    xv = sp.Matrix(sp.symbols(f"x0:{dim}", real=True))
    g = sp.Matrix(sp.symbols(f"g0:{dim}", real=True))
    A = sp.Matrix(dim, dim, sp.symbols(f"A0:{dim * dim}", real=True))
    B = A.T * A
    m = B * xv - c / 2 * g
    R = ((phi - B * xv).T * (phi - B * xv))[0] + c * (phi.T * g)[0] - ((phi - m).T * (phi - m))[0]
    return R, phi


def stein_product_rule(dim=2):
    """Return ``div(p phi) - (p div phi + phi . grad p)`` for generic functions (zero).

    Integrating ``div(p phi)`` over R^n gives zero for decaying ``p phi`` (divergence theorem),
    which is Stein's identity ``E div phi = -E phi . grad log p``.
    """
    xs = sp.symbols(f"x0:{dim}", real=True)
    p = sp.Function("p")(*xs)
    phi = [sp.Function(f"phi{i}")(*xs) for i in range(dim)]
    lhs = sum(sp.diff(p * phi[i], xs[i]) for i in range(dim))
    rhs = p * sum(sp.diff(phi[i], xs[i]) for i in range(dim)) + sum(
        phi[i] * sp.diff(p, xs[i]) for i in range(dim)
    )
    return lhs - rhs


def map_gradient_residual(dim=2):
    """Return ``phi*(x) - z - grad_x J_MAP(x)`` for generic ``A``, ``y`` and ``log p`` (zero).

    ``J_MAP(x) = |Ax - y|^2/2 - delta^2 log p(x)``, ``z = A^T y`` and
    ``phi*(x) = A^T A x - delta^2 grad log p(x)``: ``phi*(x) = z`` is the MAP equation.
    """
    xs = sp.Matrix(sp.symbols(f"x0:{dim}", real=True))
    ys = sp.Matrix(sp.symbols(f"y0:{dim}", real=True))
    A = sp.Matrix(dim, dim, sp.symbols(f"A0:{dim * dim}", real=True))
    logp = sp.Function("logp")(*xs)
    J = ((A * xs - ys).T * (A * xs - ys))[0] / 2 - S.delta**2 * logp
    grad_J = sp.Matrix([sp.diff(J, v) for v in xs])
    grad_logp = sp.Matrix([sp.diff(logp, v) for v in xs])
    phi = A.T * A * xs - S.delta**2 * grad_logp
    return phi - A.T * ys - grad_J


def mixture_log_hessian(var=S.x):
    """Return ``(log p)''`` of the symmetric mixture and its closed form.

    Returns
    -------
    exact, closed : sympy.Expr
        ``closed = -1/tau^2 + (m/tau^2)^2 sech^2(m x/tau^2)``, maximal at ``x = 0`` where it
        equals ``(m^2 - tau^2)/tau^4``.
    """
    exact = sp.diff(sp.log(density("mixture", var)), var, 2)
    closed = -1 / S.tau**2 + (S.m / S.tau**2) ** 2 * sp.sech(S.m * var / S.tau**2) ** 2
    return exact, closed


def mixture_min_slope():
    """Return ``inf_x phi*'(x)`` for the symmetric mixture (z-form divergence minimiser).

    Returns
    -------
    minimum : sympy.Expr
        ``phi*'(0)``, in ``a, delta, m, tau`` (equal to ``a^2 - delta^2 (m^2 - tau^2)/tau^4``).
    excess : sympy.Expr
        ``phi*'(x) - phi*'(0)``, as derived (in ``x``); it equals
        ``delta^2 (m/tau^2)^2 tanh^2(m x/tau^2) >= 0`` (checked by the claim), which is why
        the infimum is attained at ``x = 0``.

    Notes
    -----
    ``phi*' = a^2 - delta^2 (log p)''`` is even (the prior is symmetric), so ``x = 0`` is a
    critical point; the excess shows it is the global minimum.
    """
    slope = sp.diff(divergence_minimiser(sp.log(density("mixture"))), S.x)
    minimum = sp.simplify(slope.subs(S.x, 0))
    return minimum, slope - minimum


# --- log-det ---------------------------------------------------------------------------------

def logdet_first_variation(form="y"):
    """Return the 1-D Euler-Lagrange expression of the log-det loss and its transported form.

    The loss over maps ``phi`` is ``int p(x) [M (phi(x) - T x)^2 - c log phi'(x)] dx`` (+ noise
    constant), with ``T = a`` (y) or ``a^2`` (z, z-weighted) and ``M = 1`` or ``1/a^2``.

    Returns
    -------
    el : sympy.Expr
        ``dL/dphi - d/dx dL/dphi'`` (SymPy's ``euler_equations``), with ``p`` generic.
    transported : sympy.Expr
        ``el / (q(phi) phi')`` after the change of variables ``p(x) = q(phi(x)) phi'(x)``
        (``q = phi_# p``), expected to equal ``2 M (phi - T x) + c (log q)'(phi)``.
    expected : sympy.Expr
        ``2 M (phi - T x) + c q'(phi)/q(phi)``.
    """
    choice(form, "form", ("y", "z", "z-weighted"))
    T = S.a if form == "y" else S.a**2
    M = S.a**-2 if form == "z-weighted" else 1
    p, phi, q = sp.Function("p"), sp.Function("phi"), sp.Function("q")
    X = S.x
    lagrangian = p(X) * (M * (phi(X) - T * X) ** 2 - S.c * sp.log(sp.diff(phi(X), X)))
    (eq,) = sp.euler_equations(lagrangian, [phi(X)], [X])
    el = eq.lhs
    pushed = q(phi(X)) * sp.diff(phi(X), X)
    transported = sp.simplify((el.subs(p(X), pushed).doit()) / pushed)
    uu = sp.Dummy("u")
    q_prime = sp.diff(q(uu), uu).subs(uu, phi(X))
    expected = 2 * M * (phi(X) - T * X) + S.c * q_prime / q(phi(X))
    return el, transported, expected


def piola_identity(dim=2):
    """Return ``div`` of the rows of ``cof(D phi)`` for generic ``phi`` (each entry zero).

    The Piola identity ``div cof(D phi) = 0`` is what turns the first variation of
    ``-c E log det D phi`` into ``c det(D phi) grad q(phi)`` in n dimensions, giving
    ``M T phi^{-1}(u) = M u + (c/2) grad log q(u)``.
    """
    xs = sp.symbols(f"x0:{dim}", real=True)
    phi = sp.Matrix([sp.Function(f"phi{i}")(*xs) for i in range(dim)])
    D = phi.jacobian(xs)
    cof = D.adjugate().T
    return sp.Matrix([sum(sp.diff(cof[i, j], xs[j]) for j in range(dim)) for i in range(dim)])


def logdet_first_order_inverse():
    """Return the first-order (in ``epsilon = delta^2``) inverses from log-det and from Tweedie.

    Generic prior ``p_X = exp(-V)``, y-form, ``c = 2 delta^2``. Write the learned inverse as
    ``psi(u) = u/a + epsilon h(u) + O(epsilon^2)`` and solve the Euler-Lagrange equation
    ``a psi(u) = u + epsilon (log q)'(u)``, ``q(u) = p_X(psi(u)) psi'(u)``, order by order.
    Tweedie gives ``a x_PM(y) = y + epsilon (log p_Y)'(y)`` with
    ``p_Y = p_{aX} + O(epsilon)``, ``p_{aX}(y) = p_X(y/a)/a``.

    Returns
    -------
    h_logdet, h_pm : sympy.Expr
        The ``epsilon`` coefficients (functions of ``u``); equal, so the inverses agree up to
        ``O(delta^4)``.
    """
    eps, u = sp.Symbol("epsilon_"), S.u
    V, h = sp.Function("V"), sp.Function("h")
    psi = u / S.a + eps * h(u)
    log_q = -V(psi) + sp.log(sp.diff(psi, u))
    residual = S.a * psi - u - eps * sp.diff(log_q, u)
    first = sp.diff(residual, eps).subs(eps, 0).doit()
    (h_logdet,) = sp.solve(first, h(u))
    log_p_ax = -V(u / S.a) - sp.log(S.a)
    h_pm = sp.diff(log_p_ax, u) / S.a
    return sp.simplify(h_logdet.doit()), sp.simplify(h_pm.doit())


def heat_equation_residual():
    """Return ``d/dv N(y; 0, v) - (1/2) d^2/dy^2 N(y; 0, v)`` (zero).

    Hence ``p_Y = p_{aX} * N(0, delta^2) = p_{aX} + (delta^2/2) p_{aX}'' + O(delta^4)``.
    """
    v = sp.Symbol("v", positive=True)
    kernel = gaussian_pdf(S.y, 0, v)
    return sp.diff(kernel, v) - sp.diff(kernel, S.y, 2) / 2


# --- log det series --------------------------------------------------------------------------

def logdet_series_residual(dim=3, order=4):
    """Return ``series(log det(I + eps J)) - sum_n (-1)^{n+1} eps^n tr(J^n)/n`` (zero).

    ``J`` is a generic ``dim x dim`` matrix; the series is taken to ``O(eps^{order+1})``.
    """
    eps = S.epsilon
    J = sp.Matrix(dim, dim, sp.symbols(f"j0:{dim * dim}"))
    det = (sp.eye(dim) + eps * J).det()
    ser = sp.series(sp.log(det), eps, 0, order + 1).removeO()
    stated = sum((-1) ** (n + 1) * eps**n * (J**n).trace() / n for n in range(1, order + 1))
    return sp.expand(ser - stated)


# --- Tweedie ---------------------------------------------------------------------------------

def gaussian_kernel_score_residual(dim=2):
    """Return ``grad_y N(y; Ax, delta^2 I) - N (Ax - y)/delta^2`` for generic A (zero).

    Differentiating ``p_Y(y) = int p_X(x) N(y; Ax, delta^2 I) dx`` under the integral sign then
    gives ``delta^2 grad p_Y(y) = p_Y(y) (A E[x|y] - y)``: Tweedie's formula.
    """
    xs = sp.Matrix(sp.symbols(f"x0:{dim}", real=True))
    ys = sp.Matrix(sp.symbols(f"y0:{dim}", real=True))
    A = sp.Matrix(dim, dim, sp.symbols(f"A0:{dim * dim}", real=True))
    r = ys - A * xs
    kernel = sp.exp(-(r.T * r)[0] / (2 * S.delta**2)) / (2 * sp.pi * S.delta**2) ** sp.Rational(dim, 2)
    grad = sp.Matrix([sp.diff(kernel, v) for v in ys])
    return grad - kernel * (A * xs - ys) / S.delta**2


def mixture_posterior_mean(var=S.y):
    """Return ``E[x | y]`` for the symmetric mixture prior, ``y = a x + eta`` (closed form).

    Notes
    -----
    Each component ``N(mu_i, tau^2)`` gives a Gaussian posterior with mean
    ``mu_i + a tau^2 (y - a mu_i)/(a^2 tau^2 + delta^2)`` and weight proportional to
    ``N(y; a mu_i, a^2 tau^2 + delta^2)``.
    """
    v = S.a**2 * S.tau**2 + S.delta**2
    terms, weights = [], []
    for mean in (-S.m, S.m):
        weights.append(gaussian_pdf(var, S.a * mean, v))
        terms.append(mean + S.a * S.tau**2 * (var - S.a * mean) / v)
    return (weights[0] * terms[0] + weights[1] * terms[1]) / (weights[0] + weights[1])


def mixture_data_density(var=S.y):
    """Return ``p_Y`` for the symmetric mixture prior and ``y = a x + eta``."""
    v = S.a**2 * S.tau**2 + S.delta**2
    return (gaussian_pdf(var, -S.a * S.m, v) + gaussian_pdf(var, S.a * S.m, v)) / 2


def tweedie_residual(prior):
    """Return ``a E[x|y] - y - delta^2 (log p_Y)'(y)`` for a concrete prior (zero).

    Parameters
    ----------
    prior : {"gaussian", "mixture"}
    """
    choice(prior, "prior", ("gaussian", "mixture"))
    if prior == "gaussian":
        pm = S.a * S.s**2 * S.y / (S.a**2 * S.s**2 + S.delta**2)
        p_y = gaussian_pdf(S.y, 0, S.a**2 * S.s**2 + S.delta**2)
    else:
        pm, p_y = mixture_posterior_mean(), mixture_data_density()
    return S.a * pm - S.y - S.delta**2 * sp.diff(sp.log(p_y), S.y)


def stein_gap(prior, phi, var=S.x):
    """Return ``E[phi'(X)] + E[phi(X) (log p)'(X)]`` for a concrete prior (zero by Stein).

    Parameters
    ----------
    prior : {"gaussian", "mixture", "logistic"}
    phi : sympy.Expr
        Test function of ``var``; a polynomial for the Gaussian and the mixture.

    Notes
    -----
    The quantity is :math:`\\int (\\phi' p + \\phi p')\\,dx`. For the Gaussian and the mixture it
    is computed per Gaussian component ``N(mu_i, v)`` (the integral is linear in ``p``) from the
    Gaussian moments, writing ``X = mu_i + sqrt(v) xi``; for the logistic density by SymPy's
    integration over the real line.
    """
    from theory.expectation import gaussian_expectation

    choice(prior, "prior", PRIORS)
    if prior == "logistic":
        p = density(prior, var)
        integrand = sp.diff(phi, var) * p + phi * sp.diff(p, var)
        return sp.integrate(integrand, (var, -sp.oo, sp.oo))
    components = [(0, S.s**2)] if prior == "gaussian" else [(-S.m, S.tau**2), (S.m, S.tau**2)]
    xi = sp.Dummy("xi", real=True)
    total = sp.Integer(0)
    for mean, variance in components:
        point = mean + sp.sqrt(variance) * xi
        # p_i' = p_i * (-(x - mean)/variance)
        integrand = (sp.diff(phi, var) - phi * (var - mean) / variance).subs(var, point)
        total += gaussian_expectation(integrand, {xi: 1})
    return sp.simplify(total / len(components))


def logdet_first_variation_instance(digits=30):
    """Check the log-det first variation on a non-Gaussian instance, by quadrature.

    Logistic prior, y-form with ``a = 3/2``, ``c = 1/2``, the nonlinear diffeomorphism
    ``phi(x) = 2x + tanh(x)/2`` and the direction ``h(x) = sin(x) exp(-x^2/4)``.

    Returns
    -------
    directional, projected : sympy.Float
        ``d/de J(phi + e h)`` at ``e = 0`` (differentiating the loss integrand) and
        ``int h(x) EL(x) dx`` with the Euler-Lagrange expression of
        :func:`logdet_first_variation`; equal if the integration by parts (sign and boundary
        terms) is right. Both by mpmath quadrature to ``digits`` digits.
    """
    import mpmath

    X, e = S.x, sp.Symbol("e_", real=True)
    values = {S.a: sp.Rational(3, 2), S.c: sp.Rational(1, 2)}
    p = density("logistic", X)
    phi = 2 * X + sp.tanh(X) / 2
    h = sp.sin(X) * sp.exp(-X**2 / 4)
    moved = phi + e * h
    integrand = p * ((moved - S.a * X) ** 2 - S.c * sp.log(sp.diff(moved, X)))
    first = sp.diff(integrand, e).subs(e, 0).subs(values)
    el, _, _ = logdet_first_variation("y")
    el = el.subs(sp.Function("p")(X), p).subs(sp.Function("phi")(X), phi).doit().subs(values)
    with mpmath.workdps(digits + 10):
        f1 = sp.lambdify(X, first, "mpmath")
        f2 = sp.lambdify(X, h * el, "mpmath")
        directional = mpmath.quad(f1, [-mpmath.inf, 0, mpmath.inf])
        projected = mpmath.quad(f2, [-mpmath.inf, 0, mpmath.inf])
    return sp.Float(directional, digits), sp.Float(projected, digits)
