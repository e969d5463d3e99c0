"""One place where the studies call the training engine and record what it did."""

from __future__ import annotations

import time

from invlin.training import train

#: The paper's four training losses, in the order the studies present them.
LOSSES = ("approximation", "reconstruction", "logdet", "divergence")


def fit(model, problem, loss: str, *, form: str = "z", weight=None, steps: int,
        batch_size: int, learning_rate: float, seed: int, population: bool = False,
        tol=None, final_learning_rate=None) -> dict:
    """Train ``model`` in place with :func:`invlin.training.train` and summarise the run.

    Returns
    -------
    dict
        ``{"loss", "form", "final_loss", "steps_run", "converged", "final_gradient_norm",
        "seconds"}`` (JSON-serialisable).
    """
    start = time.perf_counter()
    result = train(
        model,
        problem,
        loss,
        form=form,
        weight=weight,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        population=population,
        tol=tol,
        progress=False,
        final_learning_rate=final_learning_rate,
    )
    return {
        "loss": loss,
        "form": form,
        "final_loss": float(result.loss[-1]),
        "steps_run": int(result.steps),
        "converged": bool(result.converged),
        "final_gradient_norm": float(result.final_gradient_norm),
        "seconds": time.perf_counter() - start,
    }
