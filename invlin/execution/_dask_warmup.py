"""The Dask worker plugin that prepares every worker before tasks arrive (needs distributed)."""

from __future__ import annotations

from distributed import WorkerPlugin


class WarmupPlugin(WorkerPlugin):
    """Set the worker's Numba and BLAS thread counts and compile (or load) every kernel once.

    ``setup`` runs on each worker when the plugin is registered and on every worker that joins
    later (also one restarted after a crash), before the worker receives tasks.
    """

    name = "invlin-warmup"

    def __init__(self, numba_threads: int | None):
        self.numba_threads = numba_threads

    def setup(self, worker) -> None:
        if self.numba_threads is not None:
            from invlin.execution._threads import share_cores

            share_cores(self.numba_threads)
        from invlin.warmup import warmup

        warmup()
