"""Local worker processes (``--jobs N``): the default executor."""

from __future__ import annotations

import multiprocessing
import os
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from invlin._validation import positive_int
from invlin.execution._threads import share_cores
from invlin.execution.base import Executor

# The task handed to forked worker processes (set just before the pool starts): workers inherit
# the function and the items (including test fakes) without pickling them.
_TASK: dict = {}


class LocalExecutor(Executor):
    """Run tasks in ``jobs`` forked local processes (in the calling process for ``jobs=1``).

    Parameters
    ----------
    jobs : int
        Number of worker processes (>= 1).
    warm : bool, default True
        Before the first pool of worker processes starts, compile (or load from the on-disk
        cache) every serial Numba kernel once in this process
        (``invlin.warmup.warmup()``); the forked workers inherit them instead of
        compiling them concurrently inside their tasks.

    Notes
    -----
    Each worker gets ``NUMBA_NUM_THREADS // jobs`` Numba threads and as many BLAS threads
    (:func:`invlin.execution._threads.share_cores`), so that the workers share the cores
    instead of oversubscribing them; the kernels' results never depend on the thread count.
    Workers are forked (POSIX) so that they inherit the function and the items without
    pickling. Numba's threading layers other than TBB cannot be used in a child forked after
    the parent started its thread pool (GNU OpenMP aborts), so once this process has started
    the pool (a ``prange`` kernel ran, or ``numba.get_num_threads`` was called; invlin's own
    kernels never start it, their parallel paths run on :mod:`invlin._kernels.team`)
    :meth:`map` runs the tasks here, serially, with a ``RuntimeWarning``: same results, no
    speed-up. Use a
    :class:`~invlin.execution.DaskExecutor` (spawned workers) in such a process.
    """

    def __init__(self, jobs: int = 1, *, warm: bool = True):
        self.workers = positive_int(jobs, "jobs")
        self._warm = bool(warm)

    def __repr__(self) -> str:
        return f"LocalExecutor(jobs={self.workers})"

    def map(self, func, items, *, on_result=None) -> list:
        items = list(items)
        if self.workers > 1 and len(items) > 1 and not self.can_fork():
            warnings.warn("Numba's thread pool is already running in this process, so worker "
                          "processes cannot be forked safely; running the tasks serially here "
                          "(same results)", RuntimeWarning, stacklevel=2)
        if self.workers == 1 or len(items) <= 1 or not self.can_fork():
            results = []
            for index, item in enumerate(items):
                results.append(func(item))
                if on_result is not None:
                    on_result(index, results[-1])
            return results
        return self._map_parallel(func, items, on_result)

    @staticmethod
    def can_fork() -> bool:
        """Whether worker processes can be forked: Numba's thread pool has not been started in
        this process, or its threading layer (TBB) survives a fork."""
        from numba.np.ufunc import parallel

        return not parallel._is_initialized or parallel._threading_layer == "tbb"

    def _map_parallel(self, func, items, on_result) -> list:
        if self._warm:
            from invlin.warmup import warmup

            warmup()
            self._warm = False
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        _TASK.clear()
        _TASK.update(func=func, items=items)
        results: list = [None] * len(items)
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=context,
                                   initializer=_init_worker, initargs=(self.workers,))
        try:
            pending = {pool.submit(_call, i): i for i in range(len(items))}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    results[index] = future.result()
                    if on_result is not None:
                        on_result(index, results[index])
        finally:
            # on an exception (a task's, or KeyboardInterrupt from on_result) drop the queue
            pool.shutdown(wait=True, cancel_futures=True)
            _TASK.clear()
        return results


def _init_worker(jobs: int) -> None:
    """Share the cores between workers (results never depend on the thread count)."""
    import numba

    share_cores(numba.config.NUMBA_NUM_THREADS // jobs)


def _call(index: int):
    return _TASK["func"](_TASK["items"][index])
