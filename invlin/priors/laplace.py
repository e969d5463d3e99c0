"""The Laplace (double-exponential) prior in 1-D: the l1 / sparsity prior."""

from __future__ import annotations

import numpy as np

from invlin._validation import finite_scalar, positive_int, positive_scalar, require_generator
from invlin.priors._laplace import laplace_map, laplace_posterior_mean
from invlin._linalg import as_unit_vector
from invlin.priors.base import Prior


class Laplace(Prior):
    r"""The 1-D Laplace density p(t) = exp(-|t - loc|/scale) / (2 scale).

    Parameters
    ----------
    loc : float
        The mode, median and mean mu (finite).
    scale : float
        The scale b > 0 (variance 2 b^2).

    Notes
    -----
    log p is concave, with a kink at mu: l' = -sign(t - mu)/b away from it (``score`` returns
    the minimum-norm subgradient 0 at mu), l'' = l''' = 0 away from it. The prior declares the
    kink (``kinks``) so that quadratures break their panels there. With y = a x + delta eta
    the posterior is a two-sided truncated Gaussian, and both estimators have closed forms
    (``closed_form_posterior_mean``, ``closed_form_map``; :mod:`theory.laplace`):

    .. math::

        x_{MAP} = \mu + S_\tau(y/a - \mu),\quad \tau = \frac{\delta^2}{a^2 b},\qquad
        x_{PM} = \mu + t - \tau\,\frac{R(\alpha) - R(\beta)}{R(\alpha) + R(\beta)},

    t = y/a - mu, sigma = delta/a, alpha = (t - tau)/sigma, beta = -(t + tau)/sigma,
    R = Phi/phi the Mills ratio (evaluated in logs, :mod:`invlin.priors._laplace`).

    Examples
    --------
    >>> import numpy as np
    >>> from invlin.priors import Laplace
    >>> prior = Laplace(0.0, 1.0)
    >>> prior.closed_form_map(1.0, 0.5, np.array([0.1, 2.0]))  # tau = 0.25
    array([0.  , 1.75])
    """

    dim = 1

    def __init__(self, loc, scale):
        self._loc = finite_scalar(loc, "loc")
        self._scale = positive_scalar(scale, "scale")

    def __repr__(self) -> str:
        return f"Laplace(loc={self._loc!r}, scale={self._scale!r})"

    @property
    def loc(self) -> float:
        """The location mu (mode, median, mean)."""
        return self._loc

    @property
    def scale(self) -> float:
        """The scale b."""
        return self._scale

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        values = -np.abs(x[:, 0] - self._loc) / self._scale - np.log(2.0 * self._scale)
        return self._shape_result(values, single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        return self._shape_result(-np.sign(x - self._loc) / self._scale, single)

    def hessian(self, x) -> np.ndarray:
        """Zero away from the kink (log p is piecewise linear)."""
        x, single = self._points(x)
        return self._shape_result(np.zeros((x.shape[0], 1, 1)), single)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        u = t - self._loc
        zeros = np.zeros_like(t)
        return np.stack([-np.abs(u) / self._scale - np.log(2.0 * self._scale),
                         -np.sign(u) / self._scale, zeros, zeros])

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        n_samples = positive_int(n_samples, "n_samples")
        rng = require_generator(rng)
        return rng.laplace(self._loc, self._scale, size=(n_samples, 1))

    def marginal(self, v) -> "Laplace":
        v = as_unit_vector(v, "v", 1)
        return self if v[0] > 0 else Laplace(-self._loc, self._scale)

    @property
    def is_log_concave(self) -> bool:
        return True

    @property
    def mean(self) -> np.ndarray:
        return np.array([self._loc])

    @property
    def covariance(self) -> np.ndarray:
        return np.array([[2.0 * self._scale**2]])

    def mode_candidates(self) -> np.ndarray:
        return np.array([[self._loc]])

    # -- capabilities -------------------------------------------------------------------------
    def cdf(self, t) -> np.ndarray:
        u = (np.asarray(t, dtype=np.float64) - self._loc) / self._scale
        with np.errstate(over="ignore"):
            return np.where(u < 0, 0.5 * np.exp(np.minimum(u, 0.0)), 1.0 - 0.5 * np.exp(-np.maximum(u, 0.0)))

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float]:
        # closed-form tails on each side (no 1 - F cancellation)
        low = (lo - self._loc) / self._scale
        high = (hi - self._loc) / self._scale
        below = 0.5 * np.exp(low) if low < 0 else 1.0 - 0.5 * np.exp(-low)
        above = 0.5 * np.exp(-high) if high > 0 else 1.0 - 0.5 * np.exp(high)
        return float(below), float(above)

    def kinks(self) -> np.ndarray:
        return np.array([self._loc])

    def max_log_density(self) -> float:
        return -float(np.log(2.0 * self._scale))

    def closed_form_posterior_mean(self, a, delta, data) -> np.ndarray:
        """E[x | data], data = a x + delta eta (a > 0, broadcast with ``data``)."""
        return laplace_posterior_mean(data, self._loc, self._scale, a, delta)

    def closed_form_map(self, a, delta, data) -> np.ndarray:
        """The MAP: the soft threshold loc + S_tau(data/a - loc), tau = delta^2/(a^2 scale)."""
        return laplace_map(data, self._loc, self._scale, a, delta)
