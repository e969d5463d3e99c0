"""Checks of hand-written gradients: central differences and the Taylor-remainder test.

These are public tools, meant to be called on any scalar function with a claimed gradient
(for instance a user's own model's training objective), in the spirit of PyLops' ``dottest``.

Examples
--------
>>> import numpy as np
>>> from invlin.gradient_check import central_difference_gradient, taylor_test
>>> f = lambda th: float(np.sum(np.sin(th)))
>>> grad = lambda th: np.cos(th)
>>> theta = np.array([0.3, -1.2])
>>> bool(np.allclose(central_difference_gradient(f, theta), grad(theta), atol=1e-8))
True
>>> taylor_test(f, grad, theta, rng=np.random.default_rng(0)).passed()
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invlin._validation import as_float_array, positive_scalar, require_generator

__all__ = ["TaylorResult", "central_difference_gradient", "loss_of_parameters", "taylor_test"]


def loss_of_parameters(model, loss, samples, problem):
    """A training loss as a function of a model's flat parameters, ready for the checks here.

    Parameters
    ----------
    model : InvertibleModel
    loss : invlin.losses.Loss
    samples : invlin.problem.Samples
        The fixed batch on which the loss is evaluated.
    problem : LinearInverseProblem

    Returns
    -------
    f, grad : callable
        ``f(theta)`` the loss value and ``grad(theta)`` its hand-written gradient at parameters
        ``theta``; the model's own parameters are restored after every call.
    theta : ndarray
        The model's current parameters (a copy), the natural point to check at.

    Examples
    --------
    >>> import numpy as np
    >>> from invlin import LinearInverseProblem, Linear, Loss
    >>> from invlin.priors import Gaussian
    >>> problem = LinearInverseProblem(np.eye(2), 0.1, Gaussian(np.zeros(2), np.eye(2)))
    >>> samples = problem.sample(8, np.random.default_rng(0))
    >>> f, grad, theta = loss_of_parameters(Linear(2), Loss("logdet"), samples, problem)
    >>> taylor_test(f, grad, theta, rng=np.random.default_rng(1)).passed()
    True
    """
    theta0 = model.get_parameters()

    def evaluate(theta):
        model.set_parameters(theta)
        try:
            return loss.value_and_grad(model, samples, problem)
        finally:
            model.set_parameters(theta0)

    return (lambda theta: evaluate(theta)[0]), (lambda theta: evaluate(theta)[1]), theta0.copy()


def central_difference_gradient(f, theta, h: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function by central differences.

    Parameters
    ----------
    f : callable
        ``f(theta) -> float``.
    theta : array_like, shape (p,)
        Point at which the gradient is approximated.
    h : float, optional
        Step (> 0), the same for every coordinate.

    Returns
    -------
    ndarray, shape (p,)
        ``(f(theta + h e_i) - f(theta - h e_i)) / (2 h)`` for each coordinate ``i``.

    Notes
    -----
    The truncation error is ``h^2 f'''/6`` and the rounding error about ``eps |f| / h``; the
    default ``h = 1e-6`` balances them for functions of unit scale (total error ~1e-10).
    """
    theta = as_float_array(theta, "theta", ndim=1)
    h = positive_scalar(h, "h")
    grad = np.empty_like(theta)
    for i in range(theta.size):
        plus = theta.copy()
        minus = theta.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (float(f(plus)) - float(f(minus))) / (2.0 * h)
    return grad


@dataclass(frozen=True)
class TaylorResult:
    """Outcome of :func:`taylor_test`.

    Attributes
    ----------
    steps : ndarray, shape (K,)
        The step sizes ``h`` (a decreasing geometric sequence).
    first_order : ndarray, shape (K,)
        ``|f(theta + h d) - f(theta)|``: O(h) for a non-zero directional derivative.
    second_order : ndarray, shape (K,)
        ``|f(theta + h d) - f(theta) - h grad(theta) . d|``: O(h^2) if and only if the gradient
        is right along ``d``.
    first_order_rate, second_order_rate : float
        Observed orders: the median of the local slopes
        ``log(r_k / r_{k+1}) / log(h_k / h_{k+1})`` over the smaller-step half of the
        consecutive steps whose remainders are above the rounding floor (NaN if fewer than two
        such steps). The small steps show the asymptotic order; the median ignores an isolated
        sign change of the remainder.
    noise_floor : float
        The rounding floor ``1024 eps (|f(theta)| + 1)`` below which remainders are not used.
    """

    steps: np.ndarray
    first_order: np.ndarray
    second_order: np.ndarray
    first_order_rate: float
    second_order_rate: float
    noise_floor: float

    def passed(self, slack: float = 0.2) -> bool:
        """Whether the remainders decay at rates ~1 and ~2.

        Parameters
        ----------
        slack : float, optional
            Allowed shortfall of the fitted rates (first >= 1 - slack, second >= 2 - slack).

        Notes
        -----
        If every second-order remainder is at the rounding floor (``f`` linear along ``d``
        with an exact gradient), the second-order test passes: the first-order Taylor model is
        exact to rounding. A wrong gradient then shows as a first-order sized second remainder.
        """
        first_ok = not np.isfinite(self.first_order_rate) or self.first_order_rate >= 1 - slack
        if np.isfinite(self.second_order_rate):
            second_ok = self.second_order_rate >= 2 - slack
        else:
            second_ok = bool(np.all(self.second_order <= self.noise_floor))
        return bool(first_ok and second_ok)


def _rate(steps: np.ndarray, remainder: np.ndarray, floor: float) -> float:
    keep = remainder > floor
    h, r = steps[keep], remainder[keep]
    if h.size < 2:
        return float("nan")
    local = np.log(r[:-1] / r[1:]) / np.log(h[:-1] / h[1:])
    # The asymptotic regime is at small h: use the smaller-step half of the local rates.
    return float(np.median(local[local.size // 2 :]))


def taylor_test(f, grad, theta, direction=None, rng=None, steps=None) -> TaylorResult:
    """Taylor-remainder test of a claimed gradient.

    Parameters
    ----------
    f : callable
        ``f(theta) -> float``.
    grad : callable or array_like
        ``grad(theta) -> ndarray`` (or the gradient at ``theta`` itself).
    theta : array_like, shape (p,)
        Base point.
    direction : array_like, shape (p,), optional
        Perturbation direction ``d``; by default a standard normal vector drawn from ``rng``,
        scaled to unit norm.
    rng : numpy.random.Generator, optional
        Required when ``direction`` is not given.
    steps : array_like, optional
        Decreasing step sizes; default ``2.0 ** -arange(2, 14)`` (from 0.25 to 1.2e-4).

    Returns
    -------
    TaylorResult

    Notes
    -----
    For smooth ``f``, ``f(theta + h d) = f(theta) + h grad f(theta) . d + O(h^2)``. The first
    remainder decays like ``h`` and the second like ``h^2`` exactly when the supplied gradient
    is right along ``d``; a wrong gradient leaves the second remainder at order ``h``. The rates
    are the local slopes in log-log coordinates (InvertibleNetworks.jl's gradient test).
    """
    theta = as_float_array(theta, "theta", ndim=1)
    if direction is None:
        if rng is None:
            raise ValueError("rng must be given when direction is None (randomness is explicit)")
        direction = require_generator(rng).standard_normal(theta.size)
        direction /= np.linalg.norm(direction)
    else:
        direction = as_float_array(direction, "direction", ndim=1)
        if direction.shape != theta.shape:
            raise ValueError(
                f"direction must have the shape of theta {theta.shape}, got {direction.shape}"
            )
    if steps is None:
        steps = 2.0 ** -np.arange(2, 14)
    steps = as_float_array(steps, "steps", ndim=1)
    if steps.size < 2 or np.any(steps <= 0) or np.any(np.diff(steps) >= 0):
        raise ValueError("steps must hold at least two positive, strictly decreasing values")
    g = np.asarray(grad(theta) if callable(grad) else grad, dtype=np.float64)
    if g.shape != theta.shape:
        raise ValueError(f"grad must have the shape of theta {theta.shape}, got {g.shape}")
    f0 = float(f(theta))
    slope = float(g @ direction)
    values = np.array([float(f(theta + h * direction)) for h in steps])
    first = np.abs(values - f0)
    second = np.abs(values - f0 - steps * slope)
    floor = 1024.0 * np.finfo(np.float64).eps * (abs(f0) + 1.0)
    return TaylorResult(
        steps=steps,
        first_order=first,
        second_order=second,
        first_order_rate=_rate(steps, first, floor),
        second_order_rate=_rate(steps, second, floor),
        noise_floor=floor,
    )
