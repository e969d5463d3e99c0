"""Diagonal linear model: gains k_j in an orthonormal basis, phi = V diag(k) V^T (+ bias)."""

from __future__ import annotations

import numpy as np

from invlin.models._diagonal import DiagonalModel, _as_lipschitz

__all__ = ["DiagonalLinear"]


class DiagonalLinear(DiagonalModel):
    r"""Linear model diagonal in an orthonormal basis.

    .. math:: \phi(x) = V \operatorname{diag}(k) V^T x + V\beta

    Parameters
    ----------
    basis : OrthonormalBasis, array_like of shape (n, n), or int
        Orthonormal basis V with columns v_j, normally ``problem.right_singular_vectors`` (or a
        fast transform such as ``TransformDiagonalProblem.basis``); an integer n means the
        standard basis of R^n.
    lipschitz : float, optional
        If given (0 < L < 1), :meth:`project` clips the gains to [1 - L, 1 + L], i.e.
        phi = Id + g with Lip(g) = max_j |k_j - 1| <= L.
    bias : bool, optional
        Include the offset :math:`V\beta` (needed for priors with non-zero mean: e.g. the
        divergence optimum for N(mu, Sigma) is :math:`K x - \delta^2\Sigma^{-1}\mu`). Default
        False: the model is the pure gain filter of the theory.

    Notes
    -----
    Parameter layout: the gains :math:`k_1, \dots, k_n`, then (with ``bias``)
    :math:`\beta_1, \dots, \beta_n`. Initial value: k = 1, beta = 0 (the identity).

    The gain k_j is the slope of phi along v_j and the inverse filter is 1/k_j. In the y-form
    the model maps into the same basis, so its gains are the theory's only when the left and right
    singular vectors of A coincide (A symmetric positive definite, e.g.
    ``LinearInverseProblem.diagonal``); otherwise the y-form optimum is not diagonal in V. The model is
    invertible iff every k_j != 0; invlin requires k_j > 0 (orientation kept, log det defined),
    checked by :meth:`is_invertible` (training stops with NotInvertibleError otherwise).
    Gradients: :math:`\partial/\partial k_j = \sum_i g_{ij} t_{ij} + \partial R/\partial k_j`
    with :math:`g_{ij}` the derivative of the loss w.r.t. the j-th output coordinate
    (see :mod:`invlin.models._diagonal_numba`).
    """

    def __init__(self, basis, lipschitz: float | None = None, bias: bool = False):
        super().__init__(basis)
        self.lipschitz_bound = _as_lipschitz(lipschitz)
        self.has_bias = bool(bias)
        self._gains = np.ones(self.dim)
        self._offset = np.zeros(self.dim)

    @property
    def n_parameters(self) -> int:
        return 2 * self.dim if self.has_bias else self.dim

    def get_parameters(self) -> np.ndarray:
        if self.has_bias:
            return np.concatenate([self._gains, self._offset])
        return self._gains.copy()

    def set_parameters(self, theta) -> None:
        theta = self._check_parameters(theta)
        self._gains = theta[: self.dim].copy()
        if self.has_bias:
            self._offset = theta[self.dim :].copy()

    @property
    def gains(self) -> np.ndarray:
        """The gains k_j (a copy)."""
        return self._gains.copy()

    # -- the component maps f_j(t) = k_j t + beta_j, in closed form ---------------------------
    def _maps(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f_j(t_ij) = k_j t_ij + beta_j and f_j'(t_ij) = k_j (a read-only broadcast)."""
        values = t * self._gains
        if self.has_bias:
            values += self._offset
        return values, np.broadcast_to(self._gains, t.shape)

    def _maps_inverse(self, u_coords: np.ndarray, tol: float, max_iter: int):
        """t_ij = (u_ij - beta_j) / k_j exactly: no iterations (tol and max_iter unused)."""
        return (u_coords - self._offset) / self._gains, np.zeros(u_coords.shape[0], np.int64)

    def _maps_backward(self, t, g_value, g_slope) -> np.ndarray:
        """dk_j = sum_i (g_value_ij t_ij + g_slope_ij), dbeta_j = sum_i g_value_ij."""
        grad_gains = np.einsum("ij,ij->j", g_value, t) + g_slope.sum(axis=0)
        if self.has_bias:
            return np.concatenate([grad_gains, g_value.sum(axis=0)])
        return grad_gains

    # -- affine hooks (population losses) ---------------------------------------------------
    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        """(K, b) = (V diag(k) V^T, V beta)."""
        basis = self.basis
        return (basis * self._gains) @ basis.T, basis @ self._offset

    def _affine_gradient(self, grad_matrix: np.ndarray, grad_bias: np.ndarray) -> np.ndarray:
        """dk_j = v_j^T (dL/dK) v_j, dbeta = V^T dL/db."""
        basis = self.basis
        grad_gains = np.einsum("aj,ab,bj->j", basis, grad_matrix, basis)
        if self.has_bias:
            return np.concatenate([grad_gains, basis.T @ grad_bias])
        return grad_gains

    # -- constraints ------------------------------------------------------------------------
    def lipschitz(self) -> float | None:
        """max_j |k_j - 1| for the constrained model, else None."""
        if self.lipschitz_bound is None:
            return None
        return float(np.max(np.abs(self._gains - 1.0)))

    def parameter_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Box (lower, upper) of the flat parameters: gains in [0, inf), or [1 - L, 1 + L] for
        the constrained model; offsets free. A gain exactly 0 is on the box but not invertible:
        box-constrained optimisers reject such a trial point (the loss is undefined there)."""
        lower = np.full(self.n_parameters, -np.inf)
        upper = np.full(self.n_parameters, np.inf)
        if self.lipschitz_bound is None:
            lower[: self.dim] = 0.0
        else:
            lower[: self.dim] = 1.0 - self.lipschitz_bound
            upper[: self.dim] = 1.0 + self.lipschitz_bound
        return lower, upper

    def is_invertible(self) -> bool:
        """Every gain k_j > 0 (and, when constrained, max_j |k_j - 1| < 1)."""
        return bool(np.all(self._gains > 0)) and super().is_invertible()

    def project(self) -> None:
        """Clip the gains to [1 - L, 1 + L] (constrained model only)."""
        if self.lipschitz_bound is not None:
            np.clip(self._gains, 1.0 - self.lipschitz_bound, 1.0 + self.lipschitz_bound,
                    out=self._gains)
