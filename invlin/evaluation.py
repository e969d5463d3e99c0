"""Measure any learned inverse against the exact references: PM, MAP and the truth."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass

import numpy as np

from invlin._validation import choice, positive_int
from invlin.estimators import map_estimate, posterior_mean
from invlin.problem import LinearInverseProblem
from invlin._metrics import rms_error, rms_ratio

#: Data the inverse is applied to: the measurements y, or the normal-equation data z = A^T y.
FORMS = ("y", "z")
#: Paired bootstrap resamples behind the standard error of the discrimination ratio.
N_BOOTSTRAP = 400


@dataclass(frozen=True)
class Evaluation:
    """Distances of a learned inverse to the references, each with its standard error.

    Attributes
    ----------
    to_pm, to_map, to_truth : float
        RMS Euclidean distance of the reconstructions to the posterior mean, the MAP estimate
        and the true x, over the test set.
    to_pm_se, to_map_se, to_truth_se : float
        Their standard errors over the test points (delta method, see Notes).
    pm_to_map : float
        RMS distance between PM and MAP themselves: the scale below which the two cannot be
        told apart.
    ratio : float
        Discrimination ratio RMS(inverse - MAP) / RMS(inverse - PM): below 1 the inverse is
        nearer the MAP, above 1 nearer the PM.
    ratio_se : float
        Paired bootstrap standard error of ``ratio``.
    forward_error : float or None
        RMS of ``forward(inverse(t)) - t`` when a forward map was given (how exactly the
        inverse inverts it), else None.
    n, seed : int
        Test-set size and the seed it was drawn with.
    form : str
        ``"y"`` or ``"z"``: the data the inverse received.
    """

    to_pm: float
    to_pm_se: float
    to_map: float
    to_map_se: float
    to_truth: float
    to_truth_se: float
    pm_to_map: float
    ratio: float
    ratio_se: float
    forward_error: float | None
    n: int
    seed: int
    form: str

    def to_dict(self) -> dict:
        """The fields as a JSON-serialisable dict."""
        return asdict(self)


def evaluate(inverse, problem, *, n: int, seed: int, form: str = "z",
             forward=None) -> Evaluation:
    """Distances of ``inverse`` to the posterior mean, the MAP and the truth on a test set.

    Parameters
    ----------
    inverse : callable or torch.nn.Module
        Maps a batch of data, ndarray of shape (N, m) for ``form="y"`` or (N, n) for
        ``form="z"``, to reconstructions of shape (N, n) (NumPy in, NumPy out). A
        ``torch.nn.Module`` is wrapped by :func:`invlin.adapters.torch.numpy_inverse` (its
        ``inverse`` method if it has one, else its forward pass).
    problem : LinearInverseProblem
        The problem the inverse was trained for.
    n : int
        Number of test points (>= 2, for the standard errors).
    seed : int
        Seed of the test set: ``problem.sample(n, numpy.random.default_rng(seed))``; the
        bootstrap of the ratio uses ``default_rng([seed, 1])``.
    form : {"z", "y"}, default "z"
        The data the inverse receives: ``z = A^T y`` or the measurements ``y``.
    forward : callable or torch.nn.Module, optional
        The forward map t = phi(x) of an invertible network (same conventions as ``inverse``);
        given, the forward error RMS(phi(inverse(t)) - t) is reported too.

    Returns
    -------
    Evaluation

    Notes
    -----
    With e_i = |x_hat_i - r_i|^2 for a reference r (PM, MAP or truth), the RMS distance is
    sqrt(mean e) and its standard error std(e) / (2 sqrt(N) RMS) (delta method). The
    references are exact: :func:`invlin.estimators.posterior_mean` (quadrature or closed
    form) and :func:`invlin.estimators.map_estimate` (global Newton search). The ratio
    RMS(x_hat - MAP) / RMS(x_hat - PM) discriminates the two Bayesian estimators only where
    ``pm_to_map`` is well above the distances' standard errors.
    """
    if not isinstance(problem, LinearInverseProblem):
        raise TypeError(f"problem must be a LinearInverseProblem, got {type(problem).__name__}")
    n = positive_int(n, "n")
    if n < 2:
        raise ValueError(f"n must be >= 2 (standard errors need two points), got {n}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    form = choice(form, "form", FORMS)
    inverse = _as_batch_function(inverse, "inverse")
    forward = None if forward is None else _as_batch_function(forward, "forward")
    samples = problem.sample(n, np.random.default_rng(seed))
    data = samples.y if form == "y" else samples.z
    estimate = _call(inverse, data, "inverse", (n, problem.dim))
    x_pm = posterior_mean(problem, samples.y)
    x_map = map_estimate(problem, samples.y)
    to_pm, to_map, to_truth = (rms_error(estimate, r) for r in (x_pm, x_map, samples.x))
    ratio, ratio_se = rms_ratio(estimate, x_map, x_pm, np.random.default_rng([seed, 1]),
                                n_boot=N_BOOTSTRAP)
    forward_error = None
    if forward is not None:
        image = _call(forward, estimate, "forward", data.shape)
        forward_error = rms_error(image, data)[0]
    return Evaluation(to_pm=to_pm[0], to_pm_se=to_pm[1], to_map=to_map[0], to_map_se=to_map[1],
                      to_truth=to_truth[0], to_truth_se=to_truth[1],
                      pm_to_map=rms_error(x_pm, x_map)[0], ratio=ratio, ratio_se=ratio_se,
                      forward_error=forward_error, n=n, seed=int(seed), form=form)


def _as_batch_function(func, name: str):
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and isinstance(func, torch.nn.Module):
        from invlin.adapters.torch import numpy_inverse

        return numpy_inverse(func) if name == "inverse" else numpy_inverse(func, method="forward")
    if not callable(func):
        raise TypeError(f"{name} must be callable (batch -> batch), got {type(func).__name__}")
    return func


def _call(func, data: np.ndarray, name: str, shape: tuple) -> np.ndarray:
    result = np.asarray(func(data.copy()), dtype=np.float64)
    if result.shape != shape:
        raise ValueError(f"{name} must map data of shape {data.shape} to shape {shape}, "
                         f"got shape {result.shape}")
    if not np.all(np.isfinite(result)):
        raise ValueError(f"{name} returned non-finite values (NaN or inf)")
    return result
