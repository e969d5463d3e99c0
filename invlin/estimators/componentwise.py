"""Exact per-component PM and MAP for a product prior in the basis of a diagonal operator.

For :class:`~invlin.problem.TransformDiagonalProblem` with a prior whose coefficients
c = V^T x are independent (e.g. :class:`~invlin.priors.TransformLogisticProduct` in the same
basis), the posterior factorises: coefficient j has the 1-D posterior of
b_j = sigma_j c_j + delta e_j (b = V^T y, e_j ~ N(0, 1)). Both estimators are vectorised over
measurements and components at once (no loop over j) and never form an n x n matrix.

Any other product prior declared in the problem's basis (capability ``product_structure``, e.g.
:class:`~invlin.priors.ProductPrior` of Student-t or ``from_logpdf`` factors with
``basis=problem.basis``) takes the generic route: the 1-D estimators of
:func:`~invlin.estimators.posterior_mean` and :func:`~invlin.estimators.map_estimate` on each
component in turn (exact, every local minimum found; a Python loop over j, so slower).
"""

from __future__ import annotations

import numpy as np

from invlin._validation import as_points, positive_int, positive_scalar
from invlin.estimators.map_estimate import MAPInfo, map_estimate
from invlin.estimators.posterior_mean import posterior_mean

# Bracket expansion: start at +-1 prior scale, double up to 2^80 times (far beyond any finite
# root of a problem with finite data).
MAX_DOUBLINGS = 80

__all__ = ["componentwise_map", "componentwise_posterior_mean"]


def _generic_factors(problem):
    """The 1-D factors of a product prior declared in the problem's basis (capability
    ``product_structure``) without vectorised coefficient functions, else None."""
    prior = problem.prior
    if hasattr(prior, "coefficient_score"):
        return None
    structure = prior.product_structure()
    if structure is None or isinstance(structure.basis, np.ndarray):
        return None
    if not (structure.basis is problem.basis or structure.basis == problem.basis):
        return None
    return structure.factors


def _per_component(problem, y, estimator, **kwargs):
    """estimator (posterior_mean or map_estimate with return_info) on each 1-D problem
    sigma_j c + delta e of the factors (a loop over components: the generic, slower route)."""
    from invlin.problem import LinearInverseProblem

    factors = _generic_factors(problem)
    b = problem.basis.forward(y)
    results = [estimator(LinearInverseProblem([[sigma]], problem.delta, factor),
                         b[:, j : j + 1], **kwargs)
               for j, (sigma, factor) in enumerate(zip(problem.singular_values, factors))]
    return b, results


def _require_product(problem):
    prior = problem.prior
    basis = getattr(prior, "basis", None)
    if not (hasattr(prior, "coefficient_score") and basis == problem.basis):
        raise TypeError(
            "componentwise estimators need a product prior in the problem's basis (e.g. "
            "TransformLogisticProduct(scales, problem.basis)); got "
            f"{type(prior).__name__}"
        )
    if not prior.is_log_concave:
        raise NotImplementedError(
            "componentwise MAP is implemented for log-concave coefficient laws (unique minimiser "
            "by strict convexity); this prior is not log-concave"
        )
    return prior


def _value(problem, prior, c, b):
    """Objective g = (sigma c - b)^2 / 2 - delta^2 log l(c) per entry."""
    residual = problem.singular_values * c - b
    return 0.5 * residual**2 - problem.delta**2 * prior.coefficient_logpdf(c)


def _parts(problem, prior, c, b):
    """g (see :func:`_value`), g' and g'' per entry, and the scale of the terms of g'."""
    sigma, delta2 = problem.singular_values, problem.delta**2
    residual = sigma * c - b
    value = _value(problem, prior, c, b)
    score = prior.coefficient_score(c)
    gradient = sigma * residual - delta2 * score
    curvature = sigma**2 - delta2 * prior.coefficient_curvature(c)
    scale = np.abs(sigma**2 * c) + np.abs(sigma * b) + delta2 * np.abs(score)
    return value, gradient, curvature, scale


def _solve(problem, prior, b, tol, max_iter):
    """Root of g'(c) = 0 per entry by Newton safeguarded in an expanding bracket."""
    step = np.broadcast_to(prior.scales, b.shape).copy()
    lo = np.zeros_like(b)
    hi = np.zeros_like(b)
    _, g0, _, _ = _parts(problem, prior, lo, b)
    # g' is increasing (g'' > 0): expand to the side where g' changes sign.
    right = g0 < 0
    pending = g0 != 0
    for _ in range(MAX_DOUBLINGS):
        trial = np.where(right, step, -step)
        _, g_trial, _, _ = _parts(problem, prior, trial, b)
        found = pending & (np.where(right, g_trial >= 0, g_trial <= 0))
        hi = np.where(found & right, trial, hi)
        lo = np.where(found & ~right, trial, lo)
        pending &= ~found
        if not pending.any():
            break
        lo = np.where(pending & right, trial, lo)
        hi = np.where(pending & ~right, trial, hi)
        step = np.where(pending, 2.0 * step, step)
    c = 0.5 * (lo + hi)
    converged = np.zeros(b.shape, dtype=bool)
    for _ in range(max_iter):
        _, g, h, scale = _parts(problem, prior, c, b)
        converged = np.abs(g) <= tol * np.maximum(scale, np.finfo(np.float64).tiny)
        if converged.all():
            break
        lo = np.where(g < 0, c, lo)
        hi = np.where(g > 0, c, hi)
        newton = c - g / h
        outside = ~((newton > lo) & (newton < hi))
        c = np.where(converged, c, np.where(outside, 0.5 * (lo + hi), newton))
    return c, converged


def componentwise_map(problem, y, *, return_info: bool = False, tol: float = 1e-12,
                      max_iter: int = 200):
    r"""MAP estimate of a product prior in the operator's basis, one 1-D problem per component.

    Parameters
    ----------
    problem : TransformDiagonalProblem
        With a log-concave product prior in ``problem.basis`` (e.g.
        :class:`~invlin.priors.TransformLogisticProduct`).
    y : array_like, shape (N, n) or (n,)
    return_info : bool, optional
        Also return a :class:`~invlin.estimators.MAPInfo` (per measurement).
    tol : float, optional
        Relative tolerance on g'(c) (as :func:`~invlin.estimators.map_estimate`): stop when
        |g'| <= tol (|sigma^2 c| + |sigma b| + delta^2 |(log l)'(c)|).
    max_iter : int, optional
        Newton iterations after the bracket is found.

    Returns
    -------
    x : ndarray, shape (N, n) or (n,)
    info : MAPInfo
        Only with ``return_info``: ``unique`` is True by strict convexity (certified by the
        prior's log-concavity), ``n_local_minima`` 1, ``objective`` the full objective
        1/2 |A x - y|^2 - delta^2 log p(x), ``gradient_norm`` |grad| = |g'(c)| (orthonormal V),
        ``converged`` whether every component met ``tol``.

    Notes
    -----
    With b = V^T y, the objective 1/2 |A x - y|^2 - delta^2 log p(x) equals
    :math:`\sum_j g_j(c_j)`, :math:`g_j(c) = (\sigma_j c - b_j)^2/2 - \delta^2 \log \ell_j(c)`,
    which is strictly convex for a log-concave l_j (g'' = sigma^2 - delta^2 (log l)'' > 0), so
    each coefficient solves the scalar prior-based normal equation
    :math:`\sigma_j^2 c - \delta^2 (\log\ell_j)'(c) = \sigma_j b_j`. The root is bracketed by
    doubling from +-s_j and found by Newton steps that fall back to bisection when they leave
    the bracket. Components with sigma_j = 0 give the prior mode. A prior that declares
    ``closed_form_map`` (the Laplace product: the soft threshold) gives it instead; with a
    kink the reported gradient is the smooth part's.
    """
    y, single = as_points(y, "y", problem.m)
    tol = positive_scalar(tol, "tol")
    max_iter = positive_int(max_iter, "max_iter")
    if _generic_factors(problem) is not None:
        return _generic_map(problem, y, single, return_info, tol, max_iter)
    prior = _require_product(problem)
    b = problem.basis.forward(y)
    exact = prior.closed_form_map(problem.singular_values, problem.delta, b)
    if exact is not None:
        c, converged = np.asarray(exact, dtype=np.float64), np.ones(b.shape, dtype=bool)
    else:
        c, converged = _solve(problem, prior, b, tol, max_iter)
    x = problem.basis.adjoint(c)
    if not return_info:
        return x[0] if single else x
    value, gradient, _, _ = _parts(problem, prior, c, b)
    n = y.shape[0]
    # The objective's constant parts: the sum over j of g_j is the full objective exactly.
    info = MAPInfo(unique=np.ones(n, dtype=bool),
                   gradient_norm=np.linalg.norm(gradient, axis=1),
                   objective=value.sum(axis=1),
                   n_local_minima=np.ones(n, dtype=int),
                   converged=converged.all(axis=1),
                   local_minima=x[:, None, :].copy(),
                   local_objectives=value.sum(axis=1)[:, None])
    if single:
        x = x[0]
        info = MAPInfo(**{name: v[0] for name, v in vars(info).items()})
    return x, info


def _generic_map(problem, y, single, return_info, tol, max_iter):
    """componentwise_map for any 1-D factors: map_estimate per component (all local minima)."""
    b, results = _per_component(problem, y, map_estimate, return_info=True, tol=tol,
                                max_iter=max_iter)
    c = np.concatenate([x for x, _ in results], axis=1)
    x = problem.basis.adjoint(c)
    if not return_info:
        return x[0] if single else x
    residual = problem.singular_values * c - b
    value = 0.5 * residual**2 - problem.delta**2 * np.concatenate(
        [factor.logpdf(c[:, j : j + 1])[:, None]
         for j, factor in enumerate(_generic_factors(problem))], axis=1)
    objective = value.sum(axis=1)
    gradient = np.stack([info.gradient_norm for _, info in results], axis=1)
    info = MAPInfo(unique=np.all([i.unique for _, i in results], axis=0),
                   gradient_norm=np.linalg.norm(gradient, axis=1),
                   objective=objective,
                   n_local_minima=np.prod([i.n_local_minima for _, i in results], axis=0),
                   converged=np.all([i.converged for _, i in results], axis=0),
                   local_minima=x[:, None, :].copy(), local_objectives=objective[:, None])
    if single:
        x = x[0]
        info = MAPInfo(**{name: v[0] for name, v in vars(info).items()})
    return x, info


def componentwise_posterior_mean(problem, y, *, tail_widths: float = 25.0,
                                 max_grid_points: int = 2_000_000):
    r"""Posterior mean of a product prior in the operator's basis, by 1-D quadrature per component.

    Parameters
    ----------
    problem : TransformDiagonalProblem
        With a log-concave product prior in ``problem.basis``.
    y : array_like, shape (N, n) or (n,)
    tail_widths : float, optional
        Half-width of each component's grid in Laplace widths.
    max_grid_points : int, optional
        Grid points evaluated at once (a memory bound); entries are processed in chunks.

    Returns
    -------
    ndarray, shape (N, n) or (n,)

    Notes
    -----
    Component j's posterior is :math:`\propto \exp(-g_j(c)/\delta^2)` (see
    :func:`componentwise_map`). Around its mode c* (the MAP) with Laplace width
    :math:`w = \delta / \sqrt{g''(c^*)}`, the trapezoidal rule on the grid
    :math:`c^* + k h`, :math:`h = \min(w, s_j)/2`, :math:`|k h| \le` ``tail_widths`` w, gives
    E[c_j | b_j] as the ratio of the weighted sums of c and 1. This is the rule of
    ``invlin.estimators._quadrature`` in one dimension, vectorised over all entries: the
    integrand is analytic in the strip |Im c| < pi s_j, so the error at h <= min(w, s)/2 is
    ~exp(-2 pi^2) squared, below 1e-15 relative; a log-concave posterior with logistic tails
    leaves mass below ~1e-15 beyond 25 widths (w >= sqrt(2) s where the likelihood is flat).
    All components of a chunk of measurements use the largest node count needed in it. A
    prior that declares ``closed_form_posterior_mean`` (the Laplace product) gives it instead.
    """
    y, single = as_points(y, "y", problem.m)
    tail_widths = positive_scalar(tail_widths, "tail_widths")
    max_grid_points = positive_int(max_grid_points, "max_grid_points")
    if _generic_factors(problem) is not None:
        _, results = _per_component(problem, y, posterior_mean)
        x = problem.basis.adjoint(np.concatenate(results, axis=1))
        return x[0] if single else x
    prior = _require_product(problem)
    b = problem.basis.forward(y)
    exact = prior.closed_form_posterior_mean(problem.singular_values, problem.delta, b)
    if exact is not None:
        x = problem.basis.adjoint(np.asarray(exact, dtype=np.float64))
        return x[0] if single else x
    mode, _ = _solve(problem, prior, b, 1e-12, 200)
    _, _, curvature, _ = _parts(problem, prior, mode, b)
    width = problem.delta / np.sqrt(curvature)
    spacing = np.minimum(width, prior.scales) / 2.0
    half = np.ceil(tail_widths * width / spacing).astype(np.int64).max(axis=1)  # per row
    mean = np.empty_like(mode)
    start = 0
    while start < mode.shape[0]:
        # Rows [start, stop) share one node count (their largest) within max_grid_points.
        stop = start + 1
        count = 2 * int(half[start]) + 1
        while stop < mode.shape[0]:
            trial = max(count, 2 * int(half[stop]) + 1)
            if (stop + 1 - start) * trial * mode.shape[1] > max_grid_points:
                break
            count, stop = trial, stop + 1
        rows = slice(start, stop)
        offsets = (np.arange(count) - (count - 1) // 2)[:, None, None]
        nodes = mode[rows] + offsets * spacing[rows]  # (K, rows, n)
        value = _value(problem, prior, nodes, b[rows])
        weight = np.exp(-(value - value.min(axis=0)) / problem.delta**2)
        mean[rows] = np.sum(weight * nodes, axis=0) / np.sum(weight, axis=0)
        start = stop
    x = problem.basis.adjoint(mean)
    return x[0] if single else x
