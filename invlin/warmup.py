"""Compile every Numba kernel once (on tiny inputs) so that later runs start warm.

Numba caches compiled kernels on disk (``cache=True``); the first call of each kernel in a
fresh environment compiles it, which takes seconds. :func:`warmup` calls every model's
forward, inverse, Jacobian, log-det, divergence and training hooks once, and the estimators.

The parallel paths run the same compiled kernels on the work-sharing team
(:mod:`invlin._kernels.team`), so the tiny inputs compile everything either path uses; the
team's own kernel (the spin of :mod:`invlin._kernels.spin`) is compiled separately.
"""

from __future__ import annotations

import time

import numpy as np


def _models():
    from invlin.models.diagonal_linear import DiagonalLinear
    from invlin.models.diagonal_net import DiagonalNet
    from invlin.models.iresnet import IResNet
    from invlin.models.linear import Linear

    return [("Linear", Linear(2)), ("Linear (Lipschitz)", Linear(2, lipschitz=0.5)),
            ("DiagonalLinear", DiagonalLinear(2)), ("DiagonalNet", DiagonalNet(2, n_units=2)),
            ("DiagonalNet (Lipschitz)", DiagonalNet(2, n_units=2, lipschitz=0.5)),
            ("IResNet", IResNet(2, 2, 4, lipschitz=0.5, rng=0))]


#: Points per call: tiny inputs compile every kernel (for the serial and the parallel paths).
SIZE = 3


def _exercise(model, rng, size) -> None:
    x = 0.5 * rng.standard_normal((size, model.dim))
    u = model.forward(x)
    model.inverse(u)
    model.jacobian(x)
    model.logdet(x)
    model.divergence(x)
    for regulariser in (None, "logdet", "divergence"):
        model._objective(x, u, None, regulariser, 0.1)
    model._objective(x, u, np.eye(model.dim), "divergence", 0.1)
    model._reconstruction_objective(u, x)


def warmup() -> list[tuple[str, float]]:
    """Call every kernel once; return (name, seconds) per model and for the estimators."""
    from invlin.estimators import map_estimate, posterior_mean
    from invlin._kernels.spin import spin_until_changed
    from invlin.priors import GaussianMixture, LogisticProduct
    from invlin.problem import LinearInverseProblem

    rng = np.random.default_rng(0)
    timings = []
    for name, model in _models():
        start = time.perf_counter()
        _exercise(model, rng, SIZE)
        timings.append((name, time.perf_counter() - start))
    start = time.perf_counter()
    for prior in (GaussianMixture.symmetric_bimodal([1.0, 0.0], 0.5),
                  LogisticProduct([0.5, 0.7])):
        problem = LinearInverseProblem(np.diag([1.0, 0.5]), 0.3, prior)
        y = problem.sample(3, rng).y
        posterior_mean(problem, y)
        map_estimate(problem, y)
    timings.append(("estimators", time.perf_counter() - start))
    start = time.perf_counter()
    spin_until_changed(np.zeros(1, np.int64), 1)  # already changed: compiles, returns at once
    timings.append(("work-sharing team", time.perf_counter() - start))
    return timings
