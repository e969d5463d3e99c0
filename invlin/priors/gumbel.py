"""A skewed, log-concave, non-Gaussian 1-D prior: the Gumbel (minimum-of-exponentials) law."""

from __future__ import annotations

import numpy as np

from invlin._validation import finite_scalar, positive_int, positive_scalar, require_generator
from invlin._linalg import as_unit_vector
from invlin.priors.base import Prior

# The Euler-Mascheroni constant: the Gumbel mean is location + EULER_GAMMA * scale.
EULER_GAMMA = 0.57721566490153286061


class Gumbel(Prior):
    """The 1-D Gumbel (maximum) density, skewed to the right and strictly log-concave.

    Parameters
    ----------
    location : float
        The mode mu (finite).
    scale : float
        The scale beta > 0.

    Notes
    -----
    With u = (t - mu) / beta,

    .. math::

        p(t) = \\frac{1}{\\beta}\\exp\\bigl(-(u + e^{-u})\\bigr),\\qquad
        l' = \\frac{e^{-u} - 1}{\\beta},\\quad
        l'' = -\\frac{e^{-u}}{\\beta^2},\\quad
        l''' = \\frac{e^{-u}}{\\beta^3},

    so l'' < 0 (strictly log-concave) and l''' > 0 everywhere: the PM and the MAP differ at
    order delta^4 at every point (PM - MAP = delta^4 l'''/2 + ... for a = 1). The mode is mu,
    the mean mu + gamma beta (gamma the Euler-Mascheroni constant), the variance
    pi^2 beta^2 / 6. The right tail decays like e^{-u}, the left one like exp(-e^{-u}).
    Sampling: mu - beta log(E) with E ~ Exp(1).

    For u below about -709, e^{-u} overflows: the log-density is -inf there (p underflows to
    0) and the score is +inf, which propagate as non-finite values.

    The law of -t is not a Gumbel, so ``marginal`` accepts only v = [1].
    """

    dim = 1

    def __init__(self, location, scale):
        self._location = finite_scalar(location, "location")
        self._scale = positive_scalar(scale, "scale")

    def __repr__(self) -> str:
        return f"Gumbel(location={self._location!r}, scale={self._scale!r})"

    @property
    def location(self) -> float:
        """The mode mu."""
        return self._location

    @property
    def scale(self) -> float:
        """The scale beta."""
        return self._scale

    def _decay(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """u = (t - mu)/beta and e^{-u} (inf where it overflows)."""
        u = (t - self._location) / self._scale
        with np.errstate(over="ignore"):
            return u, np.exp(-u)

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        u, decay = self._decay(x[:, 0])
        return self._shape_result(-(u + decay) - np.log(self._scale), single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        _, decay = self._decay(x[:, 0])
        return self._shape_result(((decay - 1.0) / self._scale)[:, None], single)

    def hessian(self, x) -> np.ndarray:
        x, single = self._points(x)
        _, decay = self._decay(x[:, 0])
        return self._shape_result((-decay / self._scale**2)[:, None, None], single)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        u, decay = self._decay(t)
        beta = self._scale
        return np.stack([
            -(u + decay) - np.log(beta),
            (decay - 1.0) / beta,
            -decay / beta**2,
            decay / beta**3,
        ])

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        return self._location - self._scale * np.log(rng.standard_exponential((n_samples, 1)))

    def marginal(self, v) -> "Gumbel":
        v = as_unit_vector(v, "v", 1)
        if v[0] < 0:
            raise NotImplementedError(
                "the law of -t for a Gumbel t is a reflected Gumbel, not a Gumbel; only "
                "v = [1] has a Gumbel marginal"
            )
        return self

    @property
    def is_log_concave(self) -> bool:
        return True

    @property
    def mean(self) -> np.ndarray:
        return np.array([self._location + EULER_GAMMA * self._scale])

    @property
    def covariance(self) -> np.ndarray:
        return np.array([[np.pi**2 * self._scale**2 / 6.0]])

    def mode_candidates(self) -> np.ndarray:
        return np.array([[self._location]])

    # -- capabilities -------------------------------------------------------------------------
    def cdf(self, t) -> np.ndarray:
        _, decay = self._decay(np.asarray(t, dtype=np.float64))
        return np.exp(-decay)

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float]:
        # F(t) = exp(-e^{-u}); the upper tail 1 - F = -expm1(-e^{-u}) without cancellation
        _, decay = self._decay(np.array([lo, hi], dtype=np.float64))
        return float(np.exp(-decay[0])), float(-np.expm1(-decay[1]))

    def analytic_strip(self) -> float:
        # log p = -(u + e^{-u}) is entire, and on |Im t| < pi beta / 2 the factor
        # |exp(-e^{-u})| = exp(-e^{-Re u} cos(Im u)) stays <= 1 (see posterior_mean)
        return np.pi * self._scale / 2.0

    def max_log_density(self) -> float:
        return -1.0 - np.log(self._scale)  # at the mode u = 0
