"""The interface every prior density of invlin implements."""

from __future__ import annotations

import abc

import numpy as np

from invlin._validation import as_points


class Prior(abc.ABC):
    """A probability density p on R^n, evaluated at many points at once.

    Points are arrays of shape ``(N, n)``; a single point of shape ``(n,)`` is accepted and a
    result without the leading axis returned.

    Attributes
    ----------
    dim : int
        The dimension n.
    """

    dim: int

    def _points(self, x) -> tuple[np.ndarray, bool]:
        return as_points(x, "x", self.dim)

    @staticmethod
    def _shape_result(values: np.ndarray, single: bool) -> np.ndarray:
        return values[0] if single else values

    @abc.abstractmethod
    def logpdf(self, x) -> np.ndarray:
        """Log-density log p(x_i), shape ``(N,)``."""

    @abc.abstractmethod
    def score(self, x) -> np.ndarray:
        """Score grad log p(x_i), shape ``(N, n)``."""

    @abc.abstractmethod
    def hessian(self, x) -> np.ndarray:
        """Hessian of log p at x_i, shape ``(N, n, n)``."""

    @abc.abstractmethod
    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n_samples`` points, shape ``(n_samples, n)``, with the Generator ``rng``."""

    @abc.abstractmethod
    def marginal(self, v) -> "Prior":
        """The law of the coefficient <x, v> for a unit vector v, as a 1-D prior."""

    @property
    @abc.abstractmethod
    def is_log_concave(self) -> bool | None:
        """Whether log p is concave (``None`` when not known in closed form)."""

    @property
    @abc.abstractmethod
    def mean(self) -> np.ndarray:
        """The mean E[x], shape ``(n,)``."""

    @property
    @abc.abstractmethod
    def covariance(self) -> np.ndarray:
        """The covariance Cov[x], shape ``(n, n)``."""

    @abc.abstractmethod
    def mode_candidates(self) -> np.ndarray:
        """Points, shape ``(K, n)``, near which the modes of p lie (starts for MAP searches)."""
