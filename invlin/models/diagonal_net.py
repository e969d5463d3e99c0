"""Diagonal nonlinear model: a strictly increasing scalar map per basis direction."""

from __future__ import annotations

import numpy as np

from invlin._validation import positive_int, positive_scalar
from invlin.models._diagonal import TableDiagonalModel, _as_lipschitz
from invlin.models._diagonal_numba import scalar_maps

__all__ = ["DiagonalNet"]


class DiagonalNet(TableDiagonalModel):
    r"""Componentwise strictly increasing maps in an orthonormal basis.

    .. math::

        \phi(x) = \sum_j f_j(\langle x, v_j\rangle)\, v_j,\qquad
        f_j(t) = \alpha_j t + \beta_j + \sum_{r=1}^{R} w_{jr} \tanh(\gamma_{jr} t + b_{jr})

    Parameters
    ----------
    basis : OrthonormalBasis, array_like of shape (n, n), or int
        Orthonormal basis V (columns v_j), normally ``problem.right_singular_vectors`` or, for a
        :class:`~invlin.problem.TransformDiagonalProblem`, ``problem.basis`` (a fast transform,
        never formed as a matrix); an integer n means the standard basis.
    n_units : int, optional
        Number R of tanh units per component.
    lipschitz : float, optional
        If given (0 < L < 1), the iResNet form: every slope f_j' lies in [1 - L, 1 + L].
    min_slope : float, optional
        Lower bound on alpha_j in the unconstrained model (keeps f_j strictly increasing).
    input_scales, output_scales : array_like, shape (n,), optional
        Units r_j, q_j > 0 (default 1): f_j(t) = q_j F_j(t / r_j) with F_j the tanh-unit map
        below, so the parameters are those of F_j in normalised coordinates (see
        :class:`~invlin.models._diagonal.DiagonalModel`). The Lipschitz form needs unit scales.

    Notes
    -----
    Parameter layout: row-major table of shape (n, 2 + 3R), row j =
    :math:`[\alpha_j, \beta_j, w_{j1..jR}, \gamma_{j1..jR}, b_{j1..jR}]`. Initial value:
    alpha = 1, beta = 0, w = 0.05, gamma = 1, b evenly spaced in [-2, 2].

    Monotonicity: :math:`f_j' = \alpha_j + \sum_r w_{jr}\gamma_{jr}\operatorname{sech}^2(\cdot)
    \in [\alpha_j, \alpha_j + \sum_r w_{jr}\gamma_{jr}]`, so alpha > 0 and w, gamma >= 0 make
    f_j strictly increasing (a bijection of R, since alpha > 0). :meth:`project` enforces
    alpha >= min_slope and w, gamma >= 0; in the iResNet form it clips alpha to [1 - L, 1 + L]
    and rescales w so that :math:`\alpha_j + \sum_r w_{jr}\gamma_{jr} \le 1 + L`.

    Expressiveness: the function-space optimum of the divergence loss for a logistic marginal
    with scale s is :math:`\sigma^2 t + (\delta^2/s)\tanh(t/(2s))`, one unit exactly.
    """

    def __init__(self, basis, n_units: int = 4, lipschitz: float | None = None,
                 min_slope: float = 1e-6, input_scales=None, output_scales=None):
        super().__init__(basis, input_scales, output_scales)
        if lipschitz is not None and (input_scales is not None or output_scales is not None):
            raise ValueError("lipschitz needs unit scales: the slope interval [1 - L, 1 + L] "
                             "is stated for f_j, not for F_j")
        self.n_units = positive_int(n_units, "n_units")
        self.lipschitz_bound = _as_lipschitz(lipschitz)
        self.min_slope = positive_scalar(min_slope, "min_slope")
        r = self.n_units
        row = np.concatenate([[1.0, 0.0], np.full(r, 0.05), np.ones(r),
                              np.linspace(-2.0, 2.0, r) if r > 1 else [0.0]])
        self._params = np.ascontiguousarray(np.tile(row, (self.dim, 1)))
        self.project()

    def _parts(self):
        r = self.n_units
        p = self._params
        return p[:, 0], p[:, 2 : 2 + r], p[:, 2 + r : 2 + 2 * r]

    def scalar_map(self, j: int, t) -> tuple[np.ndarray, np.ndarray]:
        """f_j and f_j' at the scalar coordinates ``t`` (1-D), for inspection and plots."""
        r, q = self._input_scales[j], self._output_scales[j]
        t = np.asarray(t, dtype=np.float64).reshape(-1, 1)
        table = np.ascontiguousarray(self._params[j : j + 1])
        values, slopes = scalar_maps(table, np.ascontiguousarray(t / r))
        return q * values[:, 0], (q / r) * slopes[:, 0]

    # -- constraints ------------------------------------------------------------------------
    def _slope_range(self) -> tuple[np.ndarray, np.ndarray]:
        alpha, w, gamma = self._parts()
        return alpha, alpha + np.sum(w * gamma, axis=1)

    def parameter_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Box (lower, upper) of the flat parameters: alpha >= min_slope, w, gamma >= 0.

        Only the unconstrained form is a box (the iResNet form couples alpha, w and gamma), so
        box-constrained optimisers (``train(optimizer="lbfgs")``) need ``lipschitz=None``.
        """
        if self.lipschitz_bound is not None:
            raise ValueError("the Lipschitz form of DiagonalNet is not a box constraint; use "
                             "optimizer 'adam' (projected) or MonotoneSpline")
        r = self.n_units
        lower = np.full(self._params.shape, -np.inf)
        lower[:, 0] = self.min_slope
        lower[:, 2 : 2 + 2 * r] = 0.0
        return lower.ravel(), np.full(lower.size, np.inf)

    def lipschitz(self) -> float | None:
        """max_j sup_t |f_j'(t) - 1| bound for the iResNet form, else None."""
        if self.lipschitz_bound is None:
            return None
        low, high = self._slope_range()
        return float(max(np.max(np.abs(low - 1.0)), np.max(np.abs(high - 1.0))))

    def is_invertible(self) -> bool:
        """alpha_j > 0 and w, gamma >= 0 (strictly increasing f_j), and Lipschitz bound < 1."""
        alpha, w, gamma = self._parts()
        increasing = np.all(alpha > 0) and np.all(w >= 0) and np.all(gamma >= 0)
        return bool(increasing) and super().is_invertible()

    def project(self) -> None:
        """Enforce monotonicity (and the slope interval of the iResNet form)."""
        r = self.n_units
        p = self._params
        np.maximum(p[:, 2 : 2 + 2 * r], 0.0, out=p[:, 2 : 2 + 2 * r])
        if self.lipschitz_bound is None:
            np.maximum(p[:, 0], self.min_slope, out=p[:, 0])
            return
        bound = self.lipschitz_bound
        np.clip(p[:, 0], 1.0 - bound, 1.0 + bound, out=p[:, 0])
        spread = np.sum(p[:, 2 : 2 + r] * p[:, 2 + r : 2 + 2 * r], axis=1)
        room = 1.0 + bound - p[:, 0]
        over = spread > room
        p[over, 2 : 2 + r] *= (room[over] / spread[over])[:, None]
