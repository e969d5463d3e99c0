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
from invlin.operators import OrthonormalBasis, as_basis

# The reconstruction loss differentiates through the inverse (implicit function theorem), which
# is exact only at the exact preimage: solve each component to 1e-12 absolute (a few hundred ulp
# for data of unit scale, reached by Newton in a handful of steps).
RECONSTRUCTION_TOL = 1e-12
RECONSTRUCTION_MAX_ITER = 200


def _as_basis(basis) -> tuple[OrthonormalBasis | None, int]:
    """(basis, n) for a basis object or an orthonormal matrix; (None, n) for an integer n."""
    if isinstance(basis, numbers.Integral) and not isinstance(basis, bool):
        return None, positive_int(basis, "basis")
    basis = as_basis(basis)
    return basis, basis.dim


def _as_unit_scales(value, name: str, dim: int) -> np.ndarray:
    """Per-component units: None -> ones; else a length-``dim`` array of finite values > 0."""
    if value is None:
        return np.ones(dim)
    value = as_float_array(value, name, ndim=1)
    if value.shape[0] != dim:
        raise ValueError(f"{name} must have length {dim}, got {value.shape[0]}")
    if np.any(value <= 0):
        raise ValueError(f"{name} must be > 0")
    return value


def _as_lipschitz(lipschitz) -> float | None:
    if lipschitz is None:
        return None
    lipschitz = positive_scalar(lipschitz, "lipschitz")
    if lipschitz >= 1.0:
        raise ValueError(f"lipschitz must be < 1 (invertibility), got {lipschitz}")
    return lipschitz


class DiagonalModel(InvertibleModel):
    r"""Base of the diagonal models :math:`\phi(x) = \sum_j f_j(\langle x, v_j\rangle) v_j`.

    Subclasses give the scalar maps through the hooks ``_maps``, ``_maps_backward`` and
    ``_maps_inverse``: in closed form (:class:`~invlin.models.DiagonalLinear`) or from a table
    of scalar-map parameters (:class:`TableDiagonalModel`).

    Parameters
    ----------
    basis : OrthonormalBasis, array_like of shape (n, n), or int
        The basis V: an :class:`~invlin.operators.OrthonormalBasis` (e.g. a fast
        ``DCTBasis``, never formed as a matrix), an orthonormal matrix, or an integer n (the
        standard basis).
    input_scales, output_scales : array_like, shape (n,), optional
        Units r_j, q_j > 0 of each component (default 1): the kernel's scalar map F_j acts in
        normalised coordinates, f_j(t) = q_j F_j(t / r_j). Choosing r_j and q_j of the order of
        the component's data makes one learning rate fit every component when scales span
        orders of magnitude (a diagonal preconditioning; the function class is unchanged).

    Notes
    -----
    With coordinates :math:`t = V^T x`: :math:`D\phi(x) = V \operatorname{diag}(f_j'(t_j)) V^T`,
    :math:`\log\det D\phi = \sum_j \log f_j'(t_j)`,
    :math:`\operatorname{div}\phi = \sum_j f_j'(t_j)`,
    and :math:`\phi^{-1}(u) = V (f_j^{-1}(\langle u, v_j\rangle))_j`, each a monotone scalar
    equation solved by safeguarded Newton (exact up to the tolerance). With units,
    f_j'(t) = (q_j / r_j) F_j'(t / r_j) and f_j^{-1}(u) = r_j F_j^{-1}(u / q_j). Every
    operation applies V only through ``forward``/``adjoint`` (O(n log n) per point for a fast
    transform) except :meth:`jacobian` and the z-weighted metric, which are n x n by nature.
    """

    def __init__(self, basis, input_scales=None, output_scales=None):
        self._basis, self.dim = _as_basis(basis)
        self._input_scales = _as_unit_scales(input_scales, "input_scales", self.dim)
        self._output_scales = _as_unit_scales(output_scales, "output_scales", self.dim)

    @property
    def basis(self) -> np.ndarray:
        """The orthonormal basis V (columns v_j) as a dense matrix (O(n^2): small n only)."""
        return np.eye(self.dim) if self._basis is None else self._basis.matrix()

    # -- coordinates ------------------------------------------------------------------------
    def _coords(self, x: np.ndarray) -> np.ndarray:
        return x if self._basis is None else self._basis.forward(x)

    def _from_coords(self, t: np.ndarray) -> np.ndarray:
        return t if self._basis is None else self._basis.adjoint(t)

    @abc.abstractmethod
    def _maps(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f_j(t_ij) and f_j'(t_ij) at coordinates t of shape (N, n)."""

    def _slopes(self, x: np.ndarray) -> np.ndarray:
        return self._maps(self._coords(x))[1]

    @abc.abstractmethod
    def _maps_inverse(self, u_coords: np.ndarray, tol: float, max_iter: int):
        """t with f_j(t_ij) = u_ij to ``tol`` per component, and the iterations used per
        sample."""

    @abc.abstractmethod
    def _maps_backward(self, t, g_value, g_slope) -> np.ndarray:
        """Flat gradient of sum_ij g_value_ij f_j(t_ij) + g_slope_ij f_j'(t_ij)."""

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
            if self._basis is not None:  # V^T M V (M symmetric), through the transform
                metric = self._basis.forward(self._basis.forward(metric).T)
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
        u_coords = self._coords(u)
        t, iterations = self._maps_inverse(u_coords, RECONSTRUCTION_TOL, RECONSTRUCTION_MAX_ITER)
        values, slopes = self._maps(t)
        # The kernel solved F_j to RECONSTRUCTION_TOL / max q in normalised units, i.e. f_j to
        # RECONSTRUCTION_TOL; the check allows the rounding of rescaling by q (a few ulp of f).
        slack = RECONSTRUCTION_TOL + 4 * np.finfo(np.float64).eps * np.max(np.abs(values))
        if np.max(np.abs(values - u_coords)) > slack:
            raise InversionError(
                f"componentwise inversion missed {RECONSTRUCTION_TOL:.0e} after "
                f"{int(iterations.max())} iterations in the reconstruction loss"
            )
        error = t - self._coords(x)
        value = float(np.sum(error * error)) / n_samples
        # dt/dtheta = -(df/dtheta)(t) / f'(t) (implicit function theorem on f(t) = u).
        g_value = np.ascontiguousarray(-2.0 * error / (n_samples * slopes))
        return value, self._maps_backward(t, g_value, np.zeros_like(slopes))


class TableDiagonalModel(DiagonalModel):
    """A diagonal model whose flat parameters are its kernel table ``_params`` (n rows, one per
    component), row-major: :class:`~invlin.models.DiagonalNet` (the scalar maps of
    :mod:`invlin.models._diagonal_numba`, the hooks below) and
    :class:`~invlin.models.MonotoneSpline` (its own spline kernels). Subclasses set ``_params``
    in ``__init__``."""

    @property
    def n_parameters(self) -> int:
        return self._params.size

    def get_parameters(self) -> np.ndarray:
        return self._params.ravel().copy()

    def set_parameters(self, theta) -> None:
        theta = self._check_parameters(theta)
        self._params = np.ascontiguousarray(theta.reshape(self._params.shape))

    def _maps(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f_j(t_ij) and f_j'(t_ij) from the kernel's F_j in normalised coordinates."""
        values, slopes = scalar_maps(self._params, np.ascontiguousarray(t / self._input_scales))
        return (values * self._output_scales,
                slopes * (self._output_scales / self._input_scales))

    def _maps_inverse(self, u_coords: np.ndarray, tol: float, max_iter: int):
        """t with f_j(t_ij) = u_ij to ``tol`` per component, and the iterations used."""
        # |f_j - u| = q_j |F_j - u / q_j|: solving F to tol / max q meets tol in every component.
        tau, iterations = scalar_maps_inverse(
            self._params, np.ascontiguousarray(u_coords / self._output_scales),
            tol / np.max(self._output_scales), max_iter
        )
        return tau * self._input_scales, iterations

    def _maps_backward(self, t, g_value, g_slope) -> np.ndarray:
        """Flat gradient of sum_ij g_value_ij f_j(t_ij) + g_slope_ij f_j'(t_ij)."""
        q, r = self._output_scales, self._input_scales
        grad = scalar_maps_backward(self._params, np.ascontiguousarray(t / r),
                                    g_value * q, g_slope * (q / r))
        return grad.ravel().copy()
