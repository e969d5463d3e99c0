"""The interface every prior density of invlin implements, and its optional capabilities."""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from invlin._validation import as_float_array, as_points

#: Highest derivative order of log p that :meth:`Prior.log_density_derivatives` returns.
MAX_DERIVATIVE_ORDER = 3


@dataclass(frozen=True)
class GaussianComponents:
    """A prior that is the Gaussian mixture sum_k w_k N(mu_k, Sigma_k) (a Gaussian: K = 1).

    Attributes
    ----------
    weights : ndarray, shape (K,)
        w_k >= 0, summing to 1.
    means : ndarray, shape (K, n)
    covs : ndarray, shape (K, n, n)
        Symmetric positive definite.
    """

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray


@dataclass(frozen=True)
class ProductStructure:
    """Independent coefficients c_j = <x, b_j> of a prior in an orthonormal basis.

    Attributes
    ----------
    basis : ndarray, shape (n, n), or invlin.operators.OrthonormalBasis
        The directions b_j (the columns of a matrix; for a fast transform
        ``basis.forward(x)`` gives the coefficients c).
    factors : tuple of Prior
        ``factors[j]`` is the 1-D law of c_j: p(x) = prod_j p_j(<x, b_j>).
    """

    basis: object
    factors: tuple

    def basis_matrix(self) -> np.ndarray:
        """The basis as a dense (n, n) matrix with columns b_j (a fast transform is formed)."""
        if isinstance(self.basis, np.ndarray):
            return self.basis
        return self.basis.matrix()


class Prior(abc.ABC):
    """A probability density p on R^n, evaluated at many points at once.

    Points are arrays of shape ``(N, n)``; a single point of shape ``(n,)`` is accepted and a
    result without the leading axis returned.

    Attributes
    ----------
    dim : int
        The dimension n.

    Notes
    -----
    Besides the abstract methods, a prior may declare optional *capabilities*. The estimators,
    references and quadrature ask for them (never for the prior's class) and take an exact or
    faster route where one is declared. Every capability has a default meaning "not known";
    the generic routes then use only ``logpdf``, ``score``, ``hessian``, ``mean``,
    ``covariance`` and ``mode_candidates``. See docs/architecture.md, "Prior protocol".

    ``gaussian_components()``
        :class:`GaussianComponents` or None: closed-form posteriors, evidences and population
        losses.
    ``product_structure()``
        :class:`ProductStructure` or None: per-component 1-D estimators when the operator is
        diagonal in the basis.
    ``log_density_derivatives(t, order)`` (1-D)
        l, l', l'', l''' (``NotImplementedError`` when unknown).
    ``cdf(t)``, ``tail_masses(lo, hi)`` (1-D)
        The distribution function, and upper bounds on P(X < lo) and P(X > hi) (None when
        unknown): rigorous quadrature tail bounds and support cuts.
    ``kinks()`` (1-D)
        Points where log p is not differentiable (panel breaks, MAP candidates).
    ``analytic_strip()`` (1-D)
        Half-width of a strip |Im t| < w where log p is analytic, or None (the exponentially
        accurate trapezoidal posterior mean of log-concave priors needs it).
    ``resolution()`` (1-D)
        A length below which p has no features (quadrature steps and MAP scans use fractions
        of it); default: the standard deviation.
    ``max_log_density()`` (1-D)
        An upper bound on log p (the window of the 1-D MAP scan); default: the largest log p
        over ``mode_candidates``.
    """

    dim: int

    def _points(self, x) -> tuple[np.ndarray, bool]:
        return as_points(x, "x", self.dim)

    def _require_1d(self, what: str) -> None:
        if self.dim != 1:
            raise ValueError(f"{what} needs a 1-D prior (use marginal(v)), got dim {self.dim}")

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

    # -- optional capabilities (defaults: not known) ------------------------------------------
    def gaussian_components(self) -> GaussianComponents | None:
        """The prior as a Gaussian mixture, or None if it is not one."""
        return None

    def product_structure(self) -> ProductStructure | None:
        """Independent 1-D factors in an orthonormal basis, or None."""
        return None

    def cdf(self, t) -> np.ndarray | None:
        """P(X <= t) for a 1-D prior, shape like ``t``; None when not known."""
        return None

    def tail_masses(self, lo: float, hi: float) -> tuple[float, float] | None:
        """Upper bounds on (P(X < lo), P(X > hi)) for a 1-D prior; None when not known.

        The default uses :meth:`cdf` when the prior declares one; 1 - F(hi) loses relative
        accuracy below ~1e-16, so priors with a closed-form survival function override this.
        """
        values = self.cdf(np.array([lo, hi], dtype=np.float64))
        if values is None:
            return None
        return float(values[0]), float(max(1.0 - values[1], 0.0))

    def closed_form_posterior_mean(self, a, delta, data) -> np.ndarray | None:
        """E[c | data] for data = a c + delta e, e ~ N(0, 1), in closed form; None when not known.

        1-D priors: ``a > 0`` a scalar, ``data`` an array of measurements. Product priors in a
        basis (``dim > 1``): per coefficient, ``a`` the singular values (shape ``(n,)``) and
        ``data`` the data coefficients (shape ``(N, n)``); the result has the shape of ``data``.
        """
        return None

    def closed_form_map(self, a, delta, data) -> np.ndarray | None:
        """argmax_c p(c | data) in closed form (arguments as ``closed_form_posterior_mean``); None
        when not known. Declared only for log-concave priors (a unique maximiser)."""
        return None

    def kinks(self) -> np.ndarray:
        """Points, shape ``(K,)``, where log p (1-D) is not differentiable (default: none)."""
        return np.empty(0)

    def analytic_strip(self) -> float | None:
        """Half-width w of a strip |Im t| < w where log p (1-D) is analytic, or None."""
        return None

    def resolution(self) -> float:
        """A length below which a 1-D p has no features (default: its standard deviation)."""
        return float(np.sqrt(self.covariance[0, 0]))

    def max_log_density(self) -> float:
        """An upper bound on log p (1-D); default: the largest log p over ``mode_candidates``.

        The default is a bound only if the global mode is among the candidates; priors that
        cannot promise that override it.
        """
        return float(np.max(self.logpdf(self.mode_candidates())))
