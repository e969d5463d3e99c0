"""Monotone quadratic spline model: a flexible increasing scalar map per basis direction."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array, positive_scalar
from invlin.models._diagonal import TableDiagonalModel, _as_lipschitz
from invlin.models._spline_numba import spline_maps, spline_maps_backward, spline_maps_inverse

__all__ = ["MonotoneSpline"]


class MonotoneSpline(TableDiagonalModel):
    r"""Componentwise increasing C^1 quadratic splines with linear tails, in an orthonormal basis.

    .. math::

        \phi(x) = \sum_j f_j(\langle x, v_j\rangle)\, v_j,\qquad
        f_j(t) = \beta_j + \int_{\kappa_{j,m}}^{t} s_j(u)\,du,

    where :math:`s_j` is the piecewise-linear interpolant of the knot slopes
    :math:`s_{j,0}, \dots, s_{j,K} > 0` at the knots :math:`\kappa_{j,0} < \dots < \kappa_{j,K}`,
    constant outside them, and :math:`m = \lfloor K/2 \rfloor` is the anchor knot.

    Parameters
    ----------
    knots : array_like, shape (K + 1,) or (n, K + 1)
        Strictly increasing knots, shared by all components (1-D) or one row per component;
        K >= 1.
    basis : array_like, shape (n, n), or int, optional
        Orthonormal basis V (columns v_j); an integer n means the standard basis. Default: the
        standard basis of the dimension given by ``knots`` (1 for 1-D knots).
    lipschitz : float, optional
        If given (0 < L < 1), the iResNet form: every knot slope (hence every slope) lies in
        [1 - L, 1 + L].
    min_slope : float, optional
        Lower bound on the knot slopes in the unconstrained model (keeps f_j strictly
        increasing).

    Notes
    -----
    Parameter layout: row-major table of shape (n, K + 2), row j =
    :math:`[\beta_j, s_{j,0}, \dots, s_{j,K}]`. Initial value: the identity (beta = anchor
    knot, all slopes 1).

    The slope :math:`f_j'` is a convex combination of two neighbouring knot slopes, so
    :math:`\min_k s_{jk} \le f_j' \le \max_k s_{jk}`: positive knot slopes make :math:`f_j` a
    bijection of R, and the Lipschitz form is the box :math:`s_{jk} \in [1-L, 1+L]`. All
    constraints are boxes on the parameters (:meth:`parameter_bounds`), which a bound-constrained
    optimiser (L-BFGS-B) enforces exactly.

    :math:`f_j` is linear in its parameters, so the approximation, divergence and log-det losses
    (a square of a linear function, minus a linear or a concave :math:`\log` of a linear
    function) are convex in the parameters: a local minimiser is global. The inverse is exact
    (the quadratic of the interval, solved in closed form).

    Examples
    --------
    >>> import numpy as np
    >>> model = MonotoneSpline(np.linspace(-3.0, 3.0, 7))
    >>> model.forward(np.array([[0.5]]))
    array([[0.5]])
    """

    def __init__(self, knots, basis=None, lipschitz: float | None = None,
                 min_slope: float = 1e-6):
        knots = as_float_array(knots, "knots")
        if knots.ndim not in (1, 2):
            raise ValueError(f"knots must be 1-D or 2-D, got shape {knots.shape}")
        if basis is None:
            basis = 1 if knots.ndim == 1 else knots.shape[0]
        super().__init__(basis)
        knots = np.atleast_2d(knots)
        if knots.shape[0] == 1:
            knots = np.repeat(knots, self.dim, axis=0)
        if knots.shape[0] != self.dim:
            raise ValueError(f"knots must have {self.dim} rows (one per component), got "
                             f"{knots.shape[0]}")
        if knots.shape[1] < 2:
            raise ValueError("knots must hold at least 2 knots per component")
        if not np.all(np.diff(knots, axis=1) > 0):
            raise ValueError("knots must be strictly increasing in every row")
        self.knots = np.ascontiguousarray(knots)
        self.lipschitz_bound = _as_lipschitz(lipschitz)
        self.min_slope = positive_scalar(min_slope, "min_slope")
        n_knots = knots.shape[1]
        self._params = np.ones((self.dim, n_knots + 1))
        self._params[:, 0] = knots[:, (n_knots - 1) // 2]
        self.project()

    # -- kernel hooks -----------------------------------------------------------------------
    def _maps(self, t):
        return spline_maps(self.knots, self._params, t)

    def _maps_backward(self, t, g_value, g_slope):
        return spline_maps_backward(self.knots, t, g_value, g_slope).ravel()

    def _maps_inverse(self, u, tol, max_iter):
        # Closed form (one quadratic per point): tol and max_iter are not needed.
        return spline_maps_inverse(self.knots, self._params, u), np.ones(u.shape[0], np.int64)

    def _component_slice(self, j: int) -> slice:
        """Where row j's parameters sit in the flat parameter vector."""
        size = self._params.shape[1]
        return slice(j * size, (j + 1) * size)

    def _design(self, t: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Jacobians of f_j(t_i) and f_j'(t_i) w.r.t. row j's parameters, shape (N, K + 2) each.

        f_j is linear in its row, so column p is the map with the p-th unit row (one kernel call
        on the identity table).
        """
        size = self._params.shape[1]
        knots = np.ascontiguousarray(np.repeat(self.knots[j : j + 1], size, axis=0))
        points = np.ascontiguousarray(np.repeat(t[:, None], size, axis=1))
        return spline_maps(knots, np.eye(size), points)

    def scalar_map(self, j: int, t) -> tuple[np.ndarray, np.ndarray]:
        """f_j and f_j' at the scalar coordinates ``t`` (1-D), for inspection and plots."""
        t = np.asarray(t, dtype=np.float64).reshape(-1, 1)
        values, slopes = spline_maps(self.knots[j : j + 1], self._params[j : j + 1], t)
        return values[:, 0], slopes[:, 0]

    # -- constraints ------------------------------------------------------------------------
    def slope_range(self) -> tuple[np.ndarray, np.ndarray]:
        """Per component (min_k s_jk, max_k s_jk): the exact range of f_j' over R."""
        slopes = self._params[:, 1:]
        return slopes.min(axis=1), slopes.max(axis=1)

    def parameter_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Box (lower, upper) of the flat parameters: beta free, slopes as in :meth:`project`."""
        lower = np.full(self._params.shape, -np.inf)
        upper = np.full(self._params.shape, np.inf)
        if self.lipschitz_bound is None:
            lower[:, 1:] = self.min_slope
        else:
            lower[:, 1:] = 1.0 - self.lipschitz_bound
            upper[:, 1:] = 1.0 + self.lipschitz_bound
        return lower.ravel(), upper.ravel()

    def lipschitz(self) -> float | None:
        """max_j sup_t |f_j'(t) - 1| for the iResNet form, else None."""
        if self.lipschitz_bound is None:
            return None
        return float(np.max(np.abs(self._params[:, 1:] - 1.0)))

    def is_invertible(self) -> bool:
        """All knot slopes > 0 (strictly increasing f_j), and Lipschitz bound < 1."""
        return bool(np.all(self._params[:, 1:] > 0)) and super().is_invertible()

    def project(self) -> None:
        """Clip the knot slopes into their box (:meth:`parameter_bounds`)."""
        lower, upper = self.parameter_bounds()
        self._params = np.ascontiguousarray(
            np.clip(self._params.ravel(), lower, upper).reshape(self._params.shape))
