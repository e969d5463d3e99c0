"""A ``dask.distributed`` cluster (``--dask ADDRESS`` or ``--dask local:N``)."""

from __future__ import annotations

import os

from invlin.execution.base import Executor

INSTALL_HINT = 'pip install "invlin[dask]"  (or: pip install "dask[distributed]")'


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError(
            f"the Dask executor needs the optional dependency dask.distributed: {INSTALL_HINT}"
        ) from None
    return distributed


class DaskExecutor(Executor):
    """Run tasks on a Dask cluster: an existing scheduler, or a local cluster started here.

    Parameters
    ----------
    address : str
        ``"local:N"`` starts a ``distributed.LocalCluster`` of N single-threaded worker
        processes (stopped by :meth:`close`); anything else is the address of a running
        scheduler (``tcp://host:8786``).
    warm : bool, default True
        Register a worker plugin that runs :func:`invlin.warmup.warmup` once on every
        worker as it starts (also on workers that join or restart later), so that the Numba
        kernels are compiled (or loaded from the on-disk cache) before tasks arrive, never
        concurrently inside tasks.

    Notes
    -----
    Fault tolerance is the scheduler's: the tasks of a worker that dies are run again on
    another one (up to ``distributed.scheduler.allowed-failures`` times). Since a task's result
    is a deterministic function of its item, a rerun returns what the lost run would have.
    Functions are sent by reference, so the workers must import the same invlin (and the same
    version: see the sweep store's code version).
    """

    def __init__(self, address: str, *, warm: bool = True):
        distributed = _distributed()
        if not isinstance(address, str) or not address:
            raise ValueError(f"address must be 'local:N' or a scheduler address, got {address!r}")
        self.address = address
        self._cluster = None
        numba_threads = None
        if address.startswith("local:"):
            n = _local_workers(address)
            numba_threads = max(1, (os.cpu_count() or 1) // n)
            self._cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
            self._client = distributed.Client(self._cluster)
        else:
            self._client = distributed.Client(address)
        try:
            if warm:
                from invlin.execution._dask_warmup import WarmupPlugin

                self._client.register_plugin(WarmupPlugin(numba_threads), name="invlin-warmup")
            self.workers = max(1, sum(self._client.nthreads().values()))
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r}, workers={self.workers})"

    @property
    def client(self):
        """The ``distributed.Client`` (tests use it to find and stop worker processes)."""
        return self._client

    def map(self, func, items, *, on_result=None) -> list:
        distributed = _distributed()
        items = list(items)
        if not items:
            return []
        futures = self._client.map(func, items, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        results: list = [None] * len(items)
        try:
            for future, result in distributed.as_completed(futures, with_results=True):
                i = index[future.key]
                results[i] = result
                if on_result is not None:
                    on_result(i, result)
        except BaseException:
            self._client.cancel(futures)
            raise
        return results

    def close(self) -> None:
        if getattr(self, "_client", None) is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _local_workers(address: str) -> int:
    text = address.split(":", 1)[1]
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"--dask local:N needs a worker count N >= 1, got {address!r}")
    return n
