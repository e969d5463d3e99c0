"""Claims of the general linear Gaussian setting (matrix A, prior N(mu, Sigma), K x + b)."""

import sympy as sp

from theory import linear as li
from theory import scalar as sc
from theory import symbols as S
from theory.claims._core import Claim, Evidence, fact, positive, show, zero
from theory.claims._evidence import generic_model, scalar_pm_map_evidence

delta, c = S.delta, S.c
GAUSS = "prior x ~ N(mu, Sigma), Sigma SPD; y = A x + eta, eta ~ N(0, delta^2 I)"
AFFINE = "affine model phi(x) = K x + b"

# A concrete, deliberately non-symmetric and non-commuting instance (exact rationals).
_A = sp.Matrix([[2, 1], [0, 1]])
_SIGMA = sp.Matrix([[1, sp.Rational(1, 3)], [sp.Rational(1, 3), 2]])
_MU = sp.Matrix([1, -1])
_C = sp.Rational(1, 2)


def _generic():
    """Generic 2x2 A, symmetric Sigma and mu (symbols)."""
    A = sp.Matrix(2, 2, sp.symbols("A0:4", real=True))
    s11, s12, s22 = sp.symbols("S11 S12 S22", real=True)
    Sigma = sp.Matrix([[s11, s12], [s12, s22]])
    mu = sp.Matrix(sp.symbols("mu0:2", real=True))
    return A, Sigma, mu


def _gradient(value, K, b):
    grad_K = sp.Matrix(K.rows, K.cols, lambda i, j: sp.diff(value, K[i, j]))
    grad_b = sp.Matrix([sp.diff(value, v) for v in b])
    return grad_K, grad_b


def _numerator(expr):
    """Expanded numerator of ``expr`` over a common denominator (zero iff ``expr`` is zero)."""
    return sp.expand(sp.fraction(sp.together(expr))[0])


def _rational(matrix):
    """Entry-wise :func:`_numerator`: zero iff every entry (a rational function) is zero."""
    return matrix.applyfunc(_numerator)


def _stationary(loss, form, A, Sigma, mu, weight=None, simplifier=_numerator):
    """Evidence: every directional derivative of the expected loss vanishes at the closed form.

    The direction runs over the unit matrices E_ij for K and unit vectors for b: the derivative
    d/de loss(K* + e E_ij, b*) at e = 0 is the (i, j) entry of the gradient.
    """
    n = A.cols
    K_opt, b_opt = li.optimal_operator(loss, form, A, Sigma, mu, weight)
    K_opt, b_opt = K_opt.applyfunc(sp.cancel), b_opt.applyfunc(sp.cancel)
    e = sp.Symbol("e", real=True)
    directions = []
    for i in range(n):
        for j in range(n):
            E = sp.zeros(n, n)
            E[i, j] = 1
            directions.append((K_opt + e * E, b_opt))
        unit = sp.zeros(n, 1)
        unit[i] = 1
        directions.append((K_opt, b_opt + e * unit))
    residual = sp.Matrix([
        sp.diff(li.expected_loss(loss, form, K, b, A, Sigma, mu, weight), e).subs(e, 0)
        for K, b in directions
    ])
    return zero(f"{loss} {form}-form: gradient of the expected loss in (K, b) at the closed form",
                residual, simplifier=lambda r: r.applyfunc(simplifier))


def _check_pm_map():
    A23 = sp.Matrix(2, 3, sp.symbols("A0:6", real=True))
    S3 = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"S{min(i, j)}{max(i, j)}", real=True))
    push = (A23.T * A23 * S3 + delta**2 * sp.eye(3)) * A23.T - A23.T * (A23 * S3 * A23.T + delta**2 * sp.eye(2))
    W_pm, w_pm = li.pm_operator(_A, _SIGMA, _MU)
    W_map, w_map = li.map_operator(_A, _SIGMA, _MU)
    return scalar_pm_map_evidence() + [
        zero("push-through identity (A^T A + delta^2 Sigma^{-1}) Sigma A^T = A^T (A Sigma A^T + "
             "delta^2 I), generic A (2x3), Sigma (3x3 symmetric), multiplied out",
             push, simplifier=lambda e: e.applyfunc(sp.expand)),
        Evidence("hence H^{-1} W_PM = A^T with H^{-1} = A^T A + delta^2 Sigma^{-1}: W_PM = W_MAP, and "
                 "H^{-1}(mu - W_PM A mu) = delta^2 Sigma^{-1} mu: the offsets agree",
                 "x_{PM} = x_{MAP} = (A^TA + \\delta^2\\Sigma^{-1})^{-1}(A^Ty + \\delta^2\\Sigma^{-1}\\mu)", None),
        zero("concrete instance (A, Sigma, mu non-trivial): W_PM - W_MAP", W_pm - W_map,
             simplifier=_rational),
        zero("concrete instance: w_PM - w_MAP", w_pm - w_map, simplifier=_rational),
    ]


def _check_divergence_operator():
    A, Sigma, mu = _generic()
    K, b = li.optimal_operator("divergence", "z", A, Sigma, mu)
    W_map, w_map = li.map_operator(A, Sigma, mu)
    H = _hessian_divergence()
    return [
        show("K (z-form, c = 2 delta^2)", K),
        zero("K - (A^T A + delta^2 Sigma^{-1})", K - (A.T * A + delta**2 * Sigma.inv()),
             simplifier=_rational),
        zero("b + delta^2 Sigma^{-1} mu", b + delta**2 * Sigma.inv() * mu,
             simplifier=_rational),
        _stationary("divergence", "z", A, Sigma, mu),
        H,
        zero("inverse K^{-1}(A^T y - b) is the MAP map: K^{-1} A^T - W_MAP",
             K.inv() * A.T - W_map, simplifier=_rational),
        zero("and -K^{-1} b - w_MAP", -K.inv() * b - w_map, simplifier=_rational),
    ]


def _hessian_divergence():
    """Strict convexity of the divergence loss in (K, b): Hessian PD for the concrete instance."""
    K, b = generic_model(2)
    value = li.expected_loss("divergence", "z", K, b, _A, _SIGMA, _MU)
    variables = list(K) + list(b)
    H = sp.hessian(value, variables)
    minors = [H[:i, :i].det() for i in range(1, H.rows + 1)]
    return fact(f"concrete instance: Hessian in (K, b) has leading principal minors {minors} > 0 "
                "(strictly convex quadratic: the stationary point is the unique minimiser)",
                "\\nabla^2 \\ell \\succ 0", all(m > 0 for m in minors))


def _estimator_stationary(form, K, b):
    """Evidence: the MSE of the inverse W t + w (W = K^{-1}, w = -K^{-1} b) is stationary.

    (K, b) -> (K^{-1}, -K^{-1} b) is a diffeomorphism of the invertible affine maps, so
    stationarity in (W, w) is stationarity in (K, b); the MSE is a quadratic in (W, w).
    """
    Wg = sp.Matrix(2, 2, sp.symbols("W0:4", real=True))
    wg = sp.Matrix(sp.symbols("w0:2", real=True))
    value = li.estimator_loss(Wg, wg, form, _A, _SIGMA, _MU)
    W_opt = K.inv()
    subs = dict(zip(list(Wg) + list(wg), list(W_opt) + list(-W_opt * b)))
    grad = sp.Matrix([sp.diff(value, v) for v in list(Wg) + list(wg)]).subs(subs)
    return zero(f"{form}-form: gradient of E|K^{{-1}}(t - b) - x|^2 in (K^{{-1}}, -K^{{-1}} b) at the closed form",
                grad, simplifier=lambda e: e.applyfunc(_numerator))


def _check_reconstruction_operator():
    W_pm, w_pm = li.pm_operator(_A, _SIGMA, _MU)
    ev = []
    for form in ("y", "z"):
        K, b = li.optimal_operator("reconstruction", form, _A, _SIGMA, _MU)
        data_map = sp.eye(2) if form == "y" else _A.T  # t = data_map * y
        ev.append(zero(f"{form}-form: K^{{-1}} t - b-offset equals the PM map of y: K^{{-1}} N - W_PM",
                       K.inv() * data_map - W_pm, simplifier=_rational))
        ev.append(zero(f"{form}-form: -K^{{-1}} b - w_PM", -K.inv() * b - w_pm,
                       simplifier=_rational))
        ev.append(_estimator_stationary(form, K, b))
    ev.append(Evidence("the PM is the minimiser of E|g(t) - x|^2 over all maps g and is affine for a "
                       "Gaussian prior, so the affine optimum K^{-1}(t - b) is the global one",
                       "K^{-1}(t - b) = E[x \\mid t]", None))
    return ev


def _check_logdet_operator():
    K, b = generic_model(2)
    A, Sigma, _ = _generic()
    zero_mu = sp.zeros(2, 1)
    value = li.expected_loss("logdet", "y", K, b, A, Sigma, zero_mu, c)
    grad_K, _ = _gradient(value, K, b)
    R_K, _ = li.logdet_residual(K, b, "y", A, Sigma, zero_mu, c)
    g = li.logdet_spectral_function(c)
    ev = [
        zero("generic A, Sigma, K (2x2), mu = 0: (d loss/dK) K^T - R_K, R_K = 2(K - A) Sigma K^T - c I",
             grad_K * K.T - R_K, simplifier=_rational),
        zero("spectral function: lam g(lam)(g(lam) - 1) - c/2", S.lam * g(S.lam) * (g(S.lam) - 1) - c / 2),
        positive("g(lam); with lam g (g - 1) = c/2 > 0 this gives g > 1 (det K > 0 when det T > 0)",
                 g(S.lam)),
        positive("per-singular-value reduction: d^2/dsigma^2 [(sigma - tau)^2 - c log sigma] = 2 + c/sigma^2",
                 2 + c / S.k**2),
    ]
    for form in ("y", "z", "z-weighted"):
        K_opt, b_opt = li.optimal_operator("logdet", form, _A, _SIGMA, _MU, _C)
        R_K, R_b = li.logdet_residual(K_opt, b_opt, form, _A, _SIGMA, _MU, _C)
        worst = max(abs(sp.N(v, 50)) for v in list(R_K) + list(R_b))
        ev.append(fact(f"concrete instance, {form}-form, c = 1/2, mu != 0: max |residual| at the "
                       f"closed form, evaluated to 50 digits = {sp.N(worst, 3)}",
                       f"\\max|R| = {sp.latex(sp.N(worst, 3))}", worst < sp.Float("1e-40")))
        cert = li.logdet_certificate(K_opt, form, _A, _SIGMA).evalf(50)
        asym = max(abs(v) for v in (cert - cert.T))
        minors = [(cert + cert.T)[:i, :i].det() / 2**i for i in (1, 2)]  # Sylvester's criterion
        ev.append(fact(f"{form}-form: K Sigma T^T is symmetric (max |asymmetry| = {sp.N(asym, 3)}) "
                       f"with leading minors {[sp.N(v, 6) for v in minors]} > 0",
                       "K\\Sigma T^T = (K\\Sigma T^T)^T \\succ 0",
                       asym < sp.Float("1e-40") and all(v > 0 for v in minors)))
        if form == "z-weighted":
            asym_K = max(abs(sp.N(v, 50)) for v in (K_opt - K_opt.T))
            ev.append(fact(f"z-weighted: K itself is symmetric (max |K - K^T| = {sp.N(asym_K, 3)})",
                           "K = K^T", asym_K < sp.Float("1e-40")))
    K_y = li.optimal_operator("logdet", "y", _A, _SIGMA, _MU, _C)[0]
    ev.append(show("y-form: K itself is not symmetric in general, max |K - K^T|",
                   max(abs(sp.N(v, 30)) for v in (K_y - K_y.T))))
    return ev


def _check_spurious():
    """T = Sigma = I (n = 2), c = 1/2: K = r I with the negative root r of 2 r (r - 1) = c."""
    I2, zero_b = sp.eye(2), sp.zeros(2, 1)
    r = (1 - sp.sqrt(1 + 2 * _C)) / 2
    K_bad, K_opt = r * I2, (1 + sp.sqrt(1 + 2 * _C)) / 2 * I2
    R_bad, _ = li.logdet_residual(K_bad, zero_b, "y", I2, I2, None, _C)
    theta = sp.Symbol("theta", real=True)
    rotation = sp.Matrix([[sp.cos(theta), -sp.sin(theta)], [sp.sin(theta), sp.cos(theta)]])
    path = r * rotation  # det = r^2 > 0 along the path; equals K_bad at theta = 0
    loss_path = li.expected_loss("logdet", "y", path, zero_b, I2, I2, None, _C)
    d2 = sp.simplify(sp.diff(loss_path, theta, 2).subs(theta, 0))
    gap = sp.simplify(li.expected_loss("logdet", "y", K_bad, zero_b, I2, I2, None, _C)
                      - li.expected_loss("logdet", "y", K_opt, zero_b, I2, I2, None, _C))
    return [
        zero("T = Sigma = I, c = 1/2, K = r I with r = (1 - sqrt(2))/2 < 0: residual 2(K - I)K^T - c I",
             R_bad, simplifier=lambda e: e.applyfunc(sp.simplify)),
        positive("its determinant r^2", K_bad.det()),
        fact(f"along K(theta) = r R(theta) (rotations, det > 0) the loss has second derivative "
             f"{sp.sstr(d2)} = {sp.N(d2, 6)} < 0 at theta = 0: a saddle, not a minimiser",
             f"\\partial_\\theta^2 \\ell = {sp.latex(d2)} < 0", d2.is_negative),
        positive(f"loss(K_bad) - loss(K_opt) = {sp.N(gap, 6)}", gap),
        fact("its certificate K Sigma T^T = r I is negative definite (the minimiser's is positive)",
             "K\\Sigma T^T = rI \\prec 0",
             li.logdet_certificate(K_bad, "y", I2, I2)[0, 0].is_negative),
    ]


def claims():
    """Return the linear claims, in registry order."""
    return [
        Claim("gaussian-pm-equals-map", "Gaussian prior: PM = MAP",
              "For a Gaussian prior N(mu, Sigma) the posterior mean and the MAP coincide: "
              "(A^T A + delta^2 Sigma^{-1})^{-1}(A^T y + delta^2 Sigma^{-1} mu); per component a "
              "Tikhonov filter a s^2/(a^2 s^2 + delta^2).",
              r"x_{PM} = x_{MAP} = (A^TA + \delta^2\Sigma^{-1})^{-1}(A^Ty + \delta^2\Sigma^{-1}\mu)",
              (GAUSS,), "proved", _check_pm_map,
              lambda: {f"{kind}_gain_{form}": getattr(sc, f"{kind}_gain")(form)
                       for kind in ("pm", "map") for form in ("y", "z")}),
        Claim("linear-divergence-operator", "Linear divergence z-form optimum",
              "Over affine models the divergence z-form loss (c = 2 delta^2) is minimised by "
              "K = A^T A + delta^2 Sigma^{-1}, b = -delta^2 Sigma^{-1} mu; its inverse is the "
              "PM = MAP map.",
              r"K = A^TA + \delta^2\Sigma^{-1},\quad b = -\delta^2\Sigma^{-1}\mu",
              (GAUSS, AFFINE, "weight c = 2 delta^2"), "proved", _check_divergence_operator),
        Claim("linear-reconstruction-operator", "Linear reconstruction optimum is the PM map",
              "Over affine models the reconstruction loss is minimised by K, b with "
              "K^{-1}(t - b) = E[x | t], the PM map (y-form: K = W_PM^{-1}; z-form: K = A^T A + "
              "delta^2 Sigma^{-1}, b = -delta^2 Sigma^{-1} mu).",
              r"K^{-1}(t - b) = E[x \mid t]",
              (GAUSS, AFFINE, "y-form: A square and invertible"), "proved",
              _check_reconstruction_operator),
        Claim("linear-logdet-operator", "Linear log-det optimum",
              "Over affine models with det K > 0 the log-det loss is stationary iff "
              "2 M (K - T) Sigma K^T = c I and b = (T - K) mu (a matrix quadratic). Its minimiser "
              "is unique: K = g(T Sigma T^T) T for M = I (y: T = A; z: T = A^T A) and "
              "K = g(A^T A Sigma) A^T A for the z-weighted form, g(lam) = (1 + sqrt(1 + 2c/lam))/2. "
              "Symmetry: K Sigma T^T is symmetric positive definite (M = I); K is symmetric in the "
              "z-weighted form; K itself is in general not symmetric.",
              r"2M(K - T)\Sigma K^T = cI,\quad K = g(T\Sigma T^T)\,T,\quad g(\lambda) = \tfrac12(1 + \sqrt{1 + 2c/\lambda})",
              (GAUSS, AFFINE, "det T > 0 (y-form: det A > 0)", "c > 0"), "proved",
              _check_logdet_operator, lambda: {"spectral_gain": li.logdet_spectral_function(c)(S.lam),
                                               "spectral_gain_paper": li.logdet_spectral_function()(S.lam)}),
        Claim("linear-logdet-spurious-stationary-points",
              "The log-det matrix equation has non-minimising solutions with det K > 0",
              "For n >= 2 the first-order condition 2 (K - T) Sigma K^T = c I has solutions with "
              "det K > 0 that are saddle points, not minimisers (e.g. T = Sigma = I, K = r I with "
              "the negative root r): the minimiser is the unique solution with K Sigma T^T "
              "positive definite, and a numeric solver of the equation must check this.",
              r"K = rI,\ r = \tfrac12(1 - \sqrt{1 + 2c}) < 0:\ 2(K - I)K^T = cI,\ \det K > 0",
              (AFFINE, "n >= 2", "c > 0"), "proved", _check_spurious),
    ]
