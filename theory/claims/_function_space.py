"""Claims of the function-space setting (optimality over all maps, generic and concrete priors)."""

import sympy as sp

from theory import function_space as fs
from theory import linear as li
from theory import scalar as sc
from theory import symbols as S
from theory.claims._core import Claim, Evidence, fact, nonzero, positive, show, zero
from theory.series import order_in

a, s, delta, c, x, u = S.a, S.s, S.delta, S.c, S.x, S.u
SMOOTH = "p_X smooth, positive, with p_X * phi -> 0 at infinity (boundary terms vanish)"
FULL = "minimisation over all (sufficiently regular) maps phi"


# --- Stein / divergence ----------------------------------------------------------------------

def _check_stein():
    R, phi = fs.divergence_completed_square(dim=2)
    ev = [
        zero("div(p phi) - (p div phi + phi . grad p), generic p, phi on R^2",
             fs.stein_product_rule(dim=2)),
        zero("d/dphi of |phi - Bx|^2 + c phi.g - |phi - m|^2, m = Bx - (c/2) g, generic A (2x2)",
             sp.Matrix([sp.diff(R, v) for v in phi]), simplifier=lambda e: e.applyfunc(sp.expand)),
    ]
    for prior, test in (("gaussian", x**3 + x), ("mixture", x**3 - 2 * x**2),
                        ("logistic", 1 / (1 + sp.exp(-x)))):
        ev.append(zero(f"{prior} prior, phi = {sp.sstr(test)}: E[phi'] + E[phi (log p)']",
                       fs.stein_gap(prior, test)))
    return ev


def _check_divergence_map():
    logp = sp.Function("logp")(x)
    phi_star = fs.divergence_minimiser(logp)
    gaussian = fs.divergence_minimiser(sp.log(fs.density("gaussian")))
    return [
        show("minimiser phi*(x) (generic prior)", phi_star),
        zero("phi*(x) - z - grad J_MAP(x), generic A (2x2), y, log p",
             fs.map_gradient_residual(dim=2), simplifier=lambda e: e.applyfunc(sp.expand)),
        zero("Gaussian prior: phi*(x)/x - (a^2 + delta^2/s^2)", sp.expand(gaussian / x) - (a**2 + delta**2 / s**2)),
        zero("Gaussian prior: phi*(x)/x - k_MAP(z)", gaussian / x - sc.map_gain("z")),
        zero("Gaussian prior: phi*(x)/x - scalar divergence z-form gain",
             gaussian / x - sc.optimal_gain("divergence", "z")),
    ]


def _mixture_counterexample():
    """Numbers: a = 1, m = 2, tau = 1, delta = 1 (theta*: phi*' < 0 at 0, phi* not injective)."""
    values = {a: 1, S.m: 2, S.tau: 1, delta: 1}
    phi_star = fs.divergence_minimiser(sp.log(fs.density("mixture"))).subs(values)
    slope0 = sp.simplify(sp.diff(phi_star, x).subs(x, 0))
    root = sp.nsolve(phi_star, x, 2.0, prec=30)
    return values, phi_star, slope0, root


def _check_invertibility():
    exact, closed = fs.mixture_log_hessian()
    values, phi_star, slope0, root = _mixture_counterexample()
    at_root = phi_star.subs(x, root).evalf(30)
    minimum, excess = fs.mixture_min_slope()
    stated = a**2 - delta**2 * (S.m**2 - S.tau**2) / S.tau**4
    logistic_slope = sp.simplify(sp.diff(fs.divergence_minimiser(sp.log(fs.density("logistic"))), x))
    low_noise = {a: 1, S.m: 2, S.tau: 1, delta: sp.Rational(1, 10)}
    slope_low = sp.lambdify(x, sp.diff(fs.divergence_minimiser(sp.log(fs.density("mixture"))), x)
                            .subs(low_noise), "mpmath")
    grid = [sp.Rational(i, 20) for i in range(-120, 121)]
    sampled = min(slope_low(v) for v in grid)
    ev = [
        show("Jacobian of phi* (1-D)", sp.diff(fs.divergence_minimiser(sp.Function("logp")(x)), x)),
        zero("Gaussian prior: phi*' - (a^2 + delta^2/s^2) (log-concave: positive)",
             sp.diff(fs.divergence_minimiser(sp.log(fs.density("gaussian"))), x) - (a**2 + delta**2 / s**2)),
        positive("logistic prior (log-concave): phi*' = a^2 + 2 delta^2 sigma(x)(1 - sigma(x))",
                 logistic_slope),
        zero("mixture: (log p)'' - (-1/tau^2 + (m/tau^2)^2 sech^2(m x/tau^2))",
             (exact - closed).rewrite(sp.exp)),
        zero("mixture: phi*'(x) - phi*'(0) - delta^2 (m/tau^2)^2 tanh^2(m x/tau^2) (so phi*'(x) >= "
             "phi*'(0): the infimum is at x = 0)",
             (excess - delta**2 * S.m**2 / S.tau**4 * sp.tanh(S.m * x / S.tau**2) ** 2).rewrite(sp.exp)),
        zero("derived inf_x phi*'(x) = phi*'(0) minus the stated threshold a^2 - delta^2 (m^2 - tau^2)/tau^4",
             minimum - stated),
        fact(f"counterexample a = 1, m = 2, tau = 1, delta = 1: derived phi*'(0) = "
             f"{minimum.subs(values)} < 0 (and phi*' at 0 computed directly: {slope0})",
             f"\\phi^{{*\\prime}}(0) = {sp.latex(minimum.subs(values))} < 0",
             minimum.subs(values) < 0 and slope0 == minimum.subs(values)),
        fact(f"phi* is not injective there: phi*(0) = 0 = phi*({sp.N(root, 15)}) "
             f"(residual {sp.N(abs(at_root), 3)}) and phi* is odd",
             f"\\phi^*(0) = \\phi^*({sp.latex(sp.N(root, 10))}) = 0",
             abs(at_root) < 1e-25 and root > 0.1),
        fact(f"same prior at low noise delta = 1/10: derived inf phi*' = {minimum.subs(low_noise)} > 0 "
             f"(invertible); phi*' sampled on x in [-6, 6] (step 1/20) has minimum "
             f"{sp.N(sampled, 12)}, equal to it to 12 digits (mpmath works to 15)",
             f"\\inf\\phi^{{*\\prime}} = {sp.latex(minimum.subs(low_noise))} > 0",
             minimum.subs(low_noise) > 0
             and abs(sampled - sp.N(minimum.subs(low_noise), 30)) < 1e-12),
    ]
    return ev


def _predict_invertibility():
    return {"mixture_min_slope": fs.mixture_min_slope()[0],
            "mixture_phi_star": fs.divergence_minimiser(sp.log(fs.density("mixture")))}


# --- log-det ---------------------------------------------------------------------------------

def _check_euler_lagrange():
    ev = []
    for form in ("y", "z", "z-weighted"):
        el, transported, expected = fs.logdet_first_variation(form)
        if form == "y":
            ev.append(show("Euler-Lagrange expression (y-form, generic p)", el))
        ev.append(zero(f"{form}-form: EL/(q(phi) phi') - (2M(phi - T x) + c q'(phi)/q(phi)), "
                       "p = q(phi) phi'", transported - expected))
    ev.append(zero("Piola identity div cof(D phi) = 0 (generic phi on R^2)",
                   fs.piola_identity(dim=2), simplifier=lambda e: e.applyfunc(sp.expand)))
    directional, projected = fs.logdet_first_variation_instance()
    ev.append(fact(
        "logistic prior, phi = 2x + tanh(x)/2, h = sin(x) exp(-x^2/4), a = 3/2, c = 1/2 (quadrature, "
        f"30 digits): d/de J(phi + e h) = {sp.N(directional, 15)}, int h EL dx = {sp.N(projected, 15)}",
        f"\\partial_e J = {sp.latex(sp.N(directional, 15))} = \\int h\\,EL",
        abs(directional - projected) < 1e-25 and abs(directional) > 1e-3))
    # Gaussian instance: phi = k x pushes N(0, s^2) to q = N(0, k^2 s^2).
    q = fs.gaussian_pdf(u, 0, S.k**2 * s**2)
    el_gauss = sp.simplify(a * u / S.k - u - c / 2 * sp.diff(sp.log(q), u)) * S.k**2 * s**2
    poly = sc.stationarity_polynomial("logdet", "y", c).as_expr()
    ev.append(zero("Gaussian phi = k x: (a phi^{-1}(u) - u - (c/2)(log q)'(u)) k^2 s^2 / (-u) minus "
                   "half the scalar log-det stationarity polynomial",
                   sp.expand(el_gauss / (-u)) - sp.expand(poly / 2)))
    return ev


def _check_inverse_pm_second_order():
    ev = []
    for form in ("y", "z-weighted"):
        gap = sc.gap_to_pm("logdet", form)
        p = order_in(gap)
        ev.append(fact(f"{form}-form: exact inverse-filter gap to the PM is of order delta^{p}",
                       f"\\frac1k - \\frac1{{k_{{PM}}}} = O(\\delta^{{{p}}})", p == 4))
        ev.append(positive(f"{form}-form uniqueness: second derivative of the loss in k (any c > 0)",
                           sc.convexity_certificate("logdet", form, c)[1]))
    h_logdet, h_pm = fs.logdet_first_order_inverse()
    ev.append(show("generic prior p_X = exp(-V): delta^2-coefficient of the log-det inverse", h_logdet))
    ev.append(zero("generic prior: delta^2-coefficients of log-det inverse and PM agree", h_logdet - h_pm))
    ev.append(zero("heat equation d/dv N(y;0,v) = N''/2 (so p_Y = p_aX + O(delta^2))",
                   fs.heat_equation_residual()))
    ev.append(Evidence(
        "invertibility: k_opt > 0 always (the -c log k barrier: loss -> +inf as k -> 0+); for "
        "affine models the optimum has det K > 0 (linear-logdet-operator)",
        "k^* > 0", None))
    return ev


def _predict_inverse_pm_second_order():
    return {"gap_to_pm_y": sc.gap_to_pm("logdet", "y"),
            "gap_to_pm_z_weighted": sc.gap_to_pm("logdet", "z-weighted")}


# --- diagonal models -------------------------------------------------------------------------

def _collect_trigsimp(expr):
    """Collect on the generic-derivative atoms, then trigsimp each coefficient."""
    expr = sp.expand(expr)
    atoms = list(expr.atoms(sp.Subs, sp.Derivative))
    parts = sp.collect(expr, atoms, evaluate=False)
    return sp.Add(*[sp.trigsimp(coeff) * term for term, coeff in parts.items()])


def _diagonal_setup():
    """Generic orthogonal basis of R^2 (angle theta) and a generic diagonal model."""
    theta = sp.Symbol("theta", real=True)
    V = sp.Matrix([[sp.cos(theta), -sp.sin(theta)], [sp.sin(theta), sp.cos(theta)]])
    xs = sp.Matrix(sp.symbols("x0:2", real=True))
    f = [sp.Function("f0"), sp.Function("f1")]
    coords = V.T * xs
    phi = sum((f[j](coords[j]) * V[:, j] for j in range(2)), sp.zeros(2, 1))
    return theta, V, xs, f, coords, phi


def _check_diagonal_divergence():
    theta, V, xs, f, coords, phi = _diagonal_setup()
    div = sum(sp.diff(phi[i], xs[i]) for i in range(2))
    stated = sum(sp.diff(f[j](S.t), S.t).subs(S.t, coords[j]) for j in range(2))
    zs = sp.Matrix(sp.symbols("z0:2", real=True))
    sep = (phi - zs).T * (phi - zs)
    zc = V.T * zs
    separated = sum((f[j](coords[j]) - zc[j]) ** 2 for j in range(2))
    # Correlated Gaussian prior: the diagonal optimum uses the marginal variance Sigma_11,
    # the full linear optimum the precision (Sigma^{-1})_11.
    Sigma = sp.Matrix([[1, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
    marginal = fs.divergence_minimiser(sp.log(fs.gaussian_pdf(S.t, 0, Sigma[0, 0])), var=S.t) / S.t
    full = (li.optimal_operator("divergence", "z", sp.eye(2) * a, Sigma)[0])[0, 0]
    return [
        zero("div phi - sum_j f_j'(<x, v_j>) (rotation basis, generic f_j)",
             div.doit() - stated.doit(), simplifier=_collect_trigsimp),
        zero("|phi(x) - z|^2 - sum_j (f_j(x_j) - z_j)^2 (orthonormal basis)",
             sp.simplify(sep[0] - separated)),
        Evidence("so the loss is a sum of 1-D divergence losses, term j depending only on the law "
                 "of (x_j, z_j), z_j = sigma_j^2 x_j + sigma_j <u_j, eta>; by the 1-D Stein identity "
                 "(divergence-stein-identity) f_j(t) = sigma_j^2 t - delta^2 (log p_j)'(t)",
                 "f_j(t) = \\sigma_j^2 t - \\delta^2 (\\log p_j)'(t)", None),
        zero("correlated Gaussian (Sigma = [[1, 1/2], [1/2, 1]], A = aI): marginal slope "
             "f_1/t - (a^2 + delta^2/Sigma_11)", sp.simplify(marginal - (a**2 + delta**2))),
        nonzero("full linear optimum K_11 minus the diagonal (marginal) slope", full - marginal),
    ]


def _check_diagonal_reconstruction():
    theta, V, xs, f, coords, phi = _diagonal_setup()
    # Reconstruction separates the same way: phi^{-1}(z) = sum_j f_j^{-1}(z_j) v_j.
    g = [sp.Function("g0"), sp.Function("g1")]
    zs = sp.Matrix(sp.symbols("z0:2", real=True))
    zc = V.T * zs
    inverse = sum((g[j](zc[j]) * V[:, j] for j in range(2)), sp.zeros(2, 1))
    err = (inverse - xs).T * (inverse - xs)
    separated = sum((g[j](zc[j]) - coords[j]) ** 2 for j in range(2))
    # Gaussian instance, A = diag(a1, a2), correlated prior: E[x_1 | z_1] uses Var(x_1) only.
    a1, a2 = sp.symbols("a1 a2", positive=True)
    rho = sp.Rational(1, 2)
    Sigma = sp.Matrix([[1, rho], [rho, 1]])
    A = sp.diag(a1, a2)
    z1, z2 = sp.symbols("z1 z2", real=True)
    # joint law of (x_1, z_1): z_1 = a1^2 x_1 + a1 eta_1
    marginal_pm = Sigma[0, 0] * a1**2 / (a1**4 * Sigma[0, 0] + a1**2 * delta**2) * z1
    scalar_gain = sc.optimal_gain("reconstruction", "z").subs({a: a1, s: sp.sqrt(Sigma[0, 0])})
    K, b = li.optimal_operator("reconstruction", "z", A, Sigma)
    full_pm = (K.inv() * sp.Matrix([z1, z2]))[0]
    return [
        zero("|phi^{-1}(z) - x|^2 - sum_j (f_j^{-1}(z_j) - x_j)^2 (orthonormal basis)",
             sp.simplify(err[0] - separated)),
        Evidence("term j is E(f_j^{-1}(z_j) - x_j)^2, minimised over functions of z_j by "
                 "E[x_j | z_j], which depends only on the marginal p_j (z_j = sigma_j^2 x_j + "
                 "sigma_j <u_j, eta>, noise independent of x); it is increasing in z_j "
                 "(d/dz E[x|z] = Var[x|z] / (sigma_j^2 delta^2) > 0), so f_j^{-1} is invertible",
                 "f_j^{-1}(z_j) = E[x_j \\mid z_j]", None),
        zero("correlated Gaussian: E[x_1|z_1] (conditioning on z_1 alone) - z_1/k_rec(a1, Var x_1)",
             marginal_pm - z1 / scalar_gain),
        nonzero("full PM's first component depends on z_2 (d/dz_2)", sp.diff(full_pm, z2)),
    ]


def _predict_diagonal_divergence():
    """f_j for a component with singular value a and marginal prior of each kind (in x)."""
    return {f"f_{prior}": fs.divergence_minimiser(sp.log(fs.density(prior))) for prior in fs.PRIORS}


def _predict_diagonal_reconstruction():
    """E[x_j | z_j], z_j = a^2 x_j + a eta_j, for Gaussian and mixture marginals (in z)."""
    return {"pm_gaussian_z": S.z / sc.pm_gain("z"),
            "pm_mixture_z": fs.mixture_posterior_mean().subs(S.y, S.z / a)}


# --- log det series, Tweedie -----------------------------------------------------------------

def _check_logdet_series():
    return [
        zero("3x3 generic J: series of log det(I + eps J) to O(eps^5) minus "
             "sum_{n<=4} (-1)^{n+1} eps^n tr(J^n)/n", fs.logdet_series_residual(dim=3, order=4)),
        zero("2x2 generic J: the same to O(eps^7)", fs.logdet_series_residual(dim=2, order=6)),
        Evidence("the first term tr J_g is the divergence of g (and div phi = n + div g for "
                 "phi = Id + g), so the divergence regulariser is the first-order truncation of "
                 "the log-det regulariser", "\\operatorname{tr} J_g = \\operatorname{div} g", None),
    ]


def _check_tweedie():
    return [
        zero("grad_y N(y; Ax, delta^2 I) - N (Ax - y)/delta^2, generic A (2x2)",
             fs.gaussian_kernel_score_residual(dim=2), simplifier=lambda e: e.applyfunc(sp.simplify)),
        Evidence("integrating against p_X(x) dx: delta^2 grad p_Y(y) = p_Y(y) (A E[x|y] - y)",
                 "A\\,x_{PM}(y) = y + \\delta^2 \\nabla \\log p_Y(y)", None),
        zero("Gaussian prior N(0, s^2): a x_PM(y) - y - delta^2 (log p_Y)'(y)",
             fs.tweedie_residual("gaussian")),
        zero("bimodal mixture prior: a x_PM(y) - y - delta^2 (log p_Y)'(y)",
             fs.tweedie_residual("mixture")),
    ]


def _predict_tweedie():
    return {"pm_mixture_y": fs.mixture_posterior_mean(),
            "data_density_mixture": fs.mixture_data_density()}


def claims():
    """Return the function-space claims."""
    return [
        Claim("logdet-euler-lagrange", "Log-det Euler-Lagrange equation",
              "A minimiser of the log-det loss satisfies A phi^{-1}(u) = u + (c/2) grad log q(u), "
              "q = phi_# p_X the law of the learned output (y-form; z-form: A^T A in place of A; "
              "z-weighted: A^T A phi^{-1}(u) = u + (c/2) A^T A grad log q(u)): Tweedie with the "
              "learned output law in place of p_Y.",
              r"A\,\phi^{-1}(u) = u + \tfrac{c}{2}\nabla\log q(u),\quad q = \phi_\# p_X",
              (SMOOTH, FULL, "phi a C^2 diffeomorphism with det D phi > 0"), "proved",
              _check_euler_lagrange),
        Claim("logdet-inverse-pm-second-order", "Log-det inverse is PM to second order",
              "With c = 2 delta^2 the log-det inverse (y-form and z-weighted form) equals the PM "
              "up to O(delta^4): exactly at order delta^4 for the Gaussian (the delta^4 term is "
              "non-zero), and the delta^2 terms agree for a generic smooth prior. The minimiser is "
              "unique and invertible in the scalar and affine classes (strict convexity in k, "
              "the -log barrier).",
              r"\phi^{-1} = x_{PM} + O(\delta^4)",
              (SMOOTH, "weight c = 2 delta^2", "y-form or z-weighted form (not unweighted z)",
               "uniqueness shown for scalar/affine models; in function space only the "
               "perturbative (first-order) agreement is derived"), "proved",
              _check_inverse_pm_second_order, _predict_inverse_pm_second_order),
        Claim("divergence-stein-identity", "Stein identity behind the divergence term",
              "E|phi - z|^2 - 2 delta^2 E div phi = E|phi(x) - (A^T A x - delta^2 grad log p_X(x))|^2 "
              "+ const, by Stein's identity E div phi = -E phi . grad log p_X.",
              r"E|\phi - z|^2 - 2\delta^2 E\,\mathrm{div}\,\phi = E|\phi - (A^TAx - \delta^2\nabla\log p_X)|^2 + C",
              (SMOOTH,), "proved", _check_stein),
        Claim("divergence-z-map", "Divergence z-form minimiser inverts to the MAP",
              "The divergence z-form loss is minimised over all maps by phi*(x) = A^T A x - delta^2 "
              "grad log p_X(x); phi*(x) = z is exactly the MAP equation. Gaussian: k = a^2 + "
              "delta^2/s^2 = PM = MAP gain.",
              r"\phi^* = A^TA - \delta^2\nabla\log p_X,\quad \phi^*(x) = z \iff \nabla J_{MAP}(x) = 0",
              (SMOOTH, FULL, "weight c = 2 delta^2"), "proved", _check_divergence_map,
              lambda: {"gain_z": sc.optimal_gain("divergence", "z"), "map_gain_z": sc.map_gain("z")}),
        Claim("divergence-invertibility", "Invertibility of the divergence minimiser",
              "phi* is invertible if its Jacobian A^T A - delta^2 Hess log p_X is positive "
              "definite everywhere (then phi* is strictly monotone); this always holds for "
              "log-concave priors (Gaussian, logistic). For the bimodal mixture the Jacobian's "
              "infimum is a^2 - delta^2 (m^2 - tau^2)/tau^4; at high noise it is negative and "
              "phi* is not injective (counterexample a = 1, m = 2, tau = 1, delta = 1).",
              r"D\phi^* = A^TA - \delta^2\nabla^2\log p_X \succ 0 \Rightarrow \phi^*\ \text{invertible}",
              (SMOOTH, "A injective", "'only if' shown in 1-D (a coercive scalar map with a "
               "negative slope somewhere is not injective)"), "proved", _check_invertibility,
              _predict_invertibility),
        Claim("diagonal-marginal-divergence", "Diagonal models see the marginal prior (divergence)",
              "For a diagonal nonlinear model phi(x) = sum_j f_j(<x, v_j>) v_j the divergence loss "
              "separates over components and f_j(t) = sigma_j^2 t - delta^2 (log p_j)'(t), p_j the "
              "marginal law of <x, v_j>.",
              r"f_j(t) = \sigma_j^2 t - \delta^2 (\log p_j)'(t)",
              (SMOOTH, "v_j right singular vectors of A (orthonormal)", "weight c = 2 delta^2"),
              "proved", _check_diagonal_divergence, _predict_diagonal_divergence),
        Claim("diagonal-marginal-reconstruction", "Diagonal models learn the marginal PM",
              "For a diagonal nonlinear model the reconstruction loss separates and "
              "f_j^{-1}(z_j) = E[x_j | z_j], the marginal (not the full) posterior mean.",
              r"f_j^{-1}(z_j) = E[x_j \mid z_j]",
              ("v_j right singular vectors of A (orthonormal)", FULL), "proved",
              _check_diagonal_reconstruction, _predict_diagonal_reconstruction),
        Claim("iresnet-logdet-series", "Log-det series of an iResNet block",
              "log det(I + J_g) = tr J_g - tr J_g^2/2 + tr J_g^3/3 - ... (converges for "
              "||J_g|| <= L < 1); the divergence tr J_g is the first term.",
              r"\log\det(I + J_g) = \sum_{n\ge1} \frac{(-1)^{n+1}}{n}\operatorname{tr} J_g^n",
              ("spectral radius of J_g < 1 (Lip(g) <= L < 1)",), "proved", _check_logdet_series),
        Claim("tweedie-linear", "Tweedie's formula for linear problems",
              "A x_PM(y) = y + delta^2 grad log p_Y(y), p_Y = (A_# p_X) * N(0, delta^2 I).",
              r"A\,x_{PM}(y) = y + \delta^2\nabla\log p_Y(y)",
              ("Gaussian noise N(0, delta^2 I)", "differentiation under the integral sign"),
              "proved", _check_tweedie, _predict_tweedie),
    ]
