"""A smooth, log-concave, non-Gaussian prior: a product of 1-D logistic densities."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array, positive_int, require_generator
from invlin._linalg import as_orthonormal_basis, as_unit_vector
from invlin.priors._logistic import logistic_curvature, logistic_logpdf, logistic_score
from scipy.special import expit

from invlin.priors.base import Prior, ProductStructure


class LogisticProduct(Prior):
    """Product of logistic densities of the coefficients in an orthonormal basis.

    Parameters
    ----------
    scales : array_like, shape (n,)
        Logistic scales s_j > 0.
    basis : array_like, shape (n, n), optional
        Orthonormal matrix whose columns b_j are the directions (default: identity).
    loc : array_like, shape (n,), optional
        The centre (default: 0); it is the mean, median and mode.

    Notes
    -----
    With coefficients t_j = <x - loc, b_j>,

    .. math::

        p(x) = \\prod_j \\ell(t_j; s_j),\\qquad
        \\ell(t; s) = \\frac{e^{-t/s}}{s\\,(1 + e^{-t/s})^2}.

    The density is symmetric in t, so it is evaluated as
    log l = -log s - |u| - 2 log1p(e^{-|u|}), u = t/s, which never overflows. Derivatives:
    (log l)'(t) = -tanh(t/(2s))/s and (log l)''(t) = -sech^2(t/(2s))/(2 s^2) < 0, with
    sech^2(u/2) = 4 e^{-|u|}/(1 + e^{-|u|})^2. Hence p is smooth and strictly log-concave,
    with mean loc and covariance B diag(pi^2 s_j^2 / 3) B^T.

    The marginal of <x, v> is logistic (closed form) when v = +-b_j; along other directions it is
    a convolution of logistic densities without closed form, and ``marginal`` raises
    ``NotImplementedError``.
    """

    def __init__(self, scales, basis=None, loc=None):
        scales = as_float_array(scales, "scales", ndim=1)
        if scales.shape[0] < 1:
            raise ValueError("scales must have length >= 1")
        if np.any(scales <= 0):
            raise ValueError(f"scales must be > 0, got {scales.tolist()}")
        self.dim = scales.shape[0]
        self._scales = scales
        if basis is None:
            self._basis = np.eye(self.dim)
        else:
            self._basis = as_orthonormal_basis(basis, "basis", self.dim)
        if loc is None:
            self._loc = np.zeros(self.dim)
        else:
            self._loc = as_float_array(loc, "loc", ndim=1)
            if self._loc.shape[0] != self.dim:
                raise ValueError(f"loc must have length {self.dim}, got {self._loc.shape[0]}")

    def __repr__(self) -> str:
        return (
            f"LogisticProduct(scales={self._scales.tolist()}, basis={self._basis.tolist()}, "
            f"loc={self._loc.tolist()})"
        )

    @property
    def scales(self) -> np.ndarray:
        """Logistic scales s_j, shape ``(n,)``."""
        return self._scales.copy()

    @property
    def basis(self) -> np.ndarray:
        """Orthonormal basis, columns b_j, shape ``(n, n)``."""
        return self._basis.copy()

    @property
    def loc(self) -> np.ndarray:
        """The centre, shape ``(n,)``."""
        return self._loc.copy()

    def _coefficients(self, x: np.ndarray) -> np.ndarray:
        """t_j = <x - loc, b_j>, shape (N, n)."""
        return (x - self._loc) @ self._basis

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        values = logistic_logpdf(self._coefficients(x), self._scales)
        return self._shape_result(values.sum(axis=1), single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        derivative = logistic_score(self._coefficients(x), self._scales)
        return self._shape_result(derivative @ self._basis.T, single)

    def hessian(self, x) -> np.ndarray:
        x, single = self._points(x)
        curvature = logistic_curvature(self._coefficients(x), self._scales)
        hess = np.einsum("ij,nj,kj->nik", self._basis, curvature, self._basis)
        return self._shape_result(hess, single)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        # 1-D, v = (t - loc)/s: l' = -tanh(v/2)/s, l'' = -sech^2(v/2)/(2 s^2),
        # l''' = sech^2(v/2) tanh(v/2)/(2 s^3).
        scale = self._scales[0]
        half = 0.5 * (t - self._loc[0]) / scale
        tanh = np.tanh(half)
        decay = np.exp(-2.0 * np.abs(half))
        sech2 = 4.0 * decay / (1.0 + decay) ** 2  # sech^2(v/2) without cancellation in the tails
        return np.stack([
            self.logpdf(t[:, None]),
            -tanh / scale,
            -sech2 / (2.0 * scale**2),
            sech2 * tanh / (2.0 * scale**3),
        ])

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        coefficients = rng.logistic(0.0, self._scales, size=(n_samples, self.dim))
        return self._loc + coefficients @ self._basis.T

    def marginal(self, v) -> "LogisticProduct":
        v = as_unit_vector(v, "v", self.dim)
        overlaps = self._basis.T @ v
        j = int(np.argmax(np.abs(overlaps)))
        others = np.delete(overlaps, j)
        # v = +-b_j up to rounding: the other coefficients vanish (to 1e-12, the tolerance the
        # API states for "v is a basis vector").
        if others.size and np.max(np.abs(others)) > 1e-12:
            raise NotImplementedError(
                "the marginal of a LogisticProduct along v is a convolution of logistic "
                "densities without closed form unless v = +-b_j (a basis vector); "
                f"max |<v, b_i>| over the other basis vectors is {np.max(np.abs(others)):.3e}"
            )
        return LogisticProduct([self._scales[j]], loc=[self._loc @ v])

    @property
    def is_log_concave(self) -> bool:
        return True

    @property
    def mean(self) -> np.ndarray:
        return self._loc.copy()

    @property
    def covariance(self) -> np.ndarray:
        variances = np.pi**2 * self._scales**2 / 3.0
        return (self._basis * variances) @ self._basis.T

    def mode_candidates(self) -> np.ndarray:
        return self._loc.reshape(1, self.dim).copy()

    # -- capabilities -------------------------------------------------------------------------
    def product_structure(self) -> ProductStructure:
        factors = tuple(self.marginal(self._basis[:, j]) for j in range(self.dim))
        return ProductStructure(self._basis.copy(), factors)

    def cdf(self, t) -> np.ndarray:
        self._require_1d("cdf")
        return expit((np.asarray(t, dtype=np.float64) - self._loc[0]) / self._scales[0])

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float]:
        self._require_1d("tail_masses")
        s, loc = self._scales[0], self._loc[0]
        return float(expit((lo - loc) / s)), float(expit(-(hi - loc) / s))

    def analytic_strip(self) -> float:
        # the poles of tanh(t / (2 s)) lie at t = i pi s (2k + 1)
        self._require_1d("analytic_strip")
        return np.pi * self._scales[0]

    def resolution(self) -> float:
        self._require_1d("resolution")
        return float(self._scales[0])

    def max_log_density(self) -> float:
        self._require_1d("max_log_density")
        return float(-np.log(4.0 * self._scales[0]))  # l(0) = 1/(4 s)
