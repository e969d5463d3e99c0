"""Posterior mean and every local MAP of y = a x + delta eta (1-D), for any 1-D prior.

The generic route of :func:`~invlin.estimators.posterior_mean` and
:func:`~invlin.estimators.map_estimate` for 1-D priors that declare no Gaussian components: it
uses only ``logpdf``, ``score``, ``hessian`` and the capabilities ``resolution``,
``max_log_density`` and ``kinks`` (see docs/architecture.md, "Prior protocol").
"""

from __future__ import annotations

import numpy as np

from invlin.priors._support import tail_cuts

# Gauss-Legendre nodes per panel, and the panel width as a fraction of the smaller of the
# likelihood width delta/|a| and the prior's resolution: an 8-point rule on half a width
# integrates a Gaussian-like factor to ~1e-16 relative (error ~ (h/2)^16 f^(16)/16!).
NODES_PER_PANEL = 8
PANEL_FRACTION = 0.5
# The window |x - y/a| <= R with (a R / delta)^2 / 2 = l_max - l(y/a) + WINDOW_LOG_MARGIN
# (+ log(1/(p_max delta/|a|)) when positive): outside it the unnormalised posterior
# p(x) exp(-(a x - y)^2 / (2 delta^2)) is below e^{-40} p(y/a) / (p_max delta/|a|) times its
# value at y/a, so the mass left out is below ~e^{-40} = 4e-18 of the posterior's.
WINDOW_LOG_MARGIN = 40.0
# Where the likelihood is wider than the prior, the window is cut to the prior's support at
# tail mass PRIOR_TAIL each side (when the prior declares tail masses): the posterior mass
# left out is then <= 2 PRIOR_TAIL / Z_in relative (the likelihood factor is <= 1; Z_in the
# integral kept), which is checked per measurement against MAX_CUT_LOSS.
PRIOR_TAIL = 1e-22
MAX_CUT_LOSS = 1e-17
# A window wider than MAX_PANELS panels (a measurement far out in a light tail, e.g. |y| = 1e150)
# is not scanned: the MAP falls back to multi-start Newton there (scannable() says where), and
# the posterior mean raises.
MAX_PANELS = 20_000
# Measurements integrated together (working arrays (chunk, nodes) stay a few MB).
CHUNK = 256
# Newton on f' in a grid bracket: at most this many steps (bisection halves the bracket, so 200
# steps reach rounding for any bracket).
MAX_ITER = 200
EPS = np.finfo(np.float64).eps


def _log_prior(prior, x):
    """log p at points x of any shape."""
    return prior.logpdf(x.reshape(-1, 1)).reshape(x.shape)


def window(prior, a: float, delta: float, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres y/a and radii R (shape (N,)) of the windows holding the posterior (see above).

    Where log p(y/a) is -inf (y/a outside the prior's support) the radius also reaches the
    prior's mean: R = |y/a - mean| + R_0, R_0 the radius with l(y/a) replaced by l(mean).
    """
    width = delta / abs(a)
    centre = y / a
    l_max = prior.max_log_density()
    margin = WINDOW_LOG_MARGIN + max(0.0, -(l_max + np.log(width)))
    with np.errstate(invalid="ignore"):
        excess = l_max - _log_prior(prior, centre)
    mean = float(prior.mean[0]) if np.all(np.isfinite(prior.mean)) else float(
        prior.mode_candidates()[0, 0])
    far = ~np.isfinite(excess)
    if np.any(far):
        at_mean = l_max - float(_log_prior(prior, np.array([mean]))[0])
        excess = np.where(far, at_mean, excess)
    radius = width * np.sqrt(2.0 * (np.maximum(excess, 0.0) + margin))
    radius = np.where(far, radius + np.abs(centre - mean), radius)
    return centre, radius


def _prior_cut(prior):
    """(lo, hi) of the prior's support at PRIOR_TAIL each side, or None (no tail masses)."""
    cuts = tail_cuts(prior, PRIOR_TAIL)
    return None if cuts is None else cuts[:2]


def _limits(prior, a, delta, y, cut):
    """Window ends (lo, hi) per measurement: the likelihood window, cut to the prior's support.

    Rows whose window misses the cut keep the likelihood window.
    """
    centre, radius = window(prior, a, delta, y)
    lo, hi = centre - radius, centre + radius
    if cut is None:
        return lo, hi
    cut_lo, cut_hi = np.maximum(lo, cut[0]), np.minimum(hi, cut[1])
    overlap = cut_hi > cut_lo
    return np.where(overlap, cut_lo, lo), np.where(overlap, cut_hi, hi)


def scannable(prior, a: float, delta: float, y: np.ndarray) -> np.ndarray:
    """Whether each measurement's window holds at most MAX_PANELS panels (and at least 10: a
    window is >= 50 panels wide unless rounding of its far-out ends swallowed it)."""
    lo, hi = _limits(prior, a, delta, y, _prior_cut(prior))
    with np.errstate(invalid="ignore", over="ignore"):
        panels = (hi - lo) / _step(prior, a, delta)
    return (panels <= MAX_PANELS) & (panels >= 10)


def _rule(prior, lo, hi, step):
    """Composite Gauss-Legendre nodes and weights on [centre - R, centre + R] per row.

    Every row has the same number of panels (the widest window's count at ``step``), split at
    the prior's kinks inside the row's window; rows are padded with zero-width panels.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        widest = float(np.max(hi - lo)) / step
    narrowest = float(np.min(hi - lo)) / step
    if not (widest <= MAX_PANELS and narrowest >= 10):
        raise ValueError(
            f"the posterior windows span {narrowest:.3g} to {widest:.3g} panels of width "
            f"{step:.3g} (between 10 and {MAX_PANELS}): a measurement lies too far out in the "
            "prior's tail for the 1-D quadrature (rescale the problem)")
    n_panels = max(int(np.ceil(widest)), 1)
    fractions = np.linspace(0.0, 1.0, n_panels + 1)
    breaks = lo[:, None] + (hi - lo)[:, None] * fractions
    kinks = np.asarray(prior.kinks(), dtype=np.float64)
    if kinks.size:
        inside = np.clip(np.broadcast_to(kinks, (lo.shape[0], kinks.size)), lo[:, None],
                         hi[:, None])
        breaks = np.sort(np.concatenate([breaks, inside], axis=1), axis=1)
    unit_nodes, unit_weights = np.polynomial.legendre.leggauss(NODES_PER_PANEL)
    left, right = breaks[:, :-1, None], breaks[:, 1:, None]
    half = 0.5 * (right - left)
    nodes = (0.5 * (left + right) + half * unit_nodes).reshape(lo.shape[0], -1)
    weights = (half * unit_weights).reshape(lo.shape[0], -1)
    return nodes, weights, breaks


def _step(prior, a, delta):
    return PANEL_FRACTION * min(delta / abs(a), prior.resolution())


def posterior_mean_1d(prior, a: float, delta: float, y: np.ndarray) -> np.ndarray:
    """E[x | y] for each y (shape (N,)) by composite Gauss-Legendre on the window.

    Notes
    -----
    The unnormalised posterior q(x) = p(x) exp(-(a x - y)^2 / (2 delta^2)) is integrated
    against 1 and x on the window of :func:`window`, with panels of width at most half of
    min(delta/|a|, prior.resolution()), 8 nodes each, broken at the prior's kinks. The window
    leaves out a relative mass below ~4e-18 (see WINDOW_LOG_MARGIN); the rule's error is that
    of an 8-point rule on panels of half a feature width (~1e-15 relative for integrands
    analytic on each panel; tested against independent quadrature).
    """
    step = _step(prior, a, delta)
    cut = _prior_cut(prior)
    out = np.empty(y.shape[0])
    for start in range(0, y.shape[0], CHUNK):
        block = y[start : start + CHUNK]
        mean, kept = _window_mean(prior, a, delta, block, step, cut)
        if cut is not None:
            lost = ~(2.0 * PRIOR_TAIL <= MAX_CUT_LOSS * kept)
            if np.any(lost):
                mean[lost], _ = _window_mean(prior, a, delta, block[lost], step, None)
        out[start : start + CHUNK] = mean
    return out


def _window_mean(prior, a, delta, y, step, cut):
    """Posterior means on the windows of the rows y, and each row's kept mass Z_in."""
    lo, hi = _limits(prior, a, delta, y, cut)
    x, w, _ = _rule(prior, lo, hi, step)
    log_q = _log_prior(prior, x) - 0.5 * ((a * x - y[:, None]) / delta) ** 2
    shift = np.max(log_q, axis=1, keepdims=True)
    q = w * np.exp(log_q - shift)
    total = np.sum(q, axis=1)
    with np.errstate(over="ignore"):
        kept = total * np.exp(shift[:, 0])
    return np.sum(q * x, axis=1) / total, kept


def local_minima_1d(prior, a: float, delta: float, y: np.ndarray, tol: float):
    """Every local minimiser of f(x) = (a x - y)^2 / 2 - delta^2 log p(x), per measurement.

    Returns
    -------
    x : ndarray, shape (N, K)
        Local minimisers sorted by objective (first: the global one), NaN-padded.
    f : ndarray, shape (N, K)
        Their objectives (inf-padded).
    converged : ndarray of bool, shape (N, K)

    Notes
    -----
    f is evaluated on the nodes and panel ends of the posterior-mean rule over the window of
    :func:`window` (every minimiser lies inside it: there f <= f(y/a) forces
    (a x - y)^2 / 2 <= delta^2 (l_max - l(y/a))), spaced at most half of
    min(delta/|a|, resolution) apart and denser inside panels. Each grid point lower than its
    two neighbours brackets a minimiser, found by Newton steps on f' that fall back to
    bisection when they leave the bracket, to |f'| <= tol (|a^2 x| + |a y| + delta^2 |l'|).
    A grid minimum at a kink of p is the minimiser itself (f is not differentiable there).
    Runs that reach the same point (within 1e-4 posterior widths) count once. Minima closer
    together than the grid spacing are not told apart. Where the prior declares tail masses the
    scan is also cut to its support at tail mass 1e-22 each side (as the posterior mean's
    window): a local minimum in a tail of smaller mass than that is not reported (an assumption
    on the prior: its density there is negligible too).
    """
    step = _step(prior, a, delta)
    kinks = np.asarray(prior.kinks(), dtype=np.float64)
    cut = _prior_cut(prior)
    results = [
        _block_minima(prior, a, delta, y[s : s + CHUNK], step, kinks, tol, cut)
        for s in range(0, y.shape[0], CHUNK)
    ]
    width = max(r[0].shape[1] for r in results)
    pad = [np.nan, np.inf, False]
    return tuple(
        np.concatenate([np.pad(r[i], ((0, 0), (0, width - r[i].shape[1])),
                               constant_values=pad[i]) for r in results])
        for i in range(3)
    )


def _objective(prior, a, delta, x, y):
    return 0.5 * (a * x - y) ** 2 - delta**2 * _log_prior(prior, x)


def _derivatives(prior, a, delta, x, y):
    """f', f'' and the scale of f''s terms at points x (flat)."""
    score = prior.score(x[:, None])[:, 0]
    curvature = prior.hessian(x[:, None])[:, 0, 0]
    gradient = a * (a * x - y) - delta**2 * score
    scale = np.abs(a * a * x) + np.abs(a * y) + delta**2 * np.abs(score)
    return gradient, a * a - delta**2 * curvature, scale


def _block_minima(prior, a, delta, y, step, kinks, tol, cut):
    lo, hi = _limits(prior, a, delta, y, cut)
    nodes, _, breaks = _rule(prior, lo, hi, step)
    grid = np.sort(np.concatenate([nodes, breaks], axis=1), axis=1)
    f = _objective(prior, a, delta, grid, y[:, None])
    lower = (f[:, 1:-1] <= f[:, :-2]) & (f[:, 1:-1] < f[:, 2:])
    rows, cols = np.nonzero(lower)
    cols = cols + 1
    x0 = grid[rows, cols]
    lo, hi = grid[rows, cols - 1], grid[rows, cols + 1]
    yr = y[rows]
    at_kink = np.isin(x0, kinks) if kinks.size else np.zeros(x0.shape, dtype=bool)
    x, converged = _bracketed_newton(prior, a, delta, x0, lo, hi, yr, at_kink, tol)
    fx = _objective(prior, a, delta, x, yr)
    # distinct minima: a posterior width is delta / sqrt(f''); runs within 1e-4 of one agree
    _, curvature, _ = _derivatives(prior, a, delta, x, yr)
    width = delta / np.sqrt(np.maximum(np.abs(curvature), EPS * a * a))
    order = np.lexsort((fx, rows))
    rows, x, fx, converged, width = rows[order], x[order], fx[order], converged[order], width[order]
    keep = np.ones(rows.shape[0], dtype=bool)
    for i in range(rows.shape[0]):
        if not keep[i]:
            continue
        same = (rows == rows[i]) & (np.abs(x - x[i]) <= 1e-4 * width[i])
        same[: i + 1] = False
        keep &= ~same
    rows, x, fx, converged = rows[keep], x[keep], fx[keep], converged[keep]
    counts = np.bincount(rows, minlength=y.shape[0])
    size = max(int(counts.max(initial=0)), 1)
    out_x = np.full((y.shape[0], size), np.nan)
    out_f = np.full((y.shape[0], size), np.inf)
    out_c = np.zeros((y.shape[0], size), dtype=bool)
    rank = np.arange(rows.shape[0]) - np.searchsorted(rows, rows)
    out_x[rows, rank], out_f[rows, rank], out_c[rows, rank] = x, fx, converged
    return out_x, out_f, out_c


def _bracketed_newton(prior, a, delta, x, lo, hi, y, fixed, tol):
    """Roots of f' in [lo, hi] from x (flat arrays); ``fixed`` points (kinks) stay."""
    x = x.copy()
    converged = fixed.copy()
    active = np.flatnonzero(~fixed)
    for _ in range(MAX_ITER):
        if active.size == 0:
            break
        xa = x[active]
        g, h, scale = _derivatives(prior, a, delta, xa, y[active])
        done = np.abs(g) <= tol * np.maximum(scale, np.finfo(np.float64).tiny)
        converged[active[done]] = True
        lo[active] = np.where(g < 0, xa, lo[active])
        hi[active] = np.where(g > 0, xa, hi[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - g / h
        mid = 0.5 * (lo[active] + hi[active])
        inside = (h > 0) & (newton > lo[active]) & (newton < hi[active])
        x[active] = np.where(done, xa, np.where(inside, newton, mid))
        stuck = hi[active] - lo[active] <= 4 * EPS * np.maximum(np.abs(xa), np.finfo(float).tiny)
        converged[active[stuck & ~done]] = True
        active = active[~done & ~stuck]
    return x, converged
