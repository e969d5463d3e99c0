"""The maximum a posteriori (MAP) estimate: global search by damped Newton from several starts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invlin._validation import as_points, positive_int, positive_scalar
from invlin.estimators._gaussian_posterior import (
    component_posteriors,
    gaussian_components,
    is_gaussian,
    posterior_weights,
)
from invlin.estimators._posterior_1d import local_minima_1d, scannable
from invlin.estimators.objective import _gradient, _hessian, _objective
from invlin.problem import LinearInverseProblem

# Armijo sufficient-decrease constant (the customary 1e-4) and the number of step halvings
# after which a search direction is abandoned (2^-60 ~ 1e-18: below rounding of any step).
ARMIJO = 1e-4
MAX_HALVINGS = 60
EPS = np.finfo(np.float64).eps
# Measurements solved together: large enough to amortise NumPy's per-call overhead, small
# enough that the (starts x measurements) working arrays stay in cache (measured: ~3x faster
# than one block of 4 * 10^4 measurements on the 2-D benchmark).
CHUNK = 4096


@dataclass(frozen=True)
class MAPInfo:
    """Diagnostics of :func:`map_estimate`, one entry per measurement.

    Attributes
    ----------
    unique : ndarray of bool, shape (N,)
        False where two distinct local minima were found whose objectives agree within
        ``tie_tol * (|f| + delta^2)``: the MAP is not unique there (up to that tolerance).
    gradient_norm : ndarray, shape (N,)
        Euclidean norm of the objective's gradient at the returned point.
    objective : ndarray, shape (N,)
        Objective 1/2 |A x - y|^2 - delta^2 log p(x) at the returned point.
    n_local_minima : ndarray of int, shape (N,)
        Number of distinct local minima found from the starts.
    converged : ndarray of bool, shape (N,)
        Whether the returned point met the relative gradient tolerance ``tol``.
    local_minima : ndarray, shape (N, K, n)
        The distinct local minimisers found, sorted by objective (``local_minima[i, 0]`` is the
        returned, global one), NaN-padded to the largest count K.
    local_objectives : ndarray, shape (N, K)
        Their objectives (inf-padded).
    """

    unique: np.ndarray
    gradient_norm: np.ndarray
    objective: np.ndarray
    n_local_minima: np.ndarray
    converged: np.ndarray
    local_minima: np.ndarray
    local_objectives: np.ndarray


def map_estimate(problem, y, *, return_info=False, tol=1e-12, max_iter=200, tie_tol=1e-9):
    """MAP estimate argmin_x 1/2 |A x - y|^2 - delta^2 log p(x) for each measurement.

    Parameters
    ----------
    problem : LinearInverseProblem
    y : array_like, shape (N, m) or (m,)
        Measurements.
    return_info : bool, optional
        Also return a :class:`MAPInfo`.
    tol : float, optional
        Relative gradient tolerance: stop when |grad f| <= tol * (|A^T A x| + |A^T y| +
        delta^2 |grad log p(x)|), i.e. when the terms of the normal equation balance to ``tol``.
    max_iter : int, optional
        Maximum number of Newton iterations.
    tie_tol : float, optional
        Relative tolerance on objective values below which two distinct local minima count as
        tied (``unique`` is then False).

    Returns
    -------
    x : ndarray, shape (N, n) or (n,)
        The minimiser with the lowest objective among the stationary points found.
    info : MAPInfo
        Only if ``return_info``.

    Notes
    -----
    Gaussian prior N(mu, Sigma): closed form x = (A^T A + delta^2 Sigma^{-1})^{-1}
    (A^T y + delta^2 Sigma^{-1} mu), computed as mu + Sigma A^T (A Sigma A^T + delta^2 I)^{-1}
    (y - A mu) (the objective is strictly convex; the minimiser is unique).

    Otherwise a vectorised damped Newton method minimises f from several starts per
    measurement: the prior's mode candidates (the component means of a mixture, the centre of a
    logistic product), the least-squares solution A^+ y, the Tikhonov solution of the Gaussian
    prior with the same mean and covariance and, for a Gaussian mixture, every component's
    posterior mean and the posterior mean itself (the modes of a mixture posterior lie near the
    component posterior means). The Newton direction -H^{-1} grad f uses the Hessian
    H = A^T A - delta^2 Hess log p; where H is not positive definite the step is the gradient
    preconditioned by |H| (eigenvalues replaced by their absolute values, floored at 1e-8 of
    the largest), a descent direction that leaves saddle regions. A backtracking line search
    enforces the Armijo condition, with a rounding slack of 10 eps |f|. Among the converged points that are local minima (H positive
    semi-definite up to rounding) the one with the lowest objective is returned.
    """
    y, single = as_points(y, "y", problem.m)
    _require_representable(y)
    if not isinstance(return_info, bool):
        raise TypeError(f"return_info must be a bool, got {type(return_info).__name__}")
    tol = positive_scalar(tol, "tol")
    max_iter = positive_int(max_iter, "max_iter")
    tie_tol = positive_scalar(tie_tol, "tie_tol")

    if is_gaussian(problem.prior):
        x = _gaussian_map(problem, y, tol)
        n = y.shape[0]
        grad = _gradient(problem, x, y)
        objective = _objective(problem, x, y)
        info = MAPInfo(
            unique=np.ones(n, dtype=bool),
            gradient_norm=np.linalg.norm(grad, axis=1),
            objective=objective,
            n_local_minima=np.ones(n, dtype=int),
            converged=_relative_gradient(problem, x, y, grad) <= tol,
            local_minima=x[:, None, :].copy(),
            local_objectives=objective[:, None].copy(),
        )
    elif problem.dim == 1 and np.any(problem.A != 0) and _closed_form_1d(problem, y) is not None:
        x, info = _closed_form_info(problem, y, _closed_form_1d(problem, y), tol)
    elif problem.dim == 1 and np.any(problem.A != 0):
        x, info = _scan_1d(problem, y, tol, max_iter, tie_tol)
    elif (basis := _diagonal_product_basis(problem)) is not None:
        x, info = _product_map(problem, y, basis, tol, max_iter, tie_tol)
    else:
        parts = [
            _global_newton(problem, y[i : i + CHUNK], tol, max_iter, tie_tol)
            for i in range(0, y.shape[0], CHUNK)
        ]
        x = np.concatenate([part[0] for part in parts])
        size = max(part[1].local_objectives.shape[1] for part in parts)
        info = MAPInfo(
            **{
                name: np.concatenate([_pad(getattr(part[1], name), size) for part in parts])
                for name in MAPInfo.__dataclass_fields__
            }
        )

    if single:
        x = x[0]
        info = MAPInfo(**{name: value[0] for name, value in vars(info).items()})
    return (x, info) if return_info else x


def _closed_form_1d(problem, y):
    """The prior's closed-form MAP of a problem with one unknown, or None (see ``_scan_1d``)."""
    column = problem.A[:, 0]
    alpha = float(np.linalg.norm(column))
    exact = problem.prior.closed_form_map(alpha, problem.delta, y @ column / alpha)
    return None if exact is None else np.asarray(exact, dtype=np.float64)[:, None]


def _closed_form_info(problem, y, x, tol):
    """MAPInfo of a closed-form MAP (a log-concave prior: the minimiser is unique).

    ``converged`` reports whether 0 is in the subdifferential to ``tol``: the smooth gradient
    where it exists; at a declared kink the data term's gradient must lie within the jump of
    -delta^2 (log p)' there, which the closed form guarantees (it is reported as converged).
    """
    n = y.shape[0]
    grad = _gradient(problem, x, y)
    at_kink = np.isin(x[:, 0], problem.prior.kinks())
    objective = _objective(problem, x, y)
    converged = at_kink | (_relative_gradient(problem, x, y, grad) <= tol)
    info = MAPInfo(
        unique=np.ones(n, dtype=bool),
        gradient_norm=np.where(at_kink, 0.0, np.linalg.norm(grad, axis=1)),
        objective=objective,
        n_local_minima=np.ones(n, dtype=int),
        converged=converged,
        local_minima=x[:, None, :].copy(),
        local_objectives=objective[:, None].copy(),
    )
    return x, info


def _pad(values: np.ndarray, size: int) -> np.ndarray:
    """Pad the per-minimum axis (axis 1) of an info field to ``size`` (NaN / inf)."""
    if values.ndim == 1 or values.shape[1] == size:
        return values
    widths = [(0, 0)] * values.ndim
    widths[1] = (0, size - values.shape[1])
    return np.pad(values, widths, constant_values=np.nan if values.ndim == 3 else np.inf)


def _diagonal_product_basis(problem):
    """The dense basis of a product prior (n > 1) that diagonalises A (square), else None."""
    structure = problem.prior.product_structure() if problem.dim > 1 else None
    if structure is None or not isinstance(structure.basis, np.ndarray):
        return None
    if problem.m != problem.dim or not problem.is_diagonal_in(structure.basis):
        return None
    return structure.basis


def _product_map(problem, y, basis, tol, max_iter, tie_tol):
    """Per-component MAPs of a product prior in a basis diagonalising A (1-D problems).

    The objective is sum_j (d_j c_j - <y, b_j>)^2 / 2 - delta^2 log p_j(c_j): its minimisers
    are the products of the components' minimisers, so the global one is the product of the
    global ones, ``n_local_minima`` the product of the counts and ``unique`` whether every
    component's is; ``local_minima`` holds the global minimiser only.
    """
    factors = problem.prior.product_structure().factors
    diagonal = np.einsum("ij,ik,kj->j", basis, problem.A, basis)
    data = y @ basis
    coefficients = np.empty_like(data)
    n = y.shape[0]
    unique = np.ones(n, dtype=bool)
    converged = np.ones(n, dtype=bool)
    count = np.ones(n, dtype=int)
    for j, factor in enumerate(factors):
        sub = LinearInverseProblem([[diagonal[j]]], problem.delta, factor)
        c, part = map_estimate(sub, data[:, j : j + 1], return_info=True, tol=tol,
                               max_iter=max_iter, tie_tol=tie_tol)
        coefficients[:, j] = c[:, 0]
        unique &= part.unique
        converged &= part.converged
        count *= part.n_local_minima
    x = coefficients @ basis.T
    objective = _objective(problem, x, y)
    info = MAPInfo(unique=unique,
                   gradient_norm=np.linalg.norm(_gradient(problem, x, y), axis=1),
                   objective=objective, n_local_minima=count, converged=converged,
                   local_minima=x[:, None, :].copy(), local_objectives=objective[:, None].copy())
    return x, info


def _scan_1d(problem, y, tol, max_iter, tie_tol):
    """All local minima of a problem with one unknown (A of shape (m, 1)): grid scan + Newton.

    With alpha = |A| and y' = <A, y> / alpha, |A x - y|^2 = (alpha x - y')^2 + const, so the
    minimisers are those of the scalar problem y' = alpha x + delta eta
    (:func:`invlin.estimators._posterior_1d.local_minima_1d`).
    """
    column = problem.A[:, 0]
    alpha = float(np.linalg.norm(column))
    reduced = y @ column / alpha
    scan = scannable(problem.prior, alpha, problem.delta, reduced)
    if not np.all(scan):
        return _scan_or_newton(problem, y, scan, tol, max_iter, tie_tol)
    minima, _, converged = local_minima_1d(problem.prior, alpha, problem.delta, reduced, tol)
    n, size = minima.shape
    found = np.isfinite(minima)
    flat = np.where(found, minima, 0.0).reshape(-1, 1)
    y_rep = np.repeat(y, size, axis=0)
    objective = np.where(found, _objective(problem, flat, y_rep).reshape(n, size), np.inf)
    x = minima[:, :1].copy()
    f_best = objective[:, 0]
    tie_scale = tie_tol * (np.abs(f_best) + problem.delta**2)
    n_tied = np.sum(found & (np.abs(objective - f_best[:, None]) <= tie_scale[:, None]), axis=1)
    info = MAPInfo(
        unique=n_tied <= 1,
        gradient_norm=np.linalg.norm(_gradient(problem, x, y), axis=1),
        objective=f_best,
        n_local_minima=np.sum(found, axis=1),
        converged=converged[:, 0],
        local_minima=minima[:, :, None].copy(),
        local_objectives=objective,
    )
    return x, info


def _scan_or_newton(problem, y, scan, tol, max_iter, tie_tol):
    """The scan where the window is scannable, multi-start Newton elsewhere (merged)."""
    parts = []
    if np.any(scan):
        parts.append((scan, _scan_1d(problem, y[scan], tol, max_iter, tie_tol)))
    rest = ~scan
    parts.append((rest, _global_newton(problem, y[rest], tol, max_iter, tie_tol)))
    n = y.shape[0]
    size = max(part[1].local_objectives.shape[1] for _, part in parts)
    x = np.empty((n, problem.dim))
    fields = {}
    for rows, (xp, info) in parts:
        x[rows] = xp
        for name in MAPInfo.__dataclass_fields__:
            value = _pad(getattr(info, name), size)
            if name not in fields:
                fields[name] = np.empty((n,) + value.shape[1:], dtype=value.dtype)
            fields[name][rows] = value
    return x, MAPInfo(**fields)


def _require_representable(y) -> None:
    """Reject measurements whose data term 1/2 |A x - y|^2 overflows float64 (|y|^2 = inf)."""
    with np.errstate(over="ignore"):
        squared = np.sum(np.square(y), axis=1)
    if not np.all(np.isfinite(squared)):
        row = int(np.argmin(np.isfinite(squared)))
        raise ValueError(
            f"y is too large: |y|^2 overflows float64 for measurement {row} (max |y_i| = "
            f"{np.max(np.abs(y[row])):.3g}), so the MAP objective 1/2 |A x - y|^2 cannot be "
            "evaluated; rescale the problem"
        )


def _gaussian_map(problem, y, tol):
    """The Gaussian posterior's mean (= its mode), refined by at most two Newton steps on the
    quadratic objective where its relative gradient exceeds ``tol``: the closed form carries
    rounding of order eps cond(A), which for ill-conditioned A can exceed ``tol`` (iterative
    refinement removes it; the Hessian A^T A + delta^2 Sigma^-1 is constant)."""
    weights, means, covs = gaussian_components(problem.prior)
    _, post_means, _ = component_posteriors(problem, y, weights, means, covs)
    x = post_means[:, 0]
    hessian = problem.normal_operator + problem.delta**2 * np.linalg.inv(covs[0])
    for _ in range(2):
        grad = _gradient(problem, x, y)
        if np.all(_relative_gradient(problem, x, y, grad) <= tol):
            break
        x = x - np.linalg.solve(hessian, grad.T).T
    return x


def _relative_gradient(problem, x, y, grad):
    A = problem.A
    scale = (
        np.linalg.norm(x @ problem.normal_operator, axis=1)
        + np.linalg.norm(y @ A, axis=1)
        + problem.delta**2 * np.linalg.norm(problem.prior.score(x), axis=1)
    )
    return np.linalg.norm(grad, axis=1) / np.maximum(scale, np.finfo(np.float64).tiny)


def _starts(problem, y) -> np.ndarray:
    """Starting points, shape (S, N, n)."""
    prior = problem.prior
    n_points = y.shape[0]
    starts = [np.broadcast_to(c, (n_points, problem.dim)) for c in prior.mode_candidates()]
    starts.append(y @ np.linalg.pinv(problem.A).T)
    tikhonov = component_posteriors(
        problem, y, np.ones(1), prior.mean[None], prior.covariance[None]
    )[1][:, 0]
    starts.append(tikhonov)
    components = gaussian_components(prior)
    if components is not None:
        log_evidence, post_means, _ = component_posteriors(problem, y, *components)
        starts.extend(post_means[:, k] for k in range(post_means.shape[1]))
        starts.append(np.einsum("nk,nki->ni", posterior_weights(log_evidence), post_means))
    return np.stack(starts)


def _global_newton(problem, y, tol, max_iter, tie_tol):
    starts = _starts(problem, y)
    n_starts, n_points, dim = starts.shape
    y_rep = np.broadcast_to(y, (n_starts,) + y.shape).reshape(-1, problem.m)
    x, converged = _damped_newton(problem, starts.reshape(-1, dim), y_rep, tol, max_iter)

    objective = _objective(problem, x, y_rep)
    hessians = _hessian(problem, x)
    eigenvalues = np.linalg.eigvalsh(hessians)
    # A local minimum has a positive semi-definite Hessian; rounding in forming H is of order
    # eps * |H|, so eigenvalues above -1e3 * eps * max|eig| count as non-negative.
    curvature_floor = -1e3 * EPS * np.max(np.abs(eigenvalues), axis=1)
    is_minimum = converged & (eigenvalues[:, 0] >= curvature_floor)

    x = x.reshape(n_starts, n_points, dim)
    hessians = hessians.reshape(n_starts, n_points, dim, dim)
    objective = objective.reshape(n_starts, n_points)
    is_minimum = is_minimum.reshape(n_starts, n_points)
    converged = converged.reshape(n_starts, n_points)

    # The answer: the lowest objective among local minima; if no start reached a local
    # minimum (the solver failed), the lowest objective overall (n_local_minima is then 0).
    ranked = np.where(is_minimum, objective, np.inf)
    fallback = ~np.any(is_minimum, axis=0)
    ranked[:, fallback] = objective[:, fallback]
    best = np.argmin(ranked, axis=0)
    cols = np.arange(n_points)
    x_best = x[best, cols]
    f_best = objective[best, cols]

    # Distinct local minima, measured in posterior widths: the posterior near a minimum x_r is
    # ~N(x_r, delta^2 H_r^{-1}), so d = sqrt((x - x_r)^T H_r (x - x_r)) / delta counts widths.
    # Newton runs that reach the same minimum agree to d ~ |grad| / (delta sqrt(lambda_min))
    # << 1e-4 at the gradient tolerance, while distinct modes of a posterior are O(1) widths
    # apart; 1e-4 separates the two.
    tie_scale = tie_tol * (np.abs(f_best) + problem.delta**2)
    n_minima = np.zeros(n_points, dtype=int)
    n_tied = np.zeros(n_points, dtype=int)
    found = []  # (positions, Hessians, present) of the distinct minima recorded so far
    for s in range(n_starts):
        new = is_minimum[s].copy()
        for positions, metric, present in found:
            diff = x[s] - positions
            widths = np.sqrt(np.abs(np.einsum("ni,nij,nj->n", diff, metric, diff))) / problem.delta
            new &= ~(present & (widths <= 1e-4))
        n_minima += new
        n_tied += new & (np.abs(objective[s] - f_best) <= tie_scale)
        found.append((x[s], hessians[s], new))
    # the distinct minima per measurement, sorted by objective (the returned one first)
    diff = x - x_best
    metric = hessians[best, cols]
    at_best = np.sqrt(np.abs(np.einsum("sni,nij,snj->sn", diff, metric, diff))) <= 1e-4 * problem.delta
    others = np.stack([present for _, _, present in found]) & ~at_best  # (S, N)
    order = np.argsort(np.where(others, objective, np.inf), axis=0)
    size = int(np.max(np.sum(others, axis=0)))
    order = order[:size]
    keep = np.take_along_axis(others, order, axis=0)
    local_minima = np.concatenate(
        [x_best[:, None], np.where(keep[..., None], x[order, cols], np.nan).transpose(1, 0, 2)],
        axis=1)
    local_objectives = np.concatenate(
        [f_best[:, None], np.where(keep, objective[order, cols], np.inf).T], axis=1)

    info = MAPInfo(
        unique=n_tied <= 1,
        gradient_norm=np.linalg.norm(_gradient(problem, x_best, y), axis=1),
        objective=f_best,
        n_local_minima=n_minima,
        converged=converged[best, cols],
        local_minima=local_minima,
        local_objectives=local_objectives,
    )
    return x_best, info


def _damped_newton(problem, x0, y, tol, max_iter):
    """Damped Newton iterations from x0 (M, n); returns (x, converged at tolerance tol)."""
    x = x0.copy()
    active = np.arange(x.shape[0])
    for _ in range(max_iter):
        xa, ya = x[active], y[active]
        grad = _gradient(problem, xa, ya)
        keep = _relative_gradient(problem, xa, ya, grad) > tol
        active, xa, ya, grad = active[keep], xa[keep], ya[keep], grad[keep]
        if active.size == 0:
            break
        eigenvalues, vectors = np.linalg.eigh(_hessian(problem, xa))
        # Newton step -H^{-1} g where H > 0. Elsewhere the step -|H|^{-1} g with
        # |H| = Q |Lambda| Q^T (eigenvalues floored at 1e-8 of the largest): a descent direction that escapes saddles
        # and keeps Newton's scaling.
        magnitude = np.abs(eigenvalues)
        floor = 1e-8 * np.max(magnitude, axis=1, keepdims=True)
        curvature = np.where(eigenvalues[:, :1] > 0, eigenvalues, np.maximum(magnitude, floor))
        coeff = np.einsum("nji,nj->ni", vectors, grad) / np.maximum(curvature, np.finfo(float).tiny)
        direction = -np.einsum("nij,nj->ni", vectors, coeff)

        f0 = _objective(problem, xa, ya)
        slope = np.sum(grad * direction, axis=1)
        step = np.ones(active.size)
        accepted = np.zeros(active.size, dtype=bool)
        pending = np.arange(active.size)
        for _ in range(MAX_HALVINGS):
            trial = xa[pending] + step[pending, None] * direction[pending]
            f_trial = _objective(problem, trial, ya[pending])
            f_ref = f0[pending]
            ok = f_trial <= f_ref + ARMIJO * step[pending] * slope[pending] + 10 * EPS * np.abs(f_ref)
            ok &= np.isfinite(f_trial)
            xa[pending[ok]] = trial[ok]
            accepted[pending[ok]] = True
            pending = pending[~ok]
            if pending.size == 0:
                break
            step[pending] *= 0.5
        x[active] = xa
        # A direction along which no step decreases f (even with the rounding slack) means the
        # iterate sits at the rounding floor of f: stop iterating it.
        active = active[accepted]
        if active.size == 0:
            break
    converged = _relative_gradient(problem, x, y, _gradient(problem, x, y)) <= tol
    return x, converged
