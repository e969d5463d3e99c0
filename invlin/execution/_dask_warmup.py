"""The Dask worker plugin that prepares every worker before tasks arrive (needs distributed)."""

from __future__ import annotations

from distributed import WorkerPlugin


class WarmupPlugin(WorkerPlugin):
    """Set the worker's Numba thread count and compile (or load) every kernel once.

    ``setup`` runs on each worker when the plugin is registered and on every worker that joins
    later (also one restarted after a crash), before the worker receives tasks.
    """

    name = "invlin-warmup"

    def __init__(self, numba_threads: int | None):
        self.numba_threads = numba_threads

    def setup(self, worker) -> None:
        if self.numba_threads is not None:
            import numba

            numba.set_num_threads(min(self.numba_threads, numba.config.NUMBA_NUM_THREADS))
        from invlin.verify.warmup import warmup

        warmup()
