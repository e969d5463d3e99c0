"""Stochastic log-determinant and divergence of an i-ResNet (power series + Hutchinson probes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invlin._validation import choice, positive_int, require_generator
from invlin.models import _iresnet_numba as _kernels
from invlin.models.iresnet import IResNet


@dataclass(frozen=True)
class StochasticEstimate:
    """Per-point Monte Carlo estimates with their sampling variance.

    Attributes
    ----------
    value : ndarray, shape (N,)
        Mean over the probes of the per-probe estimates at each point.
    variance : ndarray, shape (N,)
        Estimated variance of ``value`` (sample variance of the probe estimates, ddof=1,
        divided by the number of probes).
    n_probes : int
    order : int or None
        Truncation order of the power series (None for the divergence, which has no series).
    truncation_bound : float or None
        Bound on |truncated series - log det D phi| (log det only).
    """

    value: np.ndarray
    variance: np.ndarray
    n_probes: int
    order: int | None
    truncation_bound: float | None

    @property
    def standard_error(self) -> np.ndarray:
        """sqrt(variance): the standard error of ``value`` at each point."""
        return np.sqrt(self.variance)


def _probes(rng, n_points, n_probes, dim, probe):
    if probe == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_points, n_probes, dim))
    return rng.standard_normal((n_points, n_probes, dim))


def _estimate(model, x, rng, n_probes, probe, order, mode):
    if not isinstance(model, IResNet):
        raise TypeError(f"model must be an IResNet, got {type(model).__name__}")
    rng = require_generator(rng)
    n_probes = positive_int(n_probes, "n_probes")
    if n_probes < 2:
        raise ValueError(f"n_probes must be >= 2 to estimate the variance, got {n_probes}")
    choice(probe, "probe", ("rademacher", "gaussian"))
    x, _ = model._points(x)  # a single point is estimated as a batch of one
    v = _probes(rng, x.shape[0], n_probes, model.dim, probe)
    per_probe = model._run("hutchinson", x.shape[0] * n_probes, x, v, order, mode)
    value = per_probe.mean(axis=1)
    variance = per_probe.var(axis=1, ddof=1) / n_probes
    return value, variance


def estimate_logdet(model, x, rng, *, order=10, n_probes=16, probe="rademacher"):
    r"""Unbiased estimate of the truncated power series of log det D phi(x_i).

    Parameters
    ----------
    model : IResNet
    x : array_like, shape (N, n) or (n,)
    rng : numpy.random.Generator
        Draws the probes (outside the kernels).
    order : int, default 10
        Truncation order K of the series.
    n_probes : int, default 16
        Number P >= 2 of probes per point.
    probe : {"rademacher", "gaussian"}
        Distribution of the probes (both have E[v v^T] = I).

    Returns
    -------
    StochasticEstimate

    Notes
    -----
    With :math:`x_k` the input of block k and :math:`J_k = J_{g_k}(x_{k-1})`,

    .. math:: \log\det D\phi(x) = \sum_k \log\det(I + J_k)
              = \sum_k \sum_{j \ge 1} \frac{(-1)^{j+1}}{j} \operatorname{tr}(J_k^j),

    convergent since :math:`\|J_k\|_2 \le L < 1`. Truncating at :math:`j = K` changes the value
    by at most :math:`B\, n\, L^{K+1} / ((K+1)(1-L))` (``truncation_bound``), because
    :math:`|\operatorname{tr} J^j| \le n \|J\|_2^j`. Each trace is replaced by
    :math:`v^T J_k^j v` with one probe v per point shared by all blocks and powers; since
    :math:`E[v v^T] = I` every probe gives an unbiased estimate of the truncated series, and the
    P probe estimates of a point are independent and identically distributed, so their mean is
    unbiased with variance estimated by their sample variance over P. Only Jacobian-vector
    products are used (cost :math:`O(B K m n)` per probe).
    """
    order = positive_int(order, "order")
    value, variance = _estimate(model, x, rng, n_probes, probe, order, _kernels.REG_LOGDET)
    lip = model.lipschitz()
    bound = model.blocks * model.dim * lip ** (order + 1) / ((order + 1) * (1.0 - lip))
    return StochasticEstimate(value, variance, n_probes, order, bound)


def estimate_divergence(model, x, rng, *, n_probes=16, probe="rademacher"):
    r"""Unbiased Hutchinson estimate of div phi(x_i) = tr D phi(x_i).

    Notes
    -----
    :math:`\operatorname{tr} D\phi(x) = E[v^T D\phi(x) v]` for probes with
    :math:`E[v v^T] = I`; :math:`D\phi(x) v = J_B \cdots J_1 v` is computed by forward-mode
    products through the blocks. There is no truncation. The variance of the mean of P probes
    is estimated as for :func:`estimate_logdet`.
    """
    value, variance = _estimate(model, x, rng, n_probes, probe, 0, _kernels.REG_DIVERGENCE)
    return StochasticEstimate(value, variance, n_probes, None, None)
