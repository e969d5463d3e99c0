"""What a scalar (one singular component) linear model learns under each training loss.

Setting (the conventions of ``docs/architecture.md``): one singular component with singular value
``a``, prior ``x ~ N(0, s^2)``, measurement ``y = a x + eta`` with ``eta ~ N(0, delta^2)``,
normal-equation data ``z = a y``. The model is ``u = k x`` with gain ``k > 0``; its inverse
filter is ``1/k`` (the reconstruction from data ``t`` is ``t/k``).

Forms: ``"y"`` (target ``t = y``), ``"z"`` (target ``t = z``), ``"z-weighted"`` (target
``t = z``, data term weighted by ``(A^T A)^{-1}``, i.e. ``1/a^2``).

Losses (per component; the numeric side's population losses have exactly these values):

========================  ==============================================================
``"approximation"``       ``M E (k x - t)^2``
``"logdet"``              ``M E (k x - t)^2 - c log k``
``"divergence"``          ``M E (k x - t)^2 - c k``
``"reconstruction"``      ``E (t/k - x)^2``
========================  ==============================================================

with ``M = 1`` (y, z) or ``M = 1/a^2`` (z-weighted). The reconstruction loss measures error in
the unknown's space, where there is no data-space metric to weight: ``"z-weighted"``
reconstruction is undefined and raises ``ValueError``.

Every function returns a SymPy expression in the symbols of :mod:`theory.symbols`.
"""

from functools import lru_cache

import sympy as sp

from theory import symbols as S
from theory._checks import choice, expression, lipschitz_bound, positive_expression
from theory.expectation import gaussian_expectation

LOSSES = ("approximation", "reconstruction", "logdet", "divergence")
FORMS = ("y", "z", "z-weighted")
REGULARISED = ("logdet", "divergence")


def target(form):
    """Return the training target ``t`` as an expression in ``x`` and ``eta``.

    ``y = a x + eta`` for the y-form, ``z = a y`` for the z-forms.
    """
    choice(form, "form", FORMS)
    y = S.a * S.x + S.eta
    return y if form == "y" else S.a * y


def metric(form):
    """Return the data-term weight ``M``: ``1`` (y, z) or ``1/a^2`` (z-weighted)."""
    choice(form, "form", FORMS)
    return S.a**-2 if form == "z-weighted" else sp.Integer(1)


def _weight(loss, weight):
    """Return the regulariser weight for ``loss`` (``2 delta^2`` if ``weight`` is None)."""
    if loss not in REGULARISED:
        if weight is not None:
            raise ValueError(f"weight applies only to the losses {list(REGULARISED)}, not to {loss!r}")
        return None
    if weight is None:
        return S.PAPER_WEIGHT
    return positive_expression(weight, "weight")


def _check_loss_form(loss, form):
    choice(loss, "loss", LOSSES)
    choice(form, "form", FORMS)
    if loss == "reconstruction" and form == "z-weighted":
        raise ValueError(
            "form='z-weighted' is undefined for loss='reconstruction': the reconstruction loss "
            "E(t/k - x)^2 measures error in the unknown's space and has no data term to weight"
        )


def expected_loss(loss, form, k, weight=None):
    """Return the expected training loss of the scalar model ``u = k x``.

    Parameters
    ----------
    loss : {"approximation", "reconstruction", "logdet", "divergence"}
        The training loss.
    form : {"y", "z", "z-weighted"}
        Which data the model is trained against (``"z-weighted"``: not for reconstruction).
    k : sympy.Expr
        The gain (e.g. ``theory.symbols.k``).
    weight : sympy.Expr, optional
        Regulariser weight ``c`` (logdet and divergence only); default the paper's ``2 delta^2``.

    Returns
    -------
    sympy.Expr
        The exact expectation over ``x ~ N(0, s^2)`` and ``eta ~ N(0, delta^2)``.

    Notes
    -----
    With target ``t`` and metric ``M`` (see the module docstring),

    .. math::
        \\ell(k) = M\\,E(kx - t)^2 - c\\,R(k),\\qquad R = \\log k\\ (\\text{logdet}),\\ R = k\\
        (\\text{divergence}),

    and the reconstruction loss is :math:`E(t/k - x)^2`. The expectation is taken from the
    Gaussian moments (:func:`theory.expectation.gaussian_expectation`); e.g. the y-form data term
    is :math:`(k - a)^2 s^2 + \\delta^2`.
    """
    _check_loss_form(loss, form)
    k = expression(k, "k")
    c = _weight(loss, weight)
    t = target(form)
    if loss == "reconstruction":
        integrand = (t / k - S.x) ** 2
    else:
        integrand = metric(form) * (k * S.x - t) ** 2
    value = gaussian_expectation(integrand, {S.x: S.s, S.eta: S.delta})
    if loss == "logdet":
        value -= c * sp.log(k)
    elif loss == "divergence":
        value -= c * k
    return value


@lru_cache(maxsize=None)
def convexity_certificate(loss, form, weight=None):
    """Return the expression whose positivity makes the expected loss unimodal in ``k > 0``.

    Parameters
    ----------
    loss, form, weight
        As in :func:`expected_loss`.

    Returns
    -------
    tuple of (str, sympy.Expr)
        ``("d2/dk2", second derivative in k)`` for approximation, log-det and divergence (the
        loss is strictly convex on ``k > 0``), and ``("d2/dw2", second derivative in w = 1/k)``
        for reconstruction (strictly convex in ``w``; since ``k -> 1/k`` is a decreasing
        bijection of ``(0, inf)``, the loss is strictly unimodal - quasi-convex - in ``k``).

    Raises
    ------
    RuntimeError
        If SymPy cannot establish that the certificate is positive (it always can for valid
        inputs; the check keeps the clipping argument honest).

    Notes
    -----
    Unimodality is what makes the interval-constrained minimiser the clip of the unconstrained
    one: a strictly quasi-convex function on an interval decreases up to its minimiser and
    increases after it, so over ``[1 - L, 1 + L]`` it is minimised at the point of the interval
    nearest the unconstrained minimiser.
    """
    if loss == "reconstruction":
        value = expected_loss(loss, form, 1 / S.w, weight)
        cert = ("d2/dw2", sp.simplify(sp.diff(value, S.w, 2)))
    else:
        cert = ("d2/dk2", sp.simplify(sp.diff(expected_loss(loss, form, S.k, weight), S.k, 2)))
    if cert[1].is_positive is not True:
        raise RuntimeError(f"cannot certify unimodality of the {loss} loss ({form}): {cert}")
    return cert


def stationarity_polynomial(loss, form, weight=None):
    """Return ``P(k)`` whose positive root is the stationary point of the expected loss.

    ``P`` is the numerator of ``d loss / dk`` after bringing it over the common denominator,
    which is a power of ``k`` (positive on ``k > 0``), so ``sign(P) = sign(d loss / dk)`` up to
    the sign of the leading coefficient, which is normalised to be positive.
    """
    value = expected_loss(loss, form, S.k, weight)
    num, den = sp.fraction(sp.together(sp.diff(value, S.k)))
    poly = sp.Poly(sp.expand(num), S.k)
    if sp.Poly(den, S.k).degree() > 0 and not (sp.factor(den).is_positive is True):
        raise RuntimeError(f"unexpected denominator {den} of the stationarity condition")
    lead = poly.LC()
    if lead.is_negative:
        poly = -poly
    elif lead.is_positive is not True:
        raise RuntimeError(f"sign of the leading coefficient {lead} is undetermined")
    return poly


@lru_cache(maxsize=None)
def _unconstrained_gain(loss, form, weight):
    poly = stationarity_polynomial(loss, form, weight)
    coeffs = poly.all_coeffs()
    if poly.degree() == 1:
        root = -coeffs[1] / coeffs[0]
    elif poly.degree() == 2:
        # Log-det: P(k) = A k^2 + B k + C with A > 0 and C < 0 (C = -c times a positive
        # factor). The product of the roots C/A is negative, so exactly one root is positive:
        # the "+sqrt" root. The loss is strictly convex on k > 0 (convexity_certificate) and
        # tends to +inf as k -> 0+ (the -c log k barrier) and as k -> inf, so this stationary
        # point is the unique minimiser.
        A, B, C = coeffs
        if not ((C / A).is_negative is True):
            raise RuntimeError(f"log-det quadratic without a sign change: {poly}")
        root = (-B + sp.sqrt(B**2 - 4 * A * C)) / (2 * A)
    else:
        raise RuntimeError(f"unexpected stationarity polynomial of degree {poly.degree()}: {poly}")
    root = sp.simplify(root)
    if root.is_positive is not True:
        raise RuntimeError(f"stationary gain {root} is not provably positive")
    return root


def optimal_gain(loss, form="z", weight=None, lipschitz=None):
    """Return the gain minimising the expected loss, optionally under a Lipschitz constraint.

    Parameters
    ----------
    loss : {"approximation", "reconstruction", "logdet", "divergence"}
    form : {"y", "z", "z-weighted"}, default "z"
    weight : sympy.Expr, optional
        Regulariser weight ``c`` (log-det and divergence only); ``None`` means ``2 delta^2``.
        Keep it symbolic with ``theory.symbols.c``.
    lipschitz : sympy.Expr, optional
        Bound ``L`` (``0 < L < 1``): the gain is constrained to ``[1 - L, 1 + L]``.

    Returns
    -------
    sympy.Expr
        The minimiser; with ``lipschitz`` it is ``Min(Max(k_opt, 1 - L), 1 + L)``.

    Notes
    -----
    The unconstrained minimiser is the positive root of the stationarity condition
    (:func:`stationarity_polynomial`): linear for approximation, divergence and reconstruction,
    quadratic for log-det, where the positive root is the unique one (product of roots
    :math:`-c/(2 s^2 M^{-1}) < 0`). The constrained minimiser is the clip because the loss is
    strictly unimodal on ``k > 0`` (:func:`convexity_certificate`): e.g. log-det y-form,
    :math:`\\ell''(k) = 2 s^2 + c/k^2 > 0`.
    """
    _check_loss_form(loss, form)
    c = _weight(loss, weight)
    convexity_certificate(loss, form, c)
    gain = _unconstrained_gain(loss, form, c)
    if lipschitz is None:
        return gain
    bound = lipschitz_bound(lipschitz)
    return sp.Min(sp.Max(gain, 1 - bound), 1 + bound)


def inverse_filter(loss, form="z", weight=None, lipschitz=None):
    """Return the inverse filter ``1/k`` of the optimal gain (see :func:`optimal_gain`)."""
    return 1 / optimal_gain(loss, form, weight, lipschitz)


def _data_form(form):
    """The data the reconstruction uses: ``"y"`` or ``"z"`` (z-weighted trains on z)."""
    choice(form, "form", FORMS)
    return "y" if form == "y" else "z"


@lru_cache(maxsize=None)
def _pm_gain(data):
    t = target(data)
    cov = gaussian_expectation(S.x * t, {S.x: S.s, S.eta: S.delta})
    var = gaussian_expectation(t**2, {S.x: S.s, S.eta: S.delta})
    return sp.simplify(var / cov)


def pm_gain(form="z"):
    """Return the gain ``k`` whose inverse filter is the posterior mean: ``E[x | t] = t / k``.

    Notes
    -----
    ``(x, t)`` is jointly Gaussian and centred, so :math:`E[x\\mid t] = \\frac{E[xt]}{E[t^2]} t`
    and :math:`k_{PM} = E[t^2]/E[xt]`: :math:`a + \\delta^2/(a s^2)` (y),
    :math:`a^2 + \\delta^2/s^2` (z and z-weighted, whose data is z).
    """
    return _pm_gain(_data_form(form))


@lru_cache(maxsize=None)
def _map_gain(data):
    t = target(data)
    mean = t.subs(S.eta, 0)  # E[t | x]
    var = gaussian_expectation((t - mean) ** 2, {S.eta: S.delta})  # Var[t | x]
    # delta^2 times the negative log posterior of x given data S.t (up to constants)
    objective = S.delta**2 * ((S.t - mean) ** 2 / (2 * var) + S.x**2 / (2 * S.s**2))
    (x_map,) = sp.solve(sp.diff(objective, S.x), S.x)  # strictly convex quadratic in x
    return sp.simplify(S.t / x_map)


def map_gain(form="z"):
    """Return the gain ``k`` whose inverse filter is the MAP estimate: ``x_MAP(t) = t / k``.

    Notes
    -----
    The MAP minimises :math:`\\frac{(t - E[t|x])^2}{2\\,\\mathrm{Var}[t|x]} + \\frac{x^2}{2 s^2}`,
    a strictly convex quadratic in ``x``; its stationary point is linear in ``t``.
    """
    return _map_gain(_data_form(form))


def gap_to_pm(loss, form="z", weight=None, lipschitz=None):
    """Return the exact gap of inverse filters ``1/k_opt - 1/k_PM``."""
    return inverse_filter(loss, form, weight, lipschitz) - 1 / pm_gain(form)


def gap_to_map(loss, form="z", weight=None, lipschitz=None):
    """Return the exact gap of inverse filters ``1/k_opt - 1/k_MAP``."""
    return inverse_filter(loss, form, weight, lipschitz) - 1 / map_gain(form)


@lru_cache(maxsize=None)
def exact_weight(loss, form="z"):
    """Return the weight ``c`` for which the optimal gain equals the PM gain, or None.

    Parameters
    ----------
    loss, form
        As in :func:`optimal_gain`.

    Returns
    -------
    sympy.Expr or None
        ``None`` for losses without a weight (approximation, reconstruction); otherwise the
        unique positive ``c`` with ``k_opt(c) = k_PM``, e.g. ``2 delta^2 + 2 delta^4/(a^2 s^2)``
        for the log-det y-form; ``None`` if no positive weight achieves it.

    Notes
    -----
    At fixed ``k`` the stationarity condition is linear in ``c`` (``c`` multiplies ``1/k`` or
    ``1``), so evaluating it at :math:`k = k_{PM}` determines ``c`` uniquely; by strict convexity
    a stationary point is the minimiser.
    """
    choice(loss, "loss", LOSSES)
    _check_loss_form(loss, form)
    if loss not in REGULARISED:
        return None
    poly = stationarity_polynomial(loss, form, S.c)
    condition = poly.as_expr().subs(S.k, pm_gain(form))
    (weight,) = sp.solve(condition, S.c)
    weight = sp.simplify(sp.expand(weight))
    return weight if weight.is_positive else None
