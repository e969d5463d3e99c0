"""Optimal affine models ``phi(x) = K x + b`` in the general linear Gaussian setting.

Setting: ``x ~ N(mu, Sigma)`` in R^n, ``y = A x + eta`` with ``eta ~ N(0, delta^2 I_m)``,
``z = A^T y``. With ``B = A^T A``, the forms are

==============  ==================  ===========  =====================  ==================
form            target ``t``        ``T = E[t|x]/x``  noise map ``N``     metric ``M``
==============  ==================  ===========  =====================  ==================
``"y"``         ``y`` (A square)    ``A``        ``I``                  ``I``
``"z"``         ``z``               ``B``        ``A^T``                ``I``
``"z-weighted"`` ``z``              ``B``        ``A^T``                ``B^{-1}``
==============  ==================  ===========  =====================  ==================

so that ``t = T x + N eta``. Losses (the matrix versions of :mod:`theory.scalar`):
``E|K x + b - t|_M^2 - c R`` with ``R = log det K`` or ``tr K`` (the divergence of an affine map),
and the reconstruction loss ``E|K^{-1}(t - b) - x|^2``.

Functions take numeric or symbolic matrices (SymPy ``Matrix`` or nested lists) and return SymPy
matrices. The log-det optimum is given in closed form through a spectral function of a symmetric
positive definite matrix (:func:`logdet_spectral_function`); :func:`logdet_residual` states the
first-order condition, so that the numeric side can solve or check it.
"""

import sympy as sp

from theory import symbols as S
from theory._checks import choice, positive_expression
from theory.scalar import FORMS, LOSSES, REGULARISED


def as_matrix(value, name, shape=None):
    """Return ``value`` as a SymPy ``Matrix`` (a column vector for a flat list)."""
    try:
        matrix = sp.Matrix(value)
    except (TypeError, ValueError, sp.SympifyError) as exc:
        raise TypeError(f"{name} must be a SymPy Matrix or a nested list ({exc})") from None
    if shape is not None and matrix.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {matrix.shape}")
    return matrix


def _setting(A, Sigma, mu, form):
    A = as_matrix(A, "A")
    m, n = A.shape
    Sigma = as_matrix(Sigma, "Sigma", (n, n))
    if Sigma != Sigma.T:
        raise ValueError("Sigma must be symmetric")
    mu = sp.zeros(n, 1) if mu is None else as_matrix(mu, "mu", (n, 1))
    choice(form, "form", FORMS)
    if form == "y" and m != n:
        raise ValueError(f"form='y' needs a square A (the model maps R^n to R^m), got shape {A.shape}")
    return A, Sigma, mu


def parts(A, form):
    """Return ``(T, N, M)``: target operator, noise map and metric of ``form`` (table above)."""
    A = as_matrix(A, "A")
    choice(form, "form", FORMS)
    if form == "y":
        return A, sp.eye(A.rows), sp.eye(A.rows)
    B = A.T * A
    return B, A.T, (B.inv() if form == "z-weighted" else sp.eye(A.cols))


def _weight(loss, weight):
    if loss not in REGULARISED:
        if weight is not None:
            raise ValueError(f"weight applies only to the losses {list(REGULARISED)}, not to {loss!r}")
        return None
    return S.PAPER_WEIGHT if weight is None else positive_expression(weight, "weight")


def expected_loss(loss, form, K, b, A, Sigma, mu=None, weight=None):
    """Return the expected loss of the affine model ``K x + b``.

    Parameters
    ----------
    loss : {"approximation", "reconstruction", "logdet", "divergence"}
    form : {"y", "z", "z-weighted"}
    K : matrix (n, n); b : vector (n,)
    A : matrix (m, n); Sigma : SPD matrix (n, n); mu : vector (n,), optional (zero)
    weight : sympy.Expr, optional (``2 delta^2``)

    Returns
    -------
    sympy.Expr

    Notes
    -----
    With ``r = (K - T) x + b - N eta``, ``E[x x^T] = Sigma + mu mu^T`` and independence of
    ``eta``,

    .. math::
        E\\,r^T M r = \\mathrm{tr}\\big(M (K-T)(\\Sigma + \\mu\\mu^T)(K-T)^T\\big)
        + 2 b^T M (K-T)\\mu + b^T M b + \\delta^2 \\mathrm{tr}(N^T M N).

    The reconstruction loss is the same formula for the affine map ``K^{-1}(t - b)`` against
    ``x``: with ``W = K^{-1}``, :math:`E|W t - W b - x|^2`, where ``t = T x + N eta``.
    """
    choice(loss, "loss", LOSSES)
    A, Sigma, mu = _setting(A, Sigma, mu, form)
    n = A.cols
    K = as_matrix(K, "K", (n, n))
    b = as_matrix(b, "b", (n, 1))
    c = _weight(loss, weight)
    T, N, M = parts(A, form)
    second = Sigma + mu * mu.T
    if loss == "reconstruction":
        if form == "z-weighted":
            raise ValueError("form='z-weighted' is undefined for loss='reconstruction' "
                             "(no data term to weight)")
        W = K.inv(method="ADJ")
        return estimator_loss(W, -W * b, form, A, Sigma, mu)
    D = K - T
    value = ((M * D * second * D.T).trace() + 2 * (b.T * M * D * mu)[0] + (b.T * M * b)[0]
             + S.delta**2 * (N.T * M * N).trace())
    if loss == "logdet":
        value -= c * sp.log(K.det())
    elif loss == "divergence":
        value -= c * K.trace()
    return value


def estimator_loss(W, w, form, A, Sigma, mu=None):
    r"""Return the mean squared error ``E|W t + w - x|^2`` of the affine estimator ``W t + w``.

    Notes
    -----
    With ``D = W T - I`` and ``t = T x + N eta``,
    :math:`E|Dx + w + WN\eta|^2 = \mathrm{tr}(D(\Sigma + \mu\mu^T)D^T) + 2 w^T D\mu + |w|^2
    + \delta^2\,\mathrm{tr}(N^T W^T W N)`. The reconstruction loss of ``K x + b`` is this with
    ``W = K^{-1}``, ``w = -K^{-1} b``.
    """
    A, Sigma, mu = _setting(A, Sigma, mu, form)
    n = A.cols
    T, N, _ = parts(A, form)
    W = as_matrix(W, "W", (n, T.rows))
    w = as_matrix(w, "w", (n, 1))
    D = W * T - sp.eye(n)
    second = Sigma + mu * mu.T
    return ((D * second * D.T).trace() + 2 * (w.T * D * mu)[0] + (w.T * w)[0]
            + S.delta**2 * (N.T * W.T * W * N).trace())


def spectral(P, function):
    """Return ``f(P)`` for a diagonalisable matrix ``P`` with positive eigenvalues.

    Parameters
    ----------
    P : matrix (n, n)
        Similar to a symmetric positive definite matrix (e.g. ``T Sigma T^T``, or ``B Sigma``
        with ``B``, ``Sigma`` SPD, which is similar to ``B^{1/2} Sigma B^{1/2}``).
    function : callable
        Scalar function applied to each eigenvalue (e.g. ``sympy.sqrt``).

    Returns
    -------
    sympy.Matrix
        ``V f(D) V^{-1}`` where ``P = V D V^{-1}``.
    """
    P = as_matrix(P, "P")
    V, D = P.diagonalize()
    for i in range(D.rows):
        if D[i, i].is_positive is False:
            raise ValueError(f"P must have positive eigenvalues, found {D[i, i]}")
    return V * sp.diag(*[function(D[i, i]) for i in range(D.rows)]) * V.inv()


def logdet_spectral_function(weight=None):
    """Return ``g`` with ``g(lam) = (1 + sqrt(1 + 2 c/lam))/2`` as a SymPy ``Lambda``.

    Notes
    -----
    ``g`` solves ``lam g (g - 1) = c/2`` with ``g > 1``: the eigenvalue equation to which the
    log-det first-order condition reduces (see :func:`logdet_operator`).
    """
    c = S.PAPER_WEIGHT if weight is None else positive_expression(weight, "weight")
    return sp.Lambda(S.lam, (1 + sp.sqrt(1 + 2 * c / S.lam)) / 2)


def optimal_operator(loss, form, A, Sigma, mu=None, weight=None):
    """Return the optimal ``(K, b)`` of the affine model under ``loss``.

    Parameters
    ----------
    loss : {"approximation", "reconstruction", "logdet", "divergence"}
    form : {"y", "z", "z-weighted"}
    A, Sigma, mu, weight
        As in :func:`expected_loss`.

    Returns
    -------
    K : sympy.Matrix (n, n)
    b : sympy.Matrix (n, 1)

    Notes
    -----
    Minimising over ``b`` first gives ``b = -(K - T) mu`` for every data-fit loss (the gradient
    in ``b`` is ``2 M((K - T) mu + b)``). Then, with ``B = A^T A``:

    - approximation: ``K = T``;
    - divergence: ``2 M (K - T) Sigma = c I``, so ``K = T + (c/2) M^{-1} Sigma^{-1}``; z-form with
      ``c = 2 delta^2``: ``K = B + delta^2 Sigma^{-1}``, ``b = -delta^2 Sigma^{-1} mu``;
    - reconstruction: ``K^{-1}`` is the best affine estimator of ``x`` from ``t`` (the PM for a
      Gaussian prior): ``K^{-1} = Cov(x, t) Cov(t)^{-1}``, ``b = E[t] - K mu``;
    - log-det: see :func:`logdet_operator`.
    """
    choice(loss, "loss", LOSSES)
    A, Sigma, mu = _setting(A, Sigma, mu, form)
    c = _weight(loss, weight)
    T, N, M = parts(A, form)
    if loss == "approximation":
        K = T
    elif loss == "divergence":
        K = T + c / 2 * M.inv() * Sigma.inv()
    elif loss == "reconstruction":
        if form == "z-weighted":
            raise ValueError("form='z-weighted' is undefined for loss='reconstruction' "
                             "(no data term to weight)")
        cov_xt = Sigma * T.T
        cov_t = T * Sigma * T.T + S.delta**2 * N * N.T
        K = cov_t * cov_xt.inv()
        return K, T * mu - K * mu
    else:
        return logdet_operator(form, A, Sigma, mu, weight)
    return K, -(K - T) * mu


def logdet_operator(form, A, Sigma, mu=None, weight=None):
    """Return the optimal ``(K, b)`` for the log-det loss, in closed form.

    Notes
    -----
    The first-order condition (:func:`logdet_residual`) is the matrix quadratic

    .. math:: 2 M (K - T)\\Sigma K^T = c I,\\qquad b = (T - K)\\mu .

    For ``M = I`` (y, z) its solution with ``det K > 0`` (when ``det T > 0``) is

    .. math:: K = g(T\\Sigma T^T)\\,T,\\qquad g(\\lambda) = \\tfrac12\\big(1 + \\sqrt{1 + 2c/\\lambda}\\big),

    because with ``P = T Sigma T^T`` one has ``(K - T) Sigma K^T = (g(P) - I) P g(P)``, which
    equals ``(c/2) I`` eigenvalue by eigenvalue (``lam g (g - 1) = c/2``). For the z-weighted
    form (``M = B^{-1}``) substitute ``K = B^{1/2} K'``: ``K = B^{1/2} g(B^{1/2} Sigma B^{1/2})
    B^{1/2} = g(B Sigma) B``, a symmetric matrix (``B Sigma`` is similar to the SPD matrix
    ``B^{1/2} Sigma B^{1/2}``, so ``g(B Sigma)`` is defined by its positive eigenvalues). Uniqueness: with ``G = K Sigma^{1/2}`` (and ``T' = T
    Sigma^{1/2}``) the objective is ``|G - T'|_F^2 - c log det G + const``; von Neumann's trace
    inequality bounds it below by ``sum_i (sigma_i(G) - tau_i)^2 - c log sigma_i(G)``, strictly
    convex in each ``sigma_i`` with the unique minimiser ``(tau_i + sqrt(tau_i^2 + 2c))/2``, and
    equality forces the singular vectors of ``T'``: the minimiser is unique.
    """
    A, Sigma, mu = _setting(A, Sigma, mu, form)
    g = logdet_spectral_function(weight)
    T, _, _ = parts(A, form)
    if form == "z-weighted":
        K = spectral(T * Sigma, g) * T
    else:
        K = spectral(T * Sigma * T.T, g) * T
    return K, (T - K) * mu


def logdet_residual(K, b, form, A, Sigma, mu=None, weight=None):
    """Return the residuals of the log-det first-order conditions at ``(K, b)``.

    Returns
    -------
    R_K : sympy.Matrix (n, n)
        ``2 M (K - T) Sigma K^T - c I`` (zero at a stationary point). It is the gradient
        ``2 M (K - T) Sigma - c K^{-T}`` (for ``mu = 0``) multiplied on the right by ``K^T``.
    R_b : sympy.Matrix (n, 1)
        ``(K - T) mu + b``.

    Notes
    -----
    For ``mu != 0`` the ``K``-gradient has the extra term ``2 M ((K - T) mu + b) mu^T``, which
    vanishes when ``R_b = 0``; so ``(R_K, R_b) = 0`` is exactly stationarity.
    """
    A, Sigma, mu = _setting(A, Sigma, mu, form)
    n = A.cols
    K = as_matrix(K, "K", (n, n))
    b = as_matrix(b, "b", (n, 1))
    c = S.PAPER_WEIGHT if weight is None else positive_expression(weight, "weight")
    T, _, M = parts(A, form)
    return 2 * M * (K - T) * Sigma * K.T - c * sp.eye(n), (K - T) * mu + b


def logdet_certificate(K, form, A, Sigma):
    """Return ``K Sigma T^T``, symmetric positive definite exactly at the log-det minimiser.

    Among the solutions of the first-order condition (:func:`logdet_residual`), the minimiser is
    the one for which this matrix is symmetric positive definite: at ``K = g(P) T`` it equals
    ``g(P) P`` (``P = T Sigma T^T``; z-weighted: ``B^{1/2} g(P~) P~ B^{1/2}`` with
    ``P~ = B^{1/2} Sigma B^{1/2}``). Other solutions (saddle points, e.g. ``K = r I`` with the
    negative root ``r`` when ``T = Sigma = I``) fail the test, so a numeric solver of the
    matrix equation should check it.
    """
    A = as_matrix(A, "A")
    n = A.cols
    _, Sigma, _ = _setting(A, Sigma, None, form)
    K = as_matrix(K, "K", (n, n))
    T, _, _ = parts(A, form)
    return K * Sigma * T.T


def pm_operator(A, Sigma, mu=None):
    """Return ``(W, w)`` with ``x_PM(y) = W y + w`` for the Gaussian prior (conditioning formula).

    Notes
    -----
    :math:`E[x\\mid y] = \\mu + \\Sigma A^T (A\\Sigma A^T + \\delta^2 I)^{-1}(y - A\\mu)`.
    """
    A = as_matrix(A, "A")
    _, Sigma, mu = _setting(A, Sigma, mu, "z")
    W = Sigma * A.T * (A * Sigma * A.T + S.delta**2 * sp.eye(A.rows)).inv()
    return W, mu - W * A * mu


def map_operator(A, Sigma, mu=None):
    """Return ``(W, w)`` with ``x_MAP(y) = W y + w`` (solution of the prior-based normal equation).

    Notes
    -----
    The MAP objective :math:`\\tfrac12|Ax - y|^2 + \\tfrac{\\delta^2}{2}(x-\\mu)^T\\Sigma^{-1}(x-\\mu)`
    has the first-order condition
    :math:`(A^TA + \\delta^2\\Sigma^{-1})x = A^T y + \\delta^2 \\Sigma^{-1}\\mu`.
    """
    A = as_matrix(A, "A")
    _, Sigma, mu = _setting(A, Sigma, mu, "z")
    H = (A.T * A + S.delta**2 * Sigma.inv()).inv()
    return H * A.T, H * S.delta**2 * Sigma.inv() * mu
