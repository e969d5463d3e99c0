"""The executor chosen by the command-line options ``--jobs N`` and ``--dask ADDRESS``."""

from __future__ import annotations

from invlin.execution.base import Executor
from invlin.execution.local import LocalExecutor


def make_executor(*, jobs: int = 1, dask: str | None = None) -> Executor:
    """``DaskExecutor(dask)`` if ``dask`` is given, else ``LocalExecutor(jobs)``.

    Raises ``ImportError`` with the install command when ``dask`` is asked for and
    ``dask.distributed`` is missing.
    """
    if dask is not None:
        from invlin.execution.dask import DaskExecutor

        return DaskExecutor(dask)
    return LocalExecutor(jobs)
