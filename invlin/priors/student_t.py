"""The heavy-tailed 1-D Student-t prior (not log-concave: bimodal posteriors, jumping MAPs)."""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, stdtr

from invlin._validation import finite_scalar, positive_int, positive_scalar, require_generator
from invlin._linalg import as_unit_vector
from invlin.priors.base import Prior


class StudentT(Prior):
    """The 1-D Student-t density with nu degrees of freedom, location mu and scale s.

    Parameters
    ----------
    nu : float
        Degrees of freedom nu > 0 (nu = 1: Cauchy).
    loc : float, optional
        The location mu (mode and median; the mean for nu > 1).
    scale : float, optional
        The scale s > 0.

    Notes
    -----
    With u = (t - mu)/s and c = log Gamma((nu+1)/2) - log Gamma(nu/2) - log(nu pi)/2 - log s,

    .. math::

        l = c - \\frac{\\nu+1}{2}\\log\\Bigl(1 + \\frac{u^2}{\\nu}\\Bigr),\\quad
        l' = -\\frac{(\\nu+1)\\,u}{s(\\nu + u^2)},\\quad
        l'' = -\\frac{(\\nu+1)(\\nu - u^2)}{s^2(\\nu + u^2)^2},\\quad
        l''' = \\frac{2(\\nu+1)\\,u\\,(3\\nu - u^2)}{s^3(\\nu + u^2)^3}.

    l'' > 0 for |u| > sqrt(nu): p is not log-concave, so a posterior can be bimodal. The tails
    are polynomial, P(X > t) ~ t^{-nu}; the distribution function is F(t) = stdtr(nu, u)
    (SciPy's regularised incomplete beta), and P(X > t) = stdtr(nu, -u) without cancellation.
    Mean mu for nu > 1 (NaN otherwise), variance s^2 nu/(nu - 2) for nu > 2 (inf otherwise).
    log p has branch points at u = +-i sqrt(nu): it is analytic on |Im t| < s sqrt(nu).
    Sampling: mu + s T, T from ``Generator.standard_t``.
    """

    dim = 1

    def __init__(self, nu, loc=0.0, scale=1.0):
        self._nu = positive_scalar(nu, "nu")
        self._loc = finite_scalar(loc, "loc")
        self._scale = positive_scalar(scale, "scale")
        nu = self._nu
        self._log_norm = (gammaln(0.5 * (nu + 1.0)) - gammaln(0.5 * nu)
                          - 0.5 * np.log(nu * np.pi) - np.log(self._scale))

    def __repr__(self) -> str:
        return f"StudentT(nu={self._nu!r}, loc={self._loc!r}, scale={self._scale!r})"

    @property
    def nu(self) -> float:
        """Degrees of freedom."""
        return self._nu

    @property
    def loc(self) -> float:
        """The location mu."""
        return self._loc

    @property
    def scale(self) -> float:
        """The scale s."""
        return self._scale

    def _u(self, t):
        return (np.asarray(t, dtype=np.float64) - self._loc) / self._scale

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        nu, s = self._nu, self._scale
        u = self._u(t)
        q = nu + u * u
        return np.stack([
            self._log_norm - 0.5 * (nu + 1.0) * np.log1p(u * u / nu),
            -(nu + 1.0) * u / (s * q),
            -(nu + 1.0) * (nu - u * u) / (s**2 * q**2),
            2.0 * (nu + 1.0) * u * (3.0 * nu - u * u) / (s**3 * q**3),
        ])

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        u = self._u(x[:, 0])
        values = self._log_norm - 0.5 * (self._nu + 1.0) * np.log1p(u * u / self._nu)
        return self._shape_result(values, single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        u = self._u(x[:, 0])
        return self._shape_result((-(self._nu + 1.0) * u / (self._scale * (self._nu + u * u)))
                                  [:, None], single)

    def hessian(self, x) -> np.ndarray:
        x, single = self._points(x)
        u = self._u(x[:, 0])
        nu = self._nu
        values = -(nu + 1.0) * (nu - u * u) / (self._scale**2 * (nu + u * u) ** 2)
        return self._shape_result(values[:, None, None], single)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        return self._loc + self._scale * rng.standard_t(self._nu, size=(n_samples, 1))

    def marginal(self, v) -> "StudentT":
        v = as_unit_vector(v, "v", 1)
        return StudentT(self._nu, self._loc * v[0], self._scale)

    @property
    def is_log_concave(self) -> bool:
        return False

    @property
    def mean(self) -> np.ndarray:
        return np.array([self._loc if self._nu > 1 else np.nan])

    @property
    def covariance(self) -> np.ndarray:
        variance = self._scale**2 * self._nu / (self._nu - 2.0) if self._nu > 2 else np.inf
        return np.array([[variance]])

    def mode_candidates(self) -> np.ndarray:
        return np.array([[self._loc]])

    # -- capabilities -------------------------------------------------------------------------
    def cdf(self, t) -> np.ndarray:
        return stdtr(self._nu, self._u(t))

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float]:
        # polynomial tails, in closed form: P(X > hi) = stdtr(nu, -u) (no cancellation)
        return float(stdtr(self._nu, self._u(lo))), float(stdtr(self._nu, -self._u(hi)))

    def analytic_strip(self) -> float:
        return self._scale * np.sqrt(self._nu)

    def resolution(self) -> float:
        return self._scale

    def max_log_density(self) -> float:
        return float(self._log_norm)
