"""What the products of independent coefficients in a fast orthonormal basis share."""

from __future__ import annotations

import numpy as np

from invlin._validation import as_float_array, positive_scalar
from invlin.priors.base import Prior


class TransformProduct(Prior):
    r"""A prior on x whose coefficients c = V^T x in a fast orthonormal basis V are independent,
    with per-coefficient scales; subclasses give the coefficients' law.

    Subclasses call :meth:`_set_scales` in their constructor and define
    ``coefficient_logpdf`` and ``coefficient_score`` (arrays (N, n) of coefficients in, arrays
    of the same shape out); ``logpdf`` and ``score`` then cost one transform per point.
    """

    def _set_scales(self, scales, basis) -> None:
        """Validate and keep the scales (one per basis vector, > 0) and the basis."""
        from invlin.operators import OrthonormalBasis  # deferred: operators import the priors

        if not isinstance(basis, OrthonormalBasis):
            raise TypeError(
                f"basis must be an invlin.operators.OrthonormalBasis, got {type(basis).__name__}"
            )
        scales = as_float_array(scales, "scales", ndim=1)
        if scales.shape[0] != basis.dim:
            raise ValueError(f"scales must have length basis.dim = {basis.dim}, got "
                             f"{scales.shape[0]}")
        if np.any(scales <= 0):
            raise ValueError("scales must be > 0")
        self.dim = basis.dim
        self._scales, self._basis = scales, basis

    @classmethod
    def power_law(cls, basis, exponent: float, scale: float = 1.0):
        """The prior with scales scale * (1 + j)^(-exponent), j = 0, ..., n - 1
        (natural-signal decay), and its other parameters at their defaults.

        Parameters
        ----------
        basis : invlin.operators.OrthonormalBasis
        exponent : float
            Decay exponent alpha >= 0.
        scale : float, optional
            The first scale, > 0.
        """
        exponent = float(exponent)
        if not np.isfinite(exponent) or exponent < 0:
            raise ValueError(f"exponent must be finite and >= 0, got {exponent}")
        scale = positive_scalar(scale, "scale")
        return cls(scale * (1.0 + np.arange(basis.dim)) ** (-exponent), basis)

    @property
    def scales(self) -> np.ndarray:
        """The coefficients' scales, shape ``(n,)`` (a copy)."""
        return self._scales.copy()

    @property
    def basis(self):
        """The basis V (an :class:`~invlin.operators.OrthonormalBasis`)."""
        return self._basis

    def logpdf(self, x) -> np.ndarray:
        x, single = self._points(x)
        values = self.coefficient_logpdf(self._basis.forward(x)).sum(axis=1)
        return self._shape_result(values, single)

    def score(self, x) -> np.ndarray:
        x, single = self._points(x)
        score = self._basis.adjoint(self.coefficient_score(self._basis.forward(x)))
        return self._shape_result(score, single)

    def _basis_vector(self, v) -> tuple[int, float]:
        """(j, +-1) if v = +-v_j, else NotImplementedError (the marginal along another v has
        no closed form). v counts as a basis vector when its other coefficients vanish to
        1e-12 (rounding of an orthonormal transform)."""
        v = as_float_array(v, "v", ndim=1)
        if v.shape[0] != self.dim:
            raise ValueError(f"v must have length {self.dim}, got {v.shape[0]}")
        overlaps = self._basis.forward(v)
        j = int(np.argmax(np.abs(overlaps)))
        others = np.delete(overlaps, j)
        if abs(abs(overlaps[j]) - 1.0) > 1e-12 or (others.size and np.max(np.abs(others)) > 1e-12):
            raise NotImplementedError(
                f"the marginal of a {type(self).__name__} along v has a closed form only for "
                f"v = +-v_j (a unit basis vector)"
            )
        return j, float(np.sign(overlaps[j]))
