"""Time and peak memory of training steps, for scaling tables (studies and benchmarks)."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from invlin.losses import Loss


def step_cost(model, problem, loss: str, *, form: str, batch_size: int, repeats: int,
              seed: int) -> dict:
    """Seconds per training step (median of ``repeats``) and the peak traced memory of one step.

    One step is what :func:`invlin.training.train` does per iteration on samples: draw a
    minibatch with ``problem.sample`` and evaluate the loss and its exact gradient. The first
    step is a warm-up (Numba compilation and caches) and is not timed. The memory is the peak of
    :mod:`tracemalloc` (every NumPy buffer allocated during the step) above the level before it.

    Returns
    -------
    dict
        ``{"seconds": median, "seconds_min": min, "peak_bytes": peak}``.
    """
    loss_obj = Loss(loss, form=form)
    rng = np.random.default_rng(seed)

    def one_step():
        samples = problem.sample(batch_size, rng)
        return loss_obj.value_and_grad(model, samples, problem)

    one_step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        one_step()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        one_step()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return {"seconds": float(np.median(times)), "seconds_min": float(np.min(times)),
            "peak_bytes": int(peak)}
