"""The protocol every invertible model of invlin follows."""

from __future__ import annotations

import abc

import numpy as np

from invlin._validation import as_float_array, as_points, positive_int, positive_scalar


class InvertibleModel(abc.ABC):
    """A bijection phi: R^n -> R^n with a flat parameter vector.

    Subclasses document their parameter layout and implement the forward map, its Jacobian and
    the engine hooks ``_objective`` and ``_reconstruction_objective`` (value and exact gradient
    of the training objectives, see ``docs/architecture.md``).
    """

    dim: int

    # -- parameters -------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def n_parameters(self) -> int:
        """Length of the flat parameter vector."""

    @abc.abstractmethod
    def get_parameters(self) -> np.ndarray:
        """Return a copy of the flat parameter vector."""

    @abc.abstractmethod
    def set_parameters(self, theta) -> None:
        """Set the flat parameter vector (validated: shape and finiteness)."""

    def _check_parameters(self, theta) -> np.ndarray:
        theta = as_float_array(theta, "theta", ndim=1)
        if theta.shape[0] != self.n_parameters:
            raise ValueError(
                f"theta must have length n_parameters={self.n_parameters}, got {theta.shape[0]}"
            )
        return theta

    def _points(self, x, name: str = "x") -> tuple[np.ndarray, bool]:
        return as_points(x, name, self.dim)

    @staticmethod
    def _inverse_options(tol, max_iter) -> tuple[float, int]:
        return positive_scalar(tol, "tol"), positive_int(max_iter, "max_iter")

    # -- the map ----------------------------------------------------------------------------
    @abc.abstractmethod
    def forward(self, x) -> np.ndarray:
        """Evaluate phi at points of shape (N, n)."""

    @abc.abstractmethod
    def inverse(self, u, **options):
        """Evaluate phi^{-1} at points of shape (N, n)."""

    @abc.abstractmethod
    def jacobian(self, x) -> np.ndarray:
        """Jacobians D phi(x_i), shape (N, n, n)."""

    def logdet(self, x) -> np.ndarray:
        """log det D phi(x_i), shape (N,). Raises if a Jacobian is not positive definite in sign."""
        sign, value = np.linalg.slogdet(self.jacobian(x))
        if np.any(sign <= 0):
            raise ValueError("log det undefined: the Jacobian has non-positive determinant")
        return value

    def divergence(self, x) -> np.ndarray:
        """div phi(x_i) = tr D phi(x_i), shape (N,)."""
        return np.trace(self.jacobian(x), axis1=1, axis2=2)

    # -- constraints ------------------------------------------------------------------------
    def lipschitz(self) -> float | None:
        """Bound on Lip(g) where phi = Id + g, or None for an unconstrained model."""
        return None

    def is_invertible(self) -> bool:
        """Whether the current parameters guarantee a bijection.

        The default covers Lipschitz-constrained models (``lipschitz() < 1``); models whose
        invertibility has another certificate (non-zero determinant, positive slopes) override it.
        """
        bound = self.lipschitz()
        return bound is None or bound < 1.0

    def project(self) -> None:
        """Enforce the model's constraints after an optimiser step (default: none)."""

    def _projection(self, theta) -> np.ndarray:
        """P(theta): the parameter vector :meth:`project` makes of ``theta``. The model's own
        parameters are left as they were (models that can project a copy override this)."""
        saved = self.get_parameters()
        self.set_parameters(theta)
        self.project()
        projected = self.get_parameters()
        self.set_parameters(saved)
        return projected

    # -- engine hooks -----------------------------------------------------------------------
    @abc.abstractmethod
    def _objective(self, x, target, metric, regulariser, c) -> tuple[float, np.ndarray]:
        """Value and gradient of mean|phi(x)-t|^2_M - c mean R(x), R in {None, logdet, divergence}.

        ``metric`` None means M = I; ``regulariser`` None means no R term.
        """

    @abc.abstractmethod
    def _reconstruction_objective(self, u, x) -> tuple[float, np.ndarray]:
        """Value and gradient of mean|phi^{-1}(u) - x|^2."""
