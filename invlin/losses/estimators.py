"""Estimators of the log-det and divergence regularisers in training: exact or Hutchinson."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from invlin._validation import choice, positive_int, require_generator

__all__ = ["EXACT", "Hutchinson", "resolve_estimator"]

EXACT = "exact"
PROBE_DISTRIBUTIONS = ("rademacher", "gaussian")


@dataclass(frozen=True)
class Hutchinson:
    r"""Stochastic estimator of the regulariser R: Hutchinson probes and the log-det power series.

    Parameters
    ----------
    probes : int, default 1
        Number P of probe vectors per sample and step.
    terms : int, default 10
        Log-det only: order K of the power series (fixed truncation), or the number of terms
        always computed before the Russian roulette.
    roulette : float, optional
        Log-det only: if given, the parameter p in (0, 1) of the geometric number of extra
        terms E (:math:`P(E \ge k) = (1-p)^k`), making the estimate unbiased for the full series.
        None (default): fixed truncation at ``terms``, with a bias bounded by
        :meth:`truncation_bound`.
    distribution : {"rademacher", "gaussian"}, default "rademacher"
        Law of the probe entries (both have :math:`E[v v^T] = I`).

    Notes
    -----
    Divergence: :math:`\operatorname{div}\phi(x) = \operatorname{tr} D\phi(x)
    = E_v[v^T D\phi(x) v]`, estimated by the mean over P probes; unbiased, no truncation.

    Log-det: with :math:`J_k = J_{g_k}(x_{k-1})` and :math:`\|J_k\|_2 \le L < 1`,

    .. math:: \log\det D\phi(x) = \sum_k \sum_{j\ge1} \frac{(-1)^{j+1}}{j}\operatorname{tr}J_k^j,

    and each trace is replaced by :math:`v^T J_k^j v` (one probe for all blocks and powers).
    Fixed truncation at K has bias at most :math:`n L^{K+1}/((K+1)(1-L))` per block, because
    :math:`|\operatorname{tr}J^j| \le n \|J\|_2^j`. Russian roulette keeps terms
    :math:`j \le K` and adds the terms :math:`K < j \le K + E` divided by their survival
    probability :math:`P(E \ge j - K) = (1-p)^{j-K}`, so that
    :math:`E[\text{estimate}] = \sum_{j\ge1}` (the full series: unbiased, Chen et al. 2019).
    Its variance is finite when :math:`\|J_k\|_2^2 < 1 - p` (the weighted terms then decay
    geometrically), e.g. p = 0.1 for L <= 0.94.

    The gradient used in training is the exact gradient of the estimate at the drawn probes
    (reverse mode through the estimator), so its expectation is the gradient of the expected
    estimate: the exact gradient for the divergence and the roulette, the gradient of the
    truncated series for a fixed truncation. Probes and roulette lengths are drawn by the
    training generator outside the kernels.

    Examples
    --------
    >>> Hutchinson(probes=2, terms=4, roulette=0.2)
    Hutchinson(probes=2, terms=4, roulette=0.2, distribution='rademacher')
    """

    probes: int = 1
    terms: int = 10
    roulette: float | None = None
    distribution: str = "rademacher"

    def __post_init__(self):
        positive_int(self.probes, "probes")
        positive_int(self.terms, "terms")
        if self.roulette is not None:
            if isinstance(self.roulette, bool) or not isinstance(self.roulette, numbers.Real):
                raise TypeError(f"roulette must be a float in (0, 1) or None, got "
                                f"{type(self.roulette).__name__}")
            if not 0.0 < float(self.roulette) < 1.0:
                raise ValueError(f"roulette must be in (0, 1), got {self.roulette}")
        choice(self.distribution, "distribution", PROBE_DISTRIBUTIONS)

    def draw(self, rng, n_points: int, dim: int, regulariser: str):
        """Probes (N, P, n) and series coefficients (N, P, K) for one evaluation.

        The coefficients are empty (K = 0) for the divergence; for the log-det they are
        ``(-1)^(j+1)/j`` for j <= ``terms`` and, with roulette, ``(-1)^(j+1)/j / (1-p)^(j-terms)``
        up to the drawn length of each point and probe (zero beyond).
        """
        rng = require_generator(rng)
        shape = (n_points, self.probes, dim)
        if self.distribution == "rademacher":
            probes = 2.0 * rng.integers(0, 2, size=shape).astype(np.float64) - 1.0
        else:
            probes = rng.standard_normal(shape)
        if regulariser == "divergence":
            return probes, np.zeros((n_points, self.probes, 0))
        extra = np.zeros((n_points, self.probes), dtype=np.int64)
        if self.roulette is not None:
            extra = rng.geometric(self.roulette, size=(n_points, self.probes)) - 1
        order = self.terms + int(extra.max())
        j = np.arange(1, order + 1)
        coefs = np.broadcast_to((-1.0) ** (j + 1) / j, (n_points, self.probes, order)).copy()
        if self.roulette is not None:
            beyond = np.maximum(j - self.terms, 0)  # k = j - K for the roulette terms
            coefs /= (1.0 - self.roulette) ** beyond
            coefs[j[None, None, :] > self.terms + extra[:, :, None]] = 0.0
        return probes, coefs

    def truncation_bound(self, model, regulariser: str) -> float:
        """Bound on |E[estimate] - R| per point: 0 if unbiased, else B n L^(K+1)/((K+1)(1-L))."""
        if regulariser == "divergence" or self.roulette is not None:
            return 0.0
        lip = model.lipschitz()
        return model.blocks * model.dim * lip ** (self.terms + 1) / ((self.terms + 1) * (1 - lip))

    def regulariser(self, model, x, regulariser: str, rng):
        """Per-point estimates of R (mean over the probes), shape (N,), and the exact gradient
        of their mean at the drawn probes."""
        if not hasattr(model, "_stochastic_regulariser"):
            raise TypeError(
                f"stochastic estimators are implemented for IResNet models, not "
                f"{type(model).__name__}; use estimator='exact'"
            )
        probes, coefs = self.draw(rng, x.shape[0], model.dim, regulariser)
        est, grad = model._stochastic_regulariser(x, regulariser, probes, coefs)
        return est.mean(axis=1), grad

    def objective(self, model, x, target, metric, regulariser: str, c: float, rng):
        r"""Value and gradient of :math:`\mathrm{mean}_i|\phi(x_i)-t_i|^2_M - c\,\mathrm{mean}_i
        \hat R(x_i)`: the data term exactly (the model's engine hook), R by this estimator."""
        data, data_grad = model._objective(x, target, metric, None, 0.0)
        reg, reg_grad = self.regulariser(model, x, regulariser, rng)
        return data - c * float(np.mean(reg)), data_grad - c * reg_grad


def resolve_estimator(estimator):
    """``"exact"`` or a :class:`Hutchinson` instance (TypeError/ValueError otherwise)."""
    if isinstance(estimator, Hutchinson):
        return estimator
    if isinstance(estimator, str):
        return choice(estimator, "estimator", (EXACT,))
    raise TypeError(f"estimator must be 'exact' or a Hutchinson instance, got "
                    f"{type(estimator).__name__}")
