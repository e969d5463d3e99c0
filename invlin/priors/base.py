"""The interface every prior density of invlin implements."""

from __future__ import annotations

import abc

import numpy as np

from invlin._validation import as_float_array, as_points

#: Highest derivative order of log p that :meth:`Prior.log_density_derivatives` returns.
MAX_DERIVATIVE_ORDER = 3


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

    def log_density_derivatives(self, t, order: int = MAX_DERIVATIVE_ORDER) -> np.ndarray:
        """Derivatives l, l', ..., l^(order) of l = log p for a 1-D prior.

        Parameters
        ----------
        t : array_like, shape (N,) or scalar
            Points (finite).
        order : int, optional
            Highest order, 0 <= order <= 3 (default 3: the third derivative l''' that the
            delta^4 terms of the PM and MAP series need).

        Returns
        -------
        ndarray, shape (order + 1,) + t.shape
            Row j holds d^j/dt^j log p(t).

        Raises
        ------
        ValueError
            If the prior is not 1-D or ``order`` is outside [0, 3].
        NotImplementedError
            If the prior has no closed form for these derivatives.

        Notes
        -----
        For a 1-D prior, rows 1 and 2 equal ``score`` and ``hessian``; row 3, the third
        derivative l''', is what the delta^4 coefficients of the PM and MAP series need
        (PM - MAP = delta^4 l'''/2 + ... for a = 1). A product prior provides the rows per
        component through ``marginal``.
        """
        if self.dim != 1:
            raise ValueError(
                "log_density_derivatives needs a 1-D prior (use marginal(v) of a product "
                f"prior), got dim {self.dim}"
            )
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
            raise TypeError(f"order must be an integer, got {type(order).__name__}")
        if not 0 <= order <= MAX_DERIVATIVE_ORDER:
            raise ValueError(f"order must be in [0, {MAX_DERIVATIVE_ORDER}], got {order}")
        t = as_float_array(t, "t")
        if t.ndim > 1:
            raise ValueError(f"t must be a scalar or a 1-D array, got shape {t.shape}")
        values = self._log_density_derivatives(np.atleast_1d(t))[: order + 1]
        return values.reshape((order + 1,) + t.shape)

    def _log_density_derivatives(self, t: np.ndarray) -> np.ndarray:
        """Rows l, l', l'', l''' (shape (4, N)) at points ``t`` (shape (N,)); 1-D priors."""
        raise NotImplementedError(
            f"{type(self).__name__} has no closed form for the derivatives of log p"
        )

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
