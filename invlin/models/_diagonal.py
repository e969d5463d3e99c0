"""Shared machinery of the diagonal models: componentwise scalar maps in an orthonormal basis."""

from __future__ import annotations

import abc
import numbers

import numpy as np

from invlin._validation import as_float_array, positive_int, positive_scalar
from invlin.errors import InversionError, NotInvertibleError
from invlin.inversion import finish
from invlin.models._diagonal_numba import scalar_maps, scalar_maps_backward, scalar_maps_inverse
from invlin.models.base import InvertibleModel
from invlin.priors._linalg import as_orthonormal_basis

# The reconstruction loss differentiates through the inverse (implicit function theorem), which
# is exact only at the exact preimage: solve each component to 1e-12 absolute (a few hundred ulp
# for data of unit scale, reached by Newton in a handful of steps).
RECONSTRUCTION_TOL = 1e-12
RECONSTRUCTION_MAX_ITER = 200


def _as_basis(basis) -> tuple[np.ndarray | None, int]:
    """(V, n) for an orthonormal matrix, or (None, n) for an integer n (the standard basis)."""
    if isinstance(basis, numbers.Integral) and not isinstance(basis, bool):
        return None, positive_int(basis, "basis")
    matrix = as_float_array(basis, "basis", ndim=2)
    return as_orthonormal_basis(matrix, "basis", matrix.shape[1]), matrix.shape[1]


def _as_lipschitz(lipschitz) -> float | None:
    if lipschitz is None:
        return None
    lipschitz = positive_scalar(lipschitz, "lipschitz")
    if lipschitz >= 1.0:
        raise ValueError(f"lipschitz must be < 1 (invertibility), got {lipschitz}")
    return lipschitz


class DiagonalModel(InvertibleModel):
    r"""Base of the diagonal models :math:`\phi(x) = \sum_j f_j(\langle x, v_j\rangle) v_j`.

    Subclasses map their flat parameters to the table of scalar-map parameters of
    :mod:`invlin.models._diagonal_numba` (``_table``, ``_table_gradient``); a model family with
    other scalar maps overrides the kernel hooks ``_maps``, ``_maps_backward`` and
    ``_maps_inverse`` instead (e.g. :class:`~invlin.models.MonotoneSpline`).

    Notes
    -----
    With coordinates :math:`t = V^T x`: :math:`D\phi(x) = V \operatorname{diag}(f_j'(t_j)) V^T`,
    :math:`\log\det D\phi = \sum_j \log f_j'(t_j)`,
    :math:`\operatorname{div}\phi = \sum_j f_j'(t_j)`,
    and :math:`\phi^{-1}(u) = V (f_j^{-1}(\langle u, v_j\rangle))_j`, each a monotone scalar
    equation solved by safeguarded Newton (exact up to the tolerance).
    """

    def __init__(self, basis):
        self._basis, self.dim = _as_basis(basis)

    @property
    def basis(self) -> np.ndarray:
        """The orthonormal basis V (columns v_j)."""
        return np.eye(self.dim) if self._basis is None else self._basis.copy()

    @abc.abstractmethod
    def _table(self) -> np.ndarray:
        """Scalar-map parameters, shape (n, 2 + 3R) (layout of _diagonal_numba)."""

    @abc.abstractmethod
    def _table_gradient(self, grad_table: np.ndarray) -> np.ndarray:
        """Flat-parameter gradient from the gradient w.r.t. the table."""

    # -- kernel hooks (tanh scalar maps of _diagonal_numba; other families override) --------
    def _maps(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f_j(t_ij) and f_j'(t_ij) at coordinates t, shape (N, n) each."""
        return scalar_maps(self._table(), t)

    def _maps_backward(self, t: np.ndarray, g_value: np.ndarray,
                       g_slope: np.ndarray) -> np.ndarray:
        """Flat gradient of sum_ij g_value_ij f_j(t_ij) + g_slope_ij f_j'(t_ij)."""
        return self._table_gradient(scalar_maps_backward(self._table(), t, g_value, g_slope))

    def _maps_inverse(self, u: np.ndarray, tol: float, max_iter: int):
        """Componentwise preimages of coordinates u and the iterations used per sample."""
        return scalar_maps_inverse(self._table(), u, tol, max_iter)

    # -- coordinates ------------------------------------------------------------------------
    def _coords(self, x: np.ndarray) -> np.ndarray:
        return x if self._basis is None else np.ascontiguousarray(x @ self._basis)

    def _from_coords(self, t: np.ndarray) -> np.ndarray:
        return t if self._basis is None else np.ascontiguousarray(t @ self._basis.T)

    def _slopes(self, x: np.ndarray) -> np.ndarray:
        return self._maps(self._coords(x))[1]

    # -- the map ----------------------------------------------------------------------------
    def forward(self, x) -> np.ndarray:
        x, single = self._points(x)
        out = self._from_coords(self._maps(self._coords(x))[0])
        return out[0] if single else out

    def inverse(self, u, *, tol: float = 1e-10, max_iter: int = 100, return_info: bool = False):
        """Preimages by componentwise safeguarded Newton.

        Parameters
        ----------
        u : array_like, shape (N, n) or (n,)
        tol : float, optional
            Residual tolerance ``|phi(x_i) - u_i|`` (Euclidean); each component is solved to
            ``tol / sqrt(n)``.
        max_iter : int, optional
            Newton/bisection iterations per component.
        return_info : bool, optional
            Return an :class:`~invlin.inversion.InversionResult` instead of raising
            :class:`~invlin.errors.InversionError` when a point misses the tolerance.
        """
        u, single = self._points(u, "u")
        tol, max_iter = self._inverse_options(tol, max_iter)
        self._require_invertible()
        t, iterations = self._maps_inverse(self._coords(u), tol / np.sqrt(self.dim), max_iter)
        return finish(self._from_coords(t), u, self.forward, tol=tol,
                      iterations=int(iterations.max()), single=single, return_info=return_info)

    def jacobian(self, x) -> np.ndarray:
        x, single = self._points(x)
        slopes = self._slopes(x)
        basis = self.basis
        jac = np.einsum("ak,ik,bk->iab", basis, slopes, basis)
        return jac[0] if single else jac

    def logdet(self, x) -> np.ndarray:
        x, single = self._points(x)
        slopes = self._slopes(x)
        if np.any(slopes <= 0):
            raise NotInvertibleError("log det undefined: a component slope f_j' is <= 0")
        out = np.sum(np.log(slopes), axis=1)
        return out[0] if single else out

    def divergence(self, x) -> np.ndarray:
        x, single = self._points(x)
        out = np.sum(self._slopes(x), axis=1)
        return out[0] if single else out

    def _require_invertible(self) -> None:
        if not self.is_invertible():
            raise NotInvertibleError(f"{type(self).__name__} parameters do not give a bijection")

    # -- engine hooks -----------------------------------------------------------------------
    def _objective(self, x, target, metric, regulariser, c) -> tuple[float, np.ndarray]:
        n_samples = x.shape[0]
        t = self._coords(x)
        values, slopes = self._maps(t)
        residual = values - self._coords(target)
        if metric is None:
            weighted = residual
        else:
            if self._basis is not None:
                metric = self._basis.T @ metric @ self._basis
            weighted = residual @ metric
        value = float(np.sum(residual * weighted)) / n_samples
        g_value = np.ascontiguousarray(2.0 * weighted / n_samples)
        if regulariser == "logdet":
            if np.any(slopes <= 0):
                raise NotInvertibleError("log det undefined: a component slope f_j' is <= 0")
            value -= c * float(np.sum(np.log(slopes))) / n_samples
            g_slope = -c / (n_samples * slopes)
        elif regulariser == "divergence":
            value -= c * float(np.sum(slopes)) / n_samples
            g_slope = np.full_like(slopes, -c / n_samples)
        elif regulariser is None:
            g_slope = np.zeros_like(slopes)
        else:
            raise ValueError(
                f"unknown regulariser {regulariser!r}; expected 'logdet', 'divergence' or None"
            )
        return value, self._maps_backward(t, g_value, g_slope)

    def _reconstruction_objective(self, u, x) -> tuple[float, np.ndarray]:
        n_samples = x.shape[0]
        self._require_invertible()
        t, iterations = self._maps_inverse(
            self._coords(u), RECONSTRUCTION_TOL, RECONSTRUCTION_MAX_ITER
        )
        values, slopes = self._maps(t)
        if np.max(np.abs(values - self._coords(u))) > RECONSTRUCTION_TOL:
            raise InversionError(
                f"componentwise inversion missed {RECONSTRUCTION_TOL:.0e} after "
                f"{int(iterations.max())} iterations in the reconstruction loss"
            )
        error = t - self._coords(x)
        value = float(np.sum(error * error)) / n_samples
        # dt/dtheta = -(df/dtheta)(t) / f'(t) (implicit function theorem on f(t) = u).
        g_value = np.ascontiguousarray(-2.0 * error / (n_samples * slopes))
        return value, self._maps_backward(t, g_value, np.zeros_like(slopes))
