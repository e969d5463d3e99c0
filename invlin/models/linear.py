"""The affine model phi(x) = K x + b, optionally with K = I + W and ||W||_2 <= L."""

from __future__ import annotations

import numpy as np

from invlin._validation import positive_int, positive_scalar
from invlin.errors import NotInvertibleError
from invlin.inversion import finish
from invlin.models._linear_numba import outer_sums
from invlin.models.base import InvertibleModel

__all__ = ["Linear"]


def affine_regulariser(matrix: np.ndarray, regulariser) -> tuple[float, np.ndarray]:
    """Value and gradient (w.r.t. the matrix) of R = log det K or tr K for an affine map.

    The Jacobian of x -> K x + b is K everywhere, so R is constant in x. d log det K = K^{-T},
    d tr K = I. Raises :class:`NotInvertibleError` if log det K is undefined (det K <= 0).
    """
    if regulariser == "logdet":
        sign, value = np.linalg.slogdet(matrix)
        if sign <= 0:
            raise NotInvertibleError(
                f"log det K undefined: det K has sign {sign:+.0f} "
                "(K must have positive determinant)"
            )
        return float(value), np.linalg.inv(matrix).T
    if regulariser == "divergence":
        return float(np.trace(matrix)), np.eye(matrix.shape[0])
    raise ValueError(f"unknown regulariser {regulariser!r}; expected 'logdet' or 'divergence'")


class Linear(InvertibleModel):
    r"""Affine model :math:`\phi(x) = K x + b`.

    Parameters
    ----------
    dim : int
        Dimension n.
    lipschitz : float, optional
        If given (0 < L < 1), :math:`K = I + W` with :math:`\|W\|_2 \le L`, enforced by
        :meth:`project` (spectral rescaling of W).

    Notes
    -----
    Parameter layout (length n^2 + n): the n x n matrix, row-major, then b. The matrix is K for
    the unconstrained model and W for the constrained one. Initial value: K = I, b = 0.

    Jacobian K, log det K, divergence tr K (all constant in x). With the constraint, the map is
    Id + g with Lip(g) = ||W||_2 <= L < 1, so K is invertible and
    :math:`\|\phi^{-1}\|_{Lip} \le 1/(1-L)`. The inverse is the direct solve
    :math:`K^{-1}(u - b)`.

    Training gradients (``_objective``): with residuals :math:`r_i = K x_i + b - t_i` and
    :math:`g_i = 2 M r_i / N`, :math:`\partial/\partial K = \sum_i g_i x_i^T`,
    :math:`\partial/\partial b = \sum_i g_i`; minus ``c K^{-T}`` (log det) or ``c I``
    (divergence). Reconstruction: :math:`w_i = K^{-1}(u_i - b)`, :math:`e_i = w_i - x_i`,
    :math:`\partial/\partial K = -K^{-T} \sum_i (2 e_i / N) w_i^T`,
    :math:`\partial/\partial b = -K^{-T} \sum_i 2 e_i / N`.
    """

    def __init__(self, dim: int, lipschitz: float | None = None):
        self.dim = positive_int(dim, "dim")
        if lipschitz is not None:
            lipschitz = positive_scalar(lipschitz, "lipschitz")
            if lipschitz >= 1.0:
                raise ValueError(f"lipschitz must be < 1 (invertibility), got {lipschitz}")
        self.lipschitz_bound = lipschitz
        self._matrix = np.zeros((dim, dim)) if lipschitz is not None else np.eye(dim)
        self._bias = np.zeros(dim)

    # -- parameters -------------------------------------------------------------------------
    @property
    def n_parameters(self) -> int:
        return self.dim * self.dim + self.dim

    def get_parameters(self) -> np.ndarray:
        return np.concatenate([self._matrix.ravel(), self._bias])

    def set_parameters(self, theta) -> None:
        theta = self._check_parameters(theta)
        n = self.dim
        self._matrix = theta[: n * n].reshape(n, n).copy()
        self._bias = theta[n * n :].copy()

    @property
    def matrix(self) -> np.ndarray:
        """K (a copy)."""
        return self._affine()[0]

    @property
    def bias(self) -> np.ndarray:
        """b (a copy)."""
        return self._bias.copy()

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        """(K, b) as new arrays; shared with the population losses."""
        if self.lipschitz_bound is None:
            return self._matrix.copy(), self._bias.copy()
        return np.eye(self.dim) + self._matrix, self._bias.copy()

    def _affine_gradient(self, grad_matrix: np.ndarray, grad_bias: np.ndarray) -> np.ndarray:
        """Gradient w.r.t. theta from gradients w.r.t. K and b (dK/dW = identity)."""
        return np.concatenate([np.asarray(grad_matrix).ravel(), grad_bias])

    # -- the map ----------------------------------------------------------------------------
    def forward(self, x) -> np.ndarray:
        x, single = self._points(x)
        matrix, bias = self._affine()
        out = x @ matrix.T + bias
        return out[0] if single else out

    def inverse(self, u, *, tol: float = 1e-10, max_iter: int = 1, return_info: bool = False):
        """Preimages :math:`K^{-1}(u - b)` by a direct solve (``max_iter`` is not used).

        Returns an array, or an :class:`~invlin.inversion.InversionResult` with
        ``return_info=True``; raises :class:`~invlin.errors.InversionError` if a residual
        exceeds ``tol`` (ill-conditioned K) and :class:`~invlin.errors.NotInvertibleError` if K
        is singular.
        """
        u, single = self._points(u, "u")
        tol, _ = self._inverse_options(tol, max_iter)
        matrix, bias = self._affine()
        try:
            x = np.linalg.solve(matrix, (u - bias).T).T
        except np.linalg.LinAlgError:
            raise NotInvertibleError("K is singular: the Linear model is not invertible") from None
        x = np.ascontiguousarray(x)
        return finish(x, u, self.forward, tol=tol, iterations=1, single=single,
                      return_info=return_info)

    def jacobian(self, x) -> np.ndarray:
        x, single = self._points(x)
        jac = np.broadcast_to(self._affine()[0], (x.shape[0], self.dim, self.dim)).copy()
        return jac[0] if single else jac

    def logdet(self, x) -> np.ndarray:
        x, single = self._points(x)
        value, _ = affine_regulariser(self._affine()[0], "logdet")
        out = np.full(x.shape[0], value)
        return out[0] if single else out

    def divergence(self, x) -> np.ndarray:
        x, single = self._points(x)
        out = np.full(x.shape[0], np.trace(self._affine()[0]))
        return out[0] if single else out

    # -- constraints ------------------------------------------------------------------------
    def lipschitz(self) -> float | None:
        """||W||_2 for the constrained model (phi = Id + W + b), else None."""
        if self.lipschitz_bound is None:
            return None
        return float(np.linalg.norm(self._matrix, 2))

    def is_invertible(self) -> bool:
        """Constrained: ||W||_2 < 1. Unconstrained: det K > 0 (orientation kept, log det exists)."""
        if self.lipschitz_bound is not None:
            return super().is_invertible()
        return bool(np.linalg.slogdet(self._matrix)[0] > 0)

    def project(self) -> None:
        """Rescale W to spectral norm L if it exceeds L (the nearest such multiple of W)."""
        if self.lipschitz_bound is None:
            return
        norm = np.linalg.norm(self._matrix, 2)
        if norm > self.lipschitz_bound:
            self._matrix *= self.lipschitz_bound / norm

    # -- engine hooks -----------------------------------------------------------------------
    def _objective(self, x, target, metric, regulariser, c) -> tuple[float, np.ndarray]:
        matrix, bias = self._affine()
        n_samples = x.shape[0]
        residual = x @ matrix.T + bias - target
        weighted = residual if metric is None else residual @ metric
        value = float(np.sum(residual * weighted)) / n_samples
        grad_matrix, grad_bias = outer_sums(np.ascontiguousarray(2.0 * weighted / n_samples), x)
        if regulariser is not None:
            reg_value, reg_grad = affine_regulariser(matrix, regulariser)
            value -= c * reg_value
            grad_matrix -= c * reg_grad
        return value, self._affine_gradient(grad_matrix, grad_bias)

    def _reconstruction_objective(self, u, x) -> tuple[float, np.ndarray]:
        matrix, bias = self._affine()
        n_samples = x.shape[0]
        preimage = np.ascontiguousarray(np.linalg.solve(matrix, (u - bias).T).T)
        error = preimage - x
        value = float(np.sum(error * error)) / n_samples
        sum_k, sum_b = outer_sums(np.ascontiguousarray(2.0 * error / n_samples), preimage)
        inv_t = np.linalg.inv(matrix).T
        return value, self._affine_gradient(-inv_t @ sum_k, -inv_t @ sum_b)
