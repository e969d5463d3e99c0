"""A 1-D prior from a user's (possibly unnormalised) log-density: everything else numerically."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

from invlin._validation import as_float_array, positive_int, positive_scalar, require_generator
from invlin._linalg import as_unit_vector
from invlin.priors.base import Prior

# Gauss-Legendre nodes per panel of the prior's rule (and of the partial-panel integrals of the
# distribution function).
NODES = 16
# Adaptive refinement: a panel is split while its 16-node integral and the sum of its halves'
# differ by more than PANEL_TOL times the mass from it outwards (the smaller of the masses to
# its left and right, it included; at most MAX_REFINE rounds).
PANEL_TOL = 1e-16
MAX_REFINE = 40
# Tails: panels grow by TAIL_GROWTH of their distance from the centre until the power-law
# estimate of the mass beyond is below TAIL_TOL of the total (beyond, tail masses are that
# power-law extrapolation: an estimate, conservative for tails lighter than a power); a tail exponent k <= 1 + 1e-3
# beyond 1e100 scales (or no end before 1e300) means p is not integrable.
TAIL_GROWTH = 0.1
TAIL_TOL = 1e-30
CENTRAL_WIDTHS = 8.0
# Numeric derivatives: central differences at steps h0 * 2^-j, j = 0..3, Richardson-extrapolated
# (even error expansions, factors 4^j), h0 = STEP_FRACTION * resolution (capped by a quarter of
# the distance to the nearest kink). Measured accuracy on Student-t, logistic, Gumbel and
# mixture log-densities (tests/invlin/priors/test_from_logpdf.py): relative to the derivative's
# natural size |l^(k)| + r^-k (r the resolution), l' to 1e-11, l'' to 1e-9, l''' to 1e-7.
STEP_FRACTION = 0.1
LEVELS = 4
DERIVATIVE_ACCURACY = (0.0, 1e-11, 1e-9, 1e-7)
# Inverse-CDF sampling: Newton on F(t) = u inside the panel holding u (bisection fallback),
# to |F(t) - u| <= SAMPLE_TOL; the sample error is then <= SAMPLE_TOL / p(t) + the CDF's error.
SAMPLE_TOL = 1e-13
SAMPLE_ITER = 100
UNIT_NODES, UNIT_WEIGHTS = np.polynomial.legendre.leggauss(NODES)


def from_logpdf(logpdf, *, score=None, hessian=None, loc: float = 0.0, scale: float | None = None,
                kinks=(), log_concave: bool | None = None) -> "LogDensityPrior":
    """A 1-D prior from a vectorised log-density known up to an additive constant.

    Parameters
    ----------
    logpdf : callable
        ``logpdf(t)`` for a float64 array t of shape (N,) returns log p(t) + const, shape (N,),
        -inf where p = 0. Must not return NaN or +inf.
    score, hessian : callable, optional
        d/dt and d^2/dt^2 of log p (vectorised like ``logpdf``); computed numerically when not
        given (see Notes).
    loc : float, optional
        A point where p > 0, near the bulk of the density (the search for the support starts
        there).
    scale : float, optional
        A length below which p has no features (quadrature panels and the MAP scan use
        fractions of it); estimated from the density when not given.
    kinks : array_like, optional
        Points where log p is not differentiable (panel breaks; stencils never cross them).
    log_concave : bool, optional
        Whether log p is concave, if known (the default None: not known).

    Returns
    -------
    LogDensityPrior

    Raises
    ------
    TypeError
        If ``logpdf`` (or a given derivative) is not callable.
    ValueError
        If log p is NaN or +inf at a finite point, has the wrong shape, is -inf at ``loc``, or
        p is not integrable.

    Examples
    --------
    >>> import numpy as np
    >>> from invlin.priors import from_logpdf
    >>> prior = from_logpdf(lambda t: -0.5 * t**2)  # an unnormalised standard normal
    >>> round(float(prior.covariance[0, 0]), 12)
    1.0
    """
    return LogDensityPrior(logpdf, score=score, hessian=hessian, loc=loc, scale=scale,
                           kinks=kinks, log_concave=log_concave)


class LogDensityPrior(Prior):
    """A 1-D prior given by its log-density (build it with :func:`from_logpdf`).

    Notes
    -----
    Normalisation, moments, distribution function and tail masses come from one composite
    Gauss-Legendre rule (16 nodes per panel) over a partition of the line: uniform panels of a
    quarter ``scale`` on loc +- 8 ``scale``, growing by 10 % of their distance outwards until the
    power-law estimate of the tail beyond, p(T) |T - loc| / (k - 1) with k the local decay
    exponent -d log p / d log|t - loc|, is below 1e-30 of the mass; then every panel whose
    integral changes by more than 1e-16 of the mass when split in two is split (adaptive
    refinement; relative to the mass outwards of the panel, so that tail masses keep their
    relative accuracy). ``rule_error`` is the sum of those last changes plus the tail estimates: a
    stated (a-posteriori) bound on the relative error of the normalisation, not a proof.

    Derivatives of log p not given are central differences at steps h0 2^-j (j = 0..3,
    h0 = scale/10, at most a quarter of the distance to a kink), Richardson-extrapolated:
    l' = [l(t+h) - l(t-h)]/(2h), l'' = [l(t+h) - 2 l(t) + l(t-h)]/h^2,
    l''' = [l(t+2h) - 2 l(t+h) + 2 l(t-h) - l(t-2h)]/(2h^3), 11 evaluations for all three.
    Stated accuracy (tested): relative to |l^(k)| + scale^-k, 1e-11 (l'), 1e-9 (l''),
    1e-7 (l''').

    Sampling is by inverse distribution function: u ~ U(0, 1), then Newton on F(t) = u in the
    panel holding u (bisection fallback) to |F(t) - u| <= 1e-13, so each sample is within
    1e-13 / p(t) (plus the rule's error over p) of the exact quantile.
    """

    dim = 1

    def __init__(self, logpdf, *, score=None, hessian=None, loc=0.0, scale=None, kinks=(),
                 log_concave=None):
        for name, f in (("logpdf", logpdf), ("score", score), ("hessian", hessian)):
            if f is not None and not callable(f):
                raise TypeError(f"{name} must be callable, got {type(f).__name__}")
        self._user_logpdf = logpdf
        self._user_score = score
        self._user_hessian = hessian
        self._loc = float(as_float_array(loc, "loc"))
        if not np.isfinite(self._loc):
            raise ValueError(f"loc must be finite, got {self._loc}")
        self._kinks = np.sort(as_float_array(kinks, "kinks", ndim=1)) if np.size(kinks) else \
            np.empty(0)
        if log_concave is not None and not isinstance(log_concave, bool):
            raise TypeError("log_concave must be a bool or None")
        self._log_concave = log_concave
        self._log_norm = 0.0
        at_loc = self._raw(np.array([self._loc]))[0]
        if not np.isfinite(at_loc):
            raise ValueError(f"log p is -inf at loc = {self._loc}: give a loc where p > 0")
        self._log_shift = at_loc  # work with l - l(loc) (no overflow of exp)
        self._scale = positive_scalar(scale, "scale") if scale is not None else None
        self._build()

    def __repr__(self) -> str:
        name = getattr(self._user_logpdf, "__name__", "logpdf")
        return f"from_logpdf({name}, loc={self._loc!r}, scale={self._scale!r})"

    # -- evaluation of the user's function -----------------------------------------------------
    def _raw(self, t: np.ndarray) -> np.ndarray:
        """The user's log p at t (shape (N,)), validated: shape, no NaN, no +inf."""
        values = np.asarray(self._user_logpdf(t), dtype=np.float64)
        if values.shape != t.shape:
            raise ValueError(f"logpdf must return an array of shape {t.shape} for input of shape "
                             f"{t.shape}, got {values.shape}")
        bad = np.isnan(values) | (values == np.inf)
        if np.any(bad):
            where = t[np.argmax(bad)]
            raise ValueError(f"logpdf is {values[np.argmax(bad)]} at t = {where!r}: the density "
                             "must be finite (-inf where it vanishes) at every finite point")
        return values

    def _l(self, t: np.ndarray) -> np.ndarray:
        """log p - log p(loc) at t (the shifted, unnormalised log-density)."""
        return self._raw(t) - self._log_shift

    # -- the rule ------------------------------------------------------------------------------
    def _build(self) -> None:
        scale = self._scale if self._scale is not None else self._rough_scale()
        width = scale / 4.0
        centre = np.linspace(self._loc - CENTRAL_WIDTHS * scale, self._loc + CENTRAL_WIDTHS * scale,
                             int(2 * CENTRAL_WIDTHS * 4) + 1)
        right, right_tail = self._tail_breaks(centre[-1], 1.0, width)
        left, left_tail = self._tail_breaks(centre[0], -1.0, width)
        breaks = np.unique(np.concatenate([left[::-1], centre, right, self._kinks]))
        breaks, change = self._refine(breaks)
        self._breaks = breaks
        masses = self._panel_masses(breaks)
        total = masses.sum() + left_tail + right_tail
        if not (np.isfinite(total) and total > 0):
            raise ValueError("the density is zero or not integrable on the real line")
        self._log_norm = self._log_shift + np.log(total)
        self._masses = masses / total
        self._tails = (left_tail / total, right_tail / total)
        self._lower = np.concatenate([[self._tails[0]], self._tails[0] + np.cumsum(self._masses)])
        upper = np.cumsum(self._masses[::-1])[::-1] + self._tails[1]
        self._upper = np.concatenate([upper, [self._tails[1]]])
        self.rule_error = float((change + left_tail + right_tail) / total)
        x, w = _nodes(breaks)
        p = w * np.exp(self._l(x) + self._log_shift - self._log_norm)
        # moments, with the power-law tails beyond the rule: int_T^inf (t - loc)^j p ~
        # p(T) d^{j+1} / (k - j - 1), d = |T - loc| (the same estimate as the tail mass)
        tail_moments = np.zeros(3)
        decays = []
        for sign, (end, density, decay) in ((-1.0, self._end_left), (1.0, self._end_right)):
            decays.append(decay)
            d = abs(end - self._loc)
            for j in (1, 2):
                if decay > j + 1.0 and density > 0:
                    tail_moments[j] += sign**j * density * np.exp(self._log_shift
                                                                 - self._log_norm) \
                        * d ** (j + 1) / (decay - j - 1.0)
        centred = x - self._loc
        mean = self._loc + np.sum(p * centred) + tail_moments[1]
        second = np.sum(p * centred**2) + tail_moments[2] - (mean - self._loc) ** 2
        k = min(decays)
        self._mean = mean if k > 2.0 + 1e-2 else np.nan
        self._variance = second if k > 3.0 + 1e-2 else np.inf
        self._find_modes(x, scale)
        if self._scale is None:
            self._scale = self._estimate_resolution(x, p)

    def _rough_scale(self) -> float:
        """A first length: the smaller, over both sides, of the power-of-2 distance from loc at
        which l first falls by 2 below l(loc) (halving below 1, doubling above)."""

        def falls(step):
            values = self._l(np.array([self._loc - step, self._loc + step]))
            return values < -2.0

        found = []
        for side in (0, 1):
            step = 1.0
            if falls(step)[side]:
                while step > 1e-300 and falls(step / 2.0)[side]:
                    step /= 2.0
            else:
                while step < 1e300 and not falls(step)[side]:
                    step *= 2.0
                if step >= 1e300:
                    continue
            found.append(step)
        if not found:
            raise ValueError("log p does not fall from its value at loc within 1e300 on either "
                             "side: p is not integrable")
        return min(found)

    def _tail_breaks(self, start, sign, width):
        """Breaks from ``start`` outwards until the power-law tail estimate is small."""
        breaks = [start]
        l_prev = self._l(np.array([start]))[0]
        d_prev = abs(start - self._loc)
        decay = np.inf
        while True:
            d = breaks[-1] - self._loc
            step = max(width, TAIL_GROWTH * abs(d))
            nxt = breaks[-1] + sign * step
            breaks.append(nxt)
            dist = abs(nxt - self._loc)
            l_next = self._l(np.array([nxt]))[0]
            if l_next == -np.inf:
                decay, tail = np.inf, 0.0
                break
            decay = -(l_next - l_prev) / np.log(dist / d_prev)
            tail = np.exp(l_next) * dist / (decay - 1.0) if decay > 1.0 else np.inf
            if tail <= TAIL_TOL:
                break
            if dist > 1e300 or (dist > 1e100 and decay <= 1.0 + 1e-3):
                raise ValueError("p is not integrable: its tail decays like |t|^-k with k <= 1 "
                                 f"(k = {decay:.4g} at t = {nxt:.3g})")
            l_prev, d_prev = l_next, dist
        end = (breaks[-1], float(np.exp(l_next)) if np.isfinite(l_next) else 0.0, decay)
        if sign > 0:
            self._end_right = end
        else:
            self._end_left = end
        return np.array(breaks), float(tail)

    def _panel_masses(self, breaks):
        x, w = _nodes(breaks)
        return (w * np.exp(self._l(x))).reshape(-1, NODES).sum(axis=1)

    def _refine(self, breaks):
        """Split panels until the split changes each integral by <= PANEL_TOL of the total."""
        change = 0.0
        for _ in range(MAX_REFINE):
            whole = self._panel_masses(breaks)
            mids = 0.5 * (breaks[:-1] + breaks[1:])
            halves = self._panel_masses(np.sort(np.concatenate([breaks, mids])))
            split = halves.reshape(-1, 2).sum(axis=1)
            diff = np.abs(whole - split)
            # relative to the mass from the panel outwards (so that tail sums keep their
            # relative accuracy far out), and never below PANEL_TOL * 1e-30 of the total
            outward = np.minimum(np.cumsum(split), np.cumsum(split[::-1])[::-1])
            bad = diff > PANEL_TOL * np.maximum(outward, 1e-30 * split.sum())
            change = float(diff.sum())
            if not bad.any():
                return breaks, change
            breaks = np.sort(np.concatenate([breaks, mids[bad]]))
        return breaks, change

    def _find_modes(self, x, scale):
        """Local maxima of l on the nodes, polished by Brent within their neighbours."""
        values = self._l(x)
        inner = np.flatnonzero((values[1:-1] >= values[:-2]) & (values[1:-1] > values[2:])) + 1
        if inner.size == 0:
            inner = np.array([int(np.argmax(values))])
        # keep the modes that matter: log p within 50 of the largest
        inner = inner[values[inner] >= values.max() - 50.0]
        modes = []
        for i in inner:
            lo, hi = x[max(i - 1, 0)], x[min(i + 1, x.size - 1)]
            res = minimize_scalar(lambda t: -self._l(np.array([t]))[0], bounds=(lo, hi),
                                  method="bounded", options={"xatol": 1e-12 * max(scale, 1e-300)})
            modes.append(res.x if -res.fun >= values[i] else x[i])
        modes = np.array(modes)
        peaks = self._l(modes)
        self._modes = modes[np.argsort(-peaks)]
        # the largest value found, plus a margin for a maximum between the polished points
        self._max_log = float(np.max(peaks)) + self._log_shift - self._log_norm + 1e-9

    def _estimate_resolution(self, x, p):
        """min(interquartile range / 1.349, the narrowest curvature width in the bulk)."""
        cdf = np.cumsum(p)
        q1, q3 = np.interp([0.25, 0.75], cdf, x)
        iqr = (q3 - q1) / 1.349
        bulk = x[(cdf > 1e-6) & (cdf < 1 - 1e-6)]
        self._scale = iqr  # provisional, for the stencils of the curvature below
        curvature = np.abs(self._derivatives(bulk)[2])
        widths = 1.0 / np.sqrt(np.maximum(curvature, 1e-300))
        return float(min(iqr, np.min(widths)))

    # -- numeric derivatives -------------------------------------------------------------------
    def _steps(self, t: np.ndarray) -> np.ndarray:
        h = np.full(t.shape, STEP_FRACTION * self._scale)
        if self._kinks.size:
            gaps = np.min(np.abs(t[:, None] - self._kinks[None, :]), axis=1)
            h = np.minimum(h, np.maximum(gaps, 1e-300) / 4.0)
        return h

    def _derivatives(self, t: np.ndarray) -> np.ndarray:
        """Rows l (normalised), l', l'', l''' at t, the given ones used where available."""
        h0 = self._steps(t)
        multipliers = np.array([-2.0, -1.0, -0.5, -0.25, -0.125, 0.0, 0.125, 0.25, 0.5, 1.0, 2.0])
        points = t[None, :] + multipliers[:, None] * h0[None, :]
        values = self._l(points.ravel()).reshape(points.shape)
        index = {m: i for i, m in enumerate(multipliers)}
        centre = values[index[0.0]]
        tables = [[], [], []]
        for j in range(LEVELS):
            s = 2.0**-j
            h = h0 * s
            plus, minus = values[index[s]], values[index[-s]]
            tables[0].append((plus - minus) / (2 * h))
            tables[1].append((plus - 2 * centre + minus) / h**2)
            plus2, minus2 = values[index[2 * s]], values[index[-2 * s]]
            tables[2].append((plus2 - 2 * plus + 2 * minus - minus2) / (2 * h**3))
        rows = [centre + self._log_shift - self._log_norm]
        rows += [_richardson(table) for table in tables]
        return np.stack(rows)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        rows = self._derivatives(t)
        if self._user_score is not None:
            rows[1] = self._call(self._user_score, t, "score")
        if self._user_hessian is not None:
            rows[2] = self._call(self._user_hessian, t, "hessian")
        return rows

    @staticmethod
    def _call(f, t, name):
        values = np.asarray(f(t), dtype=np.float64)
        if values.shape != t.shape:
            raise ValueError(f"{name} must return shape {t.shape}, got {values.shape}")
        return values

    # -- the Prior interface -------------------------------------------------------------------
    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        return self._shape_result(self._raw(x[:, 0]) - self._log_norm, single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        t = x[:, 0]
        if self._user_score is not None:
            values = self._call(self._user_score, t, "score")
        else:
            values = self._first_derivative(t)
        return self._shape_result(values[:, None], single)

    def _first_derivative(self, t):
        h0 = self._steps(t)
        table = []
        for j in range(LEVELS):
            h = h0 * 2.0**-j
            table.append((self._l(t + h) - self._l(t - h)) / (2 * h))
        return _richardson(table)

    def hessian(self, x) -> np.ndarray:
        x, single = self._points(x)
        t = x[:, 0]
        if self._user_hessian is not None:
            values = self._call(self._user_hessian, t, "hessian")
        else:
            values = self._derivatives(t)[2]
        return self._shape_result(values[:, None, None], single)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        return self.quantile(rng.random(n_samples))[:, None]

    def marginal(self, v) -> "LogDensityPrior":
        v = as_unit_vector(v, "v", 1)
        if v[0] > 0:
            return self
        raw = self._user_logpdf
        score, hessian = self._user_score, self._user_hessian
        return LogDensityPrior(lambda t: raw(-t),
                               score=None if score is None else (lambda t: -score(-t)),
                               hessian=None if hessian is None else (lambda t: hessian(-t)),
                               loc=-self._loc, scale=self._scale, kinks=-self._kinks[::-1],
                               log_concave=self._log_concave)

    @property
    def is_log_concave(self) -> bool | None:
        return self._log_concave

    @property
    def mean(self) -> np.ndarray:
        return np.array([self._mean])

    @property
    def covariance(self) -> np.ndarray:
        return np.array([[self._variance]])

    def mode_candidates(self) -> np.ndarray:
        return self._modes[:, None].copy()

    # -- capabilities --------------------------------------------------------------------------
    def _partial(self, t):
        """(panel index i, integral of p from breaks[i] to t) for t inside the rule."""
        i = np.clip(np.searchsorted(self._breaks, t, side="right") - 1, 0, self._breaks.size - 2)
        left = self._breaks[i]
        unit, weights = UNIT_NODES, UNIT_WEIGHTS
        half = 0.5 * (t - left)
        nodes = (0.5 * (t + left))[:, None] + half[:, None] * unit
        dens = np.exp(self._l(nodes.ravel()) + self._log_shift - self._log_norm)
        return i, half * (dens.reshape(nodes.shape) @ weights)

    def cdf(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        flat = np.atleast_1d(t).ravel()
        out = np.empty(flat.shape)
        below, above = flat <= self._breaks[0], flat >= self._breaks[-1]
        inside = ~(below | above)
        out[below] = self._beyond(flat[below], self._end_left, self._tails[0])
        out[above] = 1.0
        i, part = self._partial(flat[inside])
        out[inside] = self._lower[i] + part
        return np.minimum(out, 1.0).reshape(t.shape)

    def _sf(self, t: np.ndarray) -> np.ndarray:
        out = np.empty(t.shape)
        below, above = t <= self._breaks[0], t >= self._breaks[-1]
        inside = ~(below | above)
        out[below] = 1.0
        out[above] = self._beyond(t[above], self._end_right, self._tails[1])
        i, part = self._partial(t[inside])
        out[inside] = np.maximum(self._upper[i] - part, 0.0)
        return out

    def _beyond(self, t, end, mass):
        """Tail mass beyond t outside the rule: the power law of the end, mass (d_t/d_T)^(1-k)."""
        point, _, decay = end
        if not np.isfinite(decay):
            return np.zeros(t.shape)
        ratio = np.abs(t - self._loc) / abs(point - self._loc)
        return mass * ratio ** (1.0 - decay)

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float]:
        """(F(lo), 1 - F(hi)) from the rule: the upper tail summed from the right (no
        cancellation); the rule's error (``rule_error``) applies."""
        low = float(self.cdf(np.array([lo]))[0])
        return low, float(self._sf(np.array([float(hi)]))[0])

    def quantile(self, u) -> np.ndarray:
        """F^{-1}(u) for u in (0, 1) by Newton on F in the panel holding u (see Notes)."""
        u = as_float_array(u, "u", ndim=1)
        if np.any((u <= 0) | (u >= 1)):
            raise ValueError("u must lie in (0, 1)")
        i = np.clip(np.searchsorted(self._lower, u, side="right") - 1, 0, self._breaks.size - 2)
        lo, hi = self._breaks[i].copy(), self._breaks[i + 1].copy()
        t = 0.5 * (lo + hi)
        active = np.arange(u.size)
        for _ in range(SAMPLE_ITER):
            if active.size == 0:
                break
            ta = t[active]
            _, part = self._partial(ta)
            residual = self._lower[i[active]] + part - u[active]
            dens = np.exp(self._l(ta) + self._log_shift - self._log_norm)
            done = np.abs(residual) <= SAMPLE_TOL
            lo[active] = np.where(residual < 0, ta, lo[active])
            hi[active] = np.where(residual > 0, ta, hi[active])
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = ta - residual / dens
            ok = (newton > lo[active]) & (newton < hi[active])
            t[active] = np.where(done, ta, np.where(ok, newton, 0.5 * (lo[active] + hi[active])))
            flat = hi[active] - lo[active] <= 4 * np.finfo(float).eps * np.abs(ta)
            active = active[~done & ~flat]
        return t

    def kinks(self) -> np.ndarray:
        return self._kinks.copy()

    def resolution(self) -> float:
        return float(self._scale)

    def max_log_density(self) -> float:
        return self._max_log


def _nodes(breaks):
    unit, weights = UNIT_NODES, UNIT_WEIGHTS
    left, right = breaks[:-1, None], breaks[1:, None]
    half = 0.5 * (right - left)
    return (0.5 * (left + right) + half * unit).ravel(), (half * weights).ravel()


def _richardson(table):
    """Richardson extrapolation of even-order expansions at steps h, h/2, h/4, ..."""
    table = list(table)
    factor = 4.0
    while len(table) > 1:
        table = [(factor * table[k + 1] - table[k]) / (factor - 1.0) for k in range(len(table) - 1)]
        factor *= 4.0
    return table[0]
