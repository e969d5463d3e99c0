"""Exact expected losses of diagonal models on any prior, by quadrature with an error estimate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erfc

from invlin._validation import positive_int, positive_scalar
from invlin.errors import InversionError, NotInvertibleError
from invlin.losses.loss import Loss
from invlin.models._diagonal import RECONSTRUCTION_MAX_ITER, RECONSTRUCTION_TOL
from invlin.priors._support import tail_cuts

__all__ = ["PopulationQuadrature", "QuadratureError", "prior_support"]

# Cut-off of the noise on the data grid: P(|xi| > 10) = erfc(10 / sqrt 2) ~ 1.5e-23.
NOISE_WIDTHS = 10.0
# Band of the Gaussian kernel in the data moments: exp(-12^2 / 2) = 5e-32 of the peak beyond it.
KERNEL_WIDTHS = 12.0
# Range (in prior standard deviations) beyond the cut on which concavity of log p is checked.
TAIL_CHECK_WIDTHS = 40.0
# Heavy tails (polynomial, e.g. Student-t): uniform panels on the central interval holding all
# but CENTRAL_MASS on each side, then panels growing by TAIL_GROWTH (x REFERENCE_PANELS /
# n_panels) of their distance from it: on [d, 1.1 d] an 8-point rule integrates a power d^-k
# (k <= 10) to ~1e-15 relative. Used where the cut is wider than HEAVY_RATIO central intervals.
CENTRAL_MASS = 1e-3
HEAVY_RATIO = 8.0
TAIL_GROWTH = 0.1
REFERENCE_PANELS = 200


def prior_support(prior, tail_tol: float = 1e-13, max_widths: float = 60.0):
    r"""An interval [lo, hi] holding all but a bounded mass of a 1-D prior.

    Parameters
    ----------
    prior : invlin.priors.Prior
        A prior with ``dim == 1``.
    tail_tol : float, optional
        Bound on the mass of each tail beyond the cut.
    max_widths : float, optional
        Fallback route only: give up beyond mean +- max_widths standard deviations.

    Returns
    -------
    lo, hi : float
    tail_mass : float
        A bound on P(x < lo) + P(x > hi).

    Raises
    ------
    ValueError
        If no cut satisfies the tail bound (fallback route: within ``max_widths`` standard
        deviations, or log p is not concave beyond the cut on the checked range).

    Notes
    -----
    A prior that declares its tail masses (``prior.tail_masses``: closed-form distribution
    functions, componentwise for mixtures, polynomial tails for the Student-t, numerically
    integrated ones for :func:`~invlin.priors.from_logpdf`) is cut where they meet
    ``tail_tol`` (:func:`invlin.priors._support.tail_cuts`): the bound is the prior's own and
    holds for any shape, e.g. mixtures whose log-density is convex where a wider component
    takes over.

    Fallback, for a prior without tail masses: if :math:`\ell = \log p` is concave on
    :math:`[R, \infty)` and :math:`\ell'(R) < 0`, then :math:`p(x) \le p(R) e^{\ell'(R)(x - R)}`
    there, so :math:`P(x > R) \le p(R) / |\ell'(R)|` (and symmetrically on the left). The cut
    moves out in steps of a quarter standard deviation until this bound is <= ``tail_tol``.
    Concavity beyond the cut is checked (Hessian <= 0) on a grid of
    :data:`TAIL_CHECK_WIDTHS` standard deviations past it: an assumption on the far tail (the
    tail is eventually log-concave) that this route states and refuses priors violating on the
    checked range.
    """
    if prior.dim != 1:
        raise ValueError(f"prior must be 1-D (use prior.marginal(v)), got dim {prior.dim}")
    tail_tol = positive_scalar(tail_tol, "tail_tol")
    cuts = tail_cuts(prior, tail_tol)
    if cuts is not None:
        lo, hi, low_mass, high_mass = cuts
        return lo, hi, low_mass + high_mass
    center = float(prior.mean[0])
    scale = float(np.sqrt(prior.covariance[0, 0]))
    widths = np.arange(1.0, max_widths, 0.25)
    bounds = []
    for sign in (-1.0, 1.0):
        points = center + sign * scale * widths
        log_p = prior.logpdf(points[:, None])
        inward = -sign * prior.score(points[:, None])[:, 0]
        with np.errstate(divide="ignore", over="ignore"):
            bound = np.where(inward > 0, np.exp(log_p) / inward, np.inf)
        ok = np.flatnonzero(bound <= tail_tol)
        if ok.size == 0:
            raise ValueError(f"no cut within {max_widths} standard deviations bounds the tail "
                             f"mass by {tail_tol:g} (the prior declares no tail masses)")
        cut = points[ok[0]]
        beyond = cut + sign * scale * np.linspace(0.0, TAIL_CHECK_WIDTHS, 401)
        if np.any(prior.hessian(beyond[:, None])[:, 0, 0] > 0):
            raise ValueError("log p is not concave beyond the cut: the fallback tail bound does "
                             "not apply (declare the prior's tail_masses)")
        bounds.append((cut, float(bound[ok[0]])))
    (lo, low_mass), (hi, high_mass) = bounds
    return lo, hi, low_mass + high_mass


def _gauss_legendre(breakpoints: np.ndarray, nodes_per_panel: int):
    """Nodes and weights of the composite Gauss-Legendre rule on the given panels."""
    unit_nodes, unit_weights = np.polynomial.legendre.leggauss(nodes_per_panel)
    left, right = breakpoints[:-1, None], breakpoints[1:, None]
    half = 0.5 * (right - left)
    nodes = (left + right) / 2 + half * unit_nodes
    return nodes.ravel(), (half * unit_weights).ravel()


def _panels(lo, hi, n_panels, extra, central=None):
    """Panels on [lo, hi], split further at the points ``extra`` inside.

    Uniform (``n_panels``) when ``central`` is None; otherwise uniform on the central interval
    and growing geometrically outwards (see :func:`_tail_breaks`).
    """
    if central is None:
        breaks = np.linspace(lo, hi, n_panels + 1)
    else:
        c_lo, c_hi = central
        h0 = (c_hi - c_lo) / n_panels
        growth = TAIL_GROWTH * REFERENCE_PANELS / n_panels
        breaks = np.concatenate([c_lo - _tail_breaks(c_lo - lo, h0, growth)[::-1],
                                 np.linspace(c_lo, c_hi, n_panels + 1)[1:-1],
                                 c_hi + _tail_breaks(hi - c_hi, h0, growth)])
    inner = extra[(extra > lo) & (extra < hi)]
    return np.unique(np.concatenate([breaks, inner]))


def _tail_breaks(length, h0, growth):
    """Offsets 0 = d_0 < d_1 < ... = length with d_{k+1} - d_k = max(h0, growth d_k)."""
    offsets = [0.0]
    while offsets[-1] < length:
        offsets.append(offsets[-1] + max(h0, growth * offsets[-1]))
    offsets[-1] = length
    if len(offsets) > 2 and offsets[-1] - offsets[-2] < 0.5 * h0:
        del offsets[-2]  # no sliver panel at the end
    return np.array(offsets)


def _central(prior, lo, hi):
    """The central interval of a heavy-tailed prior (None: uniform panels on [lo, hi]).

    The prior is heavy-tailed here when its cut at the quadrature's tail mass is wider than
    HEAVY_RATIO times its cut at CENTRAL_MASS (a Gaussian: 2.6, logistic: 5, Gumbel: 4.3;
    Student-t with 5 degrees of freedom: 220).
    """
    cuts = tail_cuts(prior, CENTRAL_MASS)
    if cuts is None:
        return None
    c_lo, c_hi = cuts[:2]
    if hi - lo <= HEAVY_RATIO * (c_hi - c_lo):
        return None
    return c_lo, c_hi


@dataclass(frozen=True)
class QuadratureError:
    """The error estimate of a quadrature expected loss (see :class:`PopulationQuadrature`).

    Attributes
    ----------
    discretisation : float
        |Q_m - Q_2m|: the change when every panel's rule doubles its nodes.
    tail : float
        Cauchy-Schwarz bound sqrt(P(outside) E[l^2]) on the integral outside the grid.
    tail_mass : float
        Bound on the probability outside the grid.
    total : float
        discretisation + tail.
    """

    discretisation: float
    tail: float
    tail_mass: float
    total: float


def _data_moments(t, x, weights, b, v, chunk=256):
    """P_k(t_i) = sum_q weights_q x_q^k N(t_i; b x_q, v), k = 0..4, shape (5, len(t)).

    Chunks of t (sorted) against the band |t - b x| <= KERNEL_WIDTHS sqrt(v) of x only: outside
    it the kernel is below exp(-KERNEL_WIDTHS^2 / 2) = 5e-32 of its peak. A chunk holds at most
    ``chunk`` points and spans at most two band half-widths (so that the sparse far tails of a
    heavy-tailed prior's grid do not pull whole stretches of x into every band).
    """
    order = np.argsort(b * x)
    centres = (b * x)[order]
    powers = np.stack([x[order] ** k for k in range(5)]) * weights[order]
    half_width = KERNEL_WIDTHS * np.sqrt(v)
    out = np.empty((5, t.shape[0]))
    start = 0
    while start < t.shape[0]:
        stop = min(start + chunk, max(start + 1, int(np.searchsorted(
            t, t[start] + 2.0 * half_width, side="right"))))
        block = t[start:stop]
        lo = np.searchsorted(centres, block[0] - half_width)
        hi = np.searchsorted(centres, block[-1] + half_width)
        kernel = np.exp(-0.5 * (block[:, None] - centres[None, lo:hi]) ** 2 / v)
        out[:, start:stop] = powers[:, lo:hi] @ kernel.T / np.sqrt(2 * np.pi * v)
        start = stop
    return out


@dataclass(frozen=True)
class _Rule:
    """Nodes (Q, n) and density-weighted weights of one quadrature rule, per component."""

    x: np.ndarray
    w: np.ndarray
    tail_mass: np.ndarray
    t: np.ndarray | None = None
    u: np.ndarray | None = None
    moments: np.ndarray | None = None


def _stack(columns):
    """Pad 1-D arrays to a common length (zeros) and stack them as the columns of (Q, n)."""
    size = max(c.shape[-1] for c in columns)
    shape = columns[0].shape[:-1] + (size, len(columns))
    out = np.zeros(shape)
    for j, c in enumerate(columns):
        out[..., : c.shape[-1], j] = c
    return np.ascontiguousarray(out)


class PopulationQuadrature:
    r"""Exact expected loss of a diagonal model, for any prior, by composite Gauss-Legendre.

    Parameters
    ----------
    model : DiagonalModel
        A diagonal model (``DiagonalNet``, ``DiagonalLinear``, ``MonotoneSpline``) whose basis
        diagonalises the problem (A for form "y", A^T A for the z forms).
    problem : LinearInverseProblem
        Any prior: only the marginals of the coordinates <x, v_j> enter.
    loss : Loss or str
    n_panels : int, optional
        Uniform panels on each component's prior support (split further at the model's knots,
        if it has any, and at the prior's kinks) and on its data grid.
    nodes_per_panel : int, optional
        Gauss-Legendre nodes per panel.
    tail_tol : float, optional
        Bound on each tail mass of each marginal beyond its grid (:func:`prior_support`).

    Raises
    ------
    ValueError
        If the basis does not diagonalise the problem, or a marginal's tail cannot be bounded.

    Notes
    -----
    In the model's basis, component j sees :math:`x_j \sim p_j` (the marginal of
    :math:`\langle x, v_j\rangle`) and the data coordinate
    :math:`t_j = b_j x_j + \sqrt{v_j}\,\xi_j`, :math:`\xi_j \sim N(0, 1)`:
    :math:`b_j = d_j, v_j = \delta^2` for y (:math:`d = \operatorname{diag} V^T A V`) and
    :math:`b_j = D_j, v_j = \delta^2 D_j` for z (:math:`D = \operatorname{diag} V^T A^T A V`);
    the z-weighted metric is :math:`m_j = 1/D_j` (else 1). The loss is the sum over components,
    the normalisation of :class:`~invlin.losses.Loss`.

    Approximation, log-det, divergence: the noise integrates out in closed form,

    .. math::

        E_\xi\, m_j (f_j(x) - t_j)^2 - c R(x) = m_j [(f_j(x) - b_j x)^2 + v_j] - c R(x),
        \qquad R = \log f_j' \text{ or } f_j',

    leaving a 1-D integral over :math:`p_j` on its support :math:`[lo_j, hi_j]`.

    Reconstruction: with :math:`g = f_j^{-1}` and the moments
    :math:`P_k(t) = \int x^k p_j(x) N(t; b_j x, v_j)\,dx` (computed once on the data grid by
    the x-rule),

    .. math::

        E (g(t) - x)^2 = \int [P_0 g^2 - 2 P_1 g + P_2](t)\,dt

    over the data grid :math:`b_j [lo_j, hi_j] \pm 10\sqrt{v_j}`, a 1-D sum per evaluation.
    Its gradient uses :math:`\partial g/\partial\theta = -(\partial f/\partial\theta)(g)/f'(g)`.

    Gradients are the exact gradients of the quadrature sums. The error of the value is
    estimated by :meth:`error`.
    """

    def __init__(self, model, problem, loss, *, n_panels: int = 200, nodes_per_panel: int = 8,
                 tail_tol: float = 1e-15):
        self.loss = Loss(loss) if isinstance(loss, str) else loss
        self.loss.check_compatible(model, problem)
        self.n_panels = positive_int(n_panels, "n_panels")
        self.nodes_per_panel = positive_int(nodes_per_panel, "nodes_per_panel")
        self.tail_tol = positive_scalar(tail_tol, "tail_tol")
        basis = model.basis
        self._gain, self._noise_var, self._metric = _coordinates(problem, basis, self.loss.form)
        self._weight = self.loss.resolved_weight(problem)
        self._knots = getattr(model, "knots", None)
        self._marginals = [problem.prior.marginal(basis[:, j]) for j in range(model.dim)]
        self._supports = [prior_support(m, self.tail_tol) for m in self._marginals]
        self._centrals = [_central(m, lo, hi) for m, (lo, hi, _) in
                          zip(self._marginals, self._supports)]
        self._rule = self._build(self.n_panels, self.nodes_per_panel)
        self._refined = None
        self._constant_hessian = None

    # -- grids --------------------------------------------------------------------------------
    def _build(self, n_panels: int, nodes_per_panel: int) -> _Rule:
        xs, ws, ts, us, moments = [], [], [], [], []
        for j, (marginal, (lo, hi, _)) in enumerate(zip(self._marginals, self._supports)):
            # panel breaks at the prior's kinks (e.g. the Laplace prior's centre) and the
            # model's knots: the integrand is then smooth on every panel, which the
            # discretisation estimate of :meth:`error` relies on
            extra = np.asarray(marginal.kinks(), dtype=np.float64)
            if self._knots is not None:
                extra = np.concatenate([extra, self._knots[j]])
            breaks = _panels(lo, hi, n_panels, extra, self._centrals[j])
            x, w = _gauss_legendre(breaks, nodes_per_panel)
            weights = w * np.exp(marginal.logpdf(x[:, None]))
            xs.append(x)
            ws.append(weights)
            if self.loss.name == "reconstruction":
                t, u, p = self._data_grid(j, x, weights, lo, hi, n_panels, nodes_per_panel,
                                          breaks)
                ts.append(t)
                us.append(u)
                moments.append(p)
        tail_mass = np.array([mass for _, _, mass in self._supports])
        if self.loss.name != "reconstruction":
            return _Rule(_stack(xs), _stack(ws), tail_mass)
        # {t outside its grid} lies in {x outside its grid} or {|xi| > NOISE_WIDTHS}.
        tail_mass = tail_mass + erfc(NOISE_WIDTHS / np.sqrt(2.0))
        return _Rule(_stack(xs), _stack(ws), tail_mass, _stack(ts), _stack(us), _stack(moments))

    def _data_grid(self, j, x, weights, lo, hi, n_panels, nodes_per_panel, breaks):
        b, v = self._gain[j], self._noise_var[j]
        width = NOISE_WIDTHS * np.sqrt(v)
        low, high = sorted((b * lo, b * hi))
        if self._centrals[j] is None:
            data_breaks = np.linspace(low - width, high + width, n_panels + 1)
        else:
            # the prior's panels mapped by b, extended by the noise band in panels of
            # half a noise standard deviation (the data moments vary on that scale at least)
            n_ext = int(np.ceil(2.0 * NOISE_WIDTHS))
            data_breaks = np.unique(np.concatenate([
                np.linspace(low - width, low, n_ext + 1), np.sort(b * breaks),
                np.linspace(high, high + width, n_ext + 1)]))
        t, u = _gauss_legendre(data_breaks, nodes_per_panel)
        return t, u, _data_moments(t, x, weights, b, v)

    # -- the loss -----------------------------------------------------------------------------
    def value_and_grad(self, model) -> tuple[float, np.ndarray]:
        """The quadrature expected loss at the model's parameters and its exact gradient."""
        value, grad, _ = self._evaluate(model, self._rule)
        return value, grad

    def error(self, model) -> QuadratureError:
        r"""Error estimate of :meth:`value_and_grad`'s value at the model's parameters.

        Notes
        -----
        Discretisation: from :math:`|Q - Q'|`, the rule against the rule with twice the panels and
        twice the Gauss-Legendre nodes per panel. Where the integrand is analytic on each panel
        the error decays geometrically in the nodes; where it is not (the reconstruction
        integrand has kinks in its second derivative at the images of the spline's knots, which
        the data grid does not follow) it decays algebraically in the panel width. In both
        regimes the refined rule's error e' is a fraction of the rule's error e; if
        :math:`e' \le e/2` (at least first order in the panel width), then
        :math:`e \le |Q - Q'| + e' \le 2|Q - Q'|`, the discretisation bound reported. It rests
        on that assumption (an a-posteriori estimate, not a strict bound), which can fail for
        rules that do not resolve the prior (measured on a two-component mixture: it holds for
        each tested rule from 12 panels of 3 nodes to the default; docs/population-training.md).
        Panels of the prior grid are split at the model's knots (where a spline's second
        derivative jumps) and at the prior's declared ``kinks`` (where p is not differentiable:
        without the split a kink inside a panel makes that panel's error algebraic, O(h^2),
        and the doubled rule's error need not be a fraction of the rule's).

        Tail: the loss is :math:`E[\ell]` for a per-point integrand :math:`\ell` (the
        conditional expectation over the noise, or :math:`(g(t) - x)^2`); outside the grid
        (an event of probability at most P, the sum of the tail bounds of
        :func:`prior_support`, plus :math:`P(|\xi| > 10)` for reconstruction) its contribution
        is at most :math:`\sqrt{P\, E[\ell^2]}` (Cauchy-Schwarz), with :math:`E[\ell^2]` taken
        by the same rule.
        """
        if self._refined is None:
            self._refined = self._build(2 * self.n_panels, 2 * self.nodes_per_panel)
        value, _, second = self._evaluate(model, self._rule)
        refined, _, _ = self._evaluate(model, self._refined)
        mass = float(np.sum(self._rule.tail_mass))
        discretisation = 2.0 * abs(value - refined)
        tail = float(np.sqrt(mass * max(second, 0.0)))
        return QuadratureError(discretisation, tail, mass, discretisation + tail)

    def hessian(self, model) -> np.ndarray:
        r"""Hessian of the quadrature loss (Gauss-Newton for reconstruction), block diagonal.

        Parameters
        ----------
        model : MonotoneSpline
            A model linear in its parameters (see :func:`design_hessian`).

        Returns
        -------
        ndarray, shape (model.n_parameters, model.n_parameters)

        Notes
        -----
        :func:`design_hessian` on this rule's nodes and weights: the prior nodes with weights
        w and the metric m, or for reconstruction the data nodes with weights
        :math:`u P_0`. Gauss-Newton omits the term weighted by :math:`P_0 g - P_1`, which
        vanishes where :math:`g` is the posterior mean :math:`P_1/P_0`, the function-space
        optimum.
        """
        rule = self._rule
        if hessian_is_constant(self.loss):  # computed once per knots
            knots = np.asarray(model.knots)
            if (self._constant_hessian is None
                    or not np.array_equal(self._constant_hessian[0], knots)):
                self._constant_hessian = (knots.copy(), design_hessian(model, rule.x, rule.w,
                                                                       metric=self._metric))
            return self._constant_hessian[1].copy()
        if self.loss.name == "reconstruction":
            g, _ = model._maps_inverse(rule.t, RECONSTRUCTION_TOL, RECONSTRUCTION_MAX_ITER)
            return design_hessian(model, g, rule.u * rule.moments[0], gauss_newton=True)
        return design_hessian(model, rule.x, rule.w, metric=self._metric,
                              logdet_weight=self._weight)

    def _evaluate(self, model, rule: _Rule):
        """(value, gradient, E[l^2]) on one rule."""
        if self.loss.name == "reconstruction":
            return self._reconstruction(model, rule)
        c = self._weight
        values, slopes = model._maps(rule.x)
        residual = values - self._gain * rule.x
        g_value = 2.0 * rule.w * self._metric * residual
        ell = self._metric * (residual**2 + self._noise_var)
        if self.loss.regulariser == "logdet":
            if np.any(slopes <= 0):
                raise NotInvertibleError("log det undefined: a component slope f_j' is <= 0")
            ell = ell - c * np.log(slopes)
            g_slope = -c * rule.w / slopes
        elif self.loss.regulariser == "divergence":
            ell = ell - c * slopes
            g_slope = -c * rule.w
        else:
            g_slope = np.zeros_like(slopes)
        value = float(np.sum(rule.w * ell))
        return value, model._maps_backward(rule.x, g_value, g_slope), float(np.sum(rule.w * ell**2))

    def _reconstruction(self, model, rule: _Rule):
        if not model.is_invertible():
            raise NotInvertibleError(f"{type(model).__name__} parameters do not give a bijection")
        g, _ = model._maps_inverse(rule.t, RECONSTRUCTION_TOL, RECONSTRUCTION_MAX_ITER)
        values, slopes = model._maps(g)
        miss = float(np.max(np.abs(values - rule.t)))
        if miss > RECONSTRUCTION_TOL * max(1.0, float(np.max(np.abs(rule.t)))):
            raise InversionError(f"componentwise inversion missed by {miss:.2e} on the data grid")
        p0, p1, p2, p3, p4 = rule.moments
        value = float(np.sum(rule.u * (p0 * g * g - 2.0 * p1 * g + p2)))
        g_value = -rule.u * (2.0 * p0 * g - 2.0 * p1) / slopes
        grad = model._maps_backward(g, g_value, np.zeros_like(g))
        # E (g - x)^4 = int [P0 g^4 - 4 P1 g^3 + 6 P2 g^2 - 4 P3 g + P4] dt (binomial expansion).
        fourth = float(np.sum(rule.u * (p0 * g**4 - 4 * p1 * g**3 + 6 * p2 * g**2
                                        - 4 * p3 * g + p4)))
        return value, grad, fourth


def hessian_is_constant(loss) -> bool:
    """Whether :func:`design_hessian` of ``loss`` is the same at every parameter vector of a
    model linear in its parameters: the data term is quadratic and the divergence term linear
    in them; the log-det term and reconstruction's Gauss-Newton matrix (taken at the
    reconstructions) change with them."""
    return loss.name != "reconstruction" and loss.regulariser != "logdet"


def design_hessian(model, points, weights, *, metric=None, logdet_weight=None,
                   gauss_newton=False) -> np.ndarray:
    r"""Block-diagonal Hessian of a weighted loss sum of a model linear in its parameters.

    Parameters
    ----------
    model : MonotoneSpline
        Exposes ``knots``, ``_design(t, j)`` (the Jacobians of :math:`f_j` and :math:`f_j'` at
        the points t), ``_component_slice(j)`` and ``_maps``.
    points : ndarray, shape (N, n)
        Per component, the nodes: the unknown's coordinates, or for ``gauss_newton`` the
        reconstructions :math:`g = f^{-1}(t)`.
    weights : ndarray, shape (N, n)
        Per component, the weight of each node (quadrature weights times densities, or 1/N for
        a sample mean).
    metric : ndarray, shape (n,), optional
        Data-term metric :math:`m_j` (default 1).
    logdet_weight : float, optional
        The log-det regulariser's weight c (None: no log-det term).
    gauss_newton : bool, optional
        The reconstruction loss's Gauss-Newton matrix instead.

    Returns
    -------
    ndarray, shape (model.n_parameters, model.n_parameters)

    Notes
    -----
    With :math:`f = B\theta`, :math:`f' = B'\theta` on the nodes, the exact Hessians are
    :math:`2 m_j B^T \operatorname{diag}(w) B` (data term), plus
    :math:`c\, B'^T \operatorname{diag}(w / f'^2) B'` (log-det); the divergence term is
    linear. Reconstruction: with :math:`J = -B(g)/f'(g)` (the Jacobian of
    :math:`g = f^{-1}(t)`), the Gauss-Newton matrix :math:`2 J^T \operatorname{diag}(w) J`.
    Each is a weighted Gram matrix of the design rows, summed piece by piece between the knots
    (:func:`_piecewise_gram`): O(N + K^3) per component instead of O(N K^2).
    """
    if not hasattr(model, "_design"):
        raise TypeError(f"{type(model).__name__} is not linear in its parameters "
                        f"(no _design): no exact Hessian")
    hess = np.zeros((model.n_parameters, model.n_parameters))
    slopes = model._maps(points)[1]
    for j in range(model.dim):
        block = model._component_slice(j)
        weight = weights[:, j]
        if gauss_newton:
            hess[block, block] = 2.0 * _piecewise_gram(model, j, points[:, j],
                                                       weight / slopes[:, j] ** 2, slope=False)
            continue
        scale = 2.0 if metric is None else 2.0 * metric[j]
        hess[block, block] = scale * _piecewise_gram(model, j, points[:, j], weight,
                                                     slope=False)
        if logdet_weight is not None:
            hess[block, block] += logdet_weight * _piecewise_gram(
                model, j, points[:, j], weight / slopes[:, j] ** 2, slope=True)
    return hess


#: Where :func:`_piecewise_gram` evaluates the design on each piece, in the piece's coordinate
#: v (rows): the left tail (v <= 0), the knot intervals (v in [0, 1]), the right tail (v >= 0);
#: and the inverses of their Vandermonde matrices [1, v, v^2] (well conditioned: exact to a few
#: ulps), which turn the three values into the coefficients of 1, v, v^2.
_PIECE_NODES = np.array([[0.0, -1.0, -2.0], [0.0, 0.5, 1.0], [0.0, 1.0, 2.0]])
_PIECE_VANDERMONDE_INVERSES = np.linalg.inv(np.vander(_PIECE_NODES.ravel(), 3, increasing=True)
                                            .reshape(3, 3, 3))


def _piecewise_gram(model, j, t, weights, *, slope) -> np.ndarray:
    r""":math:`\sum_i w_i q(t_i) q(t_i)^T` for q the Jacobian of :math:`f_j` (or of
    :math:`f_j'` with ``slope``) w.r.t. row j's parameters.

    Notes
    -----
    Between neighbouring knots :math:`f_j` is quadratic and :math:`f_j'` linear in t, with
    coefficients linear in the parameters (linear beyond the outer knots), so on each piece
    :math:`q(t) = C_p [1, v, v^2]^T` in the piece's coordinate :math:`v = (t - a_p) / h_p`
    (:math:`a_p` its left knot, the outer knot for a tail, :math:`h_p` the adjacent interval's
    width). :math:`C_p` is read off the design at three nodes per piece (a 3 x 3 Vandermonde
    solve), and the sum becomes :math:`\sum_p C_p M_p C_p^T` with the weighted moments
    :math:`(M_p)_{ab} = \sum_{i \in p} w_i v_i^{a+b}`. q is continuous at the knots, so a
    point on a knot belongs to either piece.
    """
    knots = np.asarray(model.knots[j], dtype=np.float64)
    n_pieces = knots.size + 1
    widths = np.diff(knots)
    origin = np.concatenate([knots[:1], knots])
    scale = np.concatenate([widths[:1], widths, widths[-1:]])
    piece = np.searchsorted(knots, t, side="right")
    v = (t - origin[piece]) / scale[piece]
    moments = np.empty((n_pieces, 5))
    power = weights.astype(np.float64, copy=True)
    for order in range(5):
        moments[:, order] = np.bincount(piece, power, minlength=n_pieces)
        power *= v
    kind = np.ones(n_pieces, dtype=np.intp)
    kind[0], kind[-1] = 0, 2
    nodes = _PIECE_NODES[kind]
    design = model._design((origin[:, None] + scale[:, None] * nodes).ravel(), j)
    values = design[1 if slope else 0].reshape(n_pieces, 3, -1)
    coefficients = _PIECE_VANDERMONDE_INVERSES[kind] @ values
    weighted = moments[:, np.add.outer(np.arange(3), np.arange(3))] @ coefficients
    size = coefficients.shape[-1]
    return coefficients.reshape(-1, size).T @ weighted.reshape(-1, size)


def _coordinates(problem, basis, form):
    """Per-component gain b_j, noise variance v_j and metric m_j (see PopulationQuadrature)."""
    a = np.asarray(problem.A, dtype=np.float64)
    operator = a if form == "y" else a.T @ a
    coupled = basis.T @ operator @ basis
    diag = np.diag(coupled).copy()
    # Forming V^T A V costs O(n eps |A|^2) in rounding: 1e3 n eps |operator|_2 separates
    # rounding from a genuine coupling (the tolerance of LinearInverseProblem.is_diagonal_in).
    scale = max(float(np.linalg.norm(operator, 2)), np.finfo(float).tiny)
    if np.max(np.abs(coupled - np.diag(diag))) > 1e3 * basis.shape[0] * np.finfo(float).eps * scale:
        which = "A" if form == "y" else "A^T A"
        raise ValueError(f"the model's basis does not diagonalise {which}: the population "
                         f"loss does not separate over components")
    delta2 = problem.delta**2
    if form == "y":
        return diag, np.full_like(diag, delta2), np.ones_like(diag)
    if np.any(diag <= 0):
        raise ValueError("the z forms need an injective A (every D_j = |A v_j|^2 > 0)")
    metric = 1.0 / diag if form == "z-weighted" else np.ones_like(diag)
    return diag, delta2 * diag, metric
