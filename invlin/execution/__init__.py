"""Executors: run independent tasks and return their results in order.

One small interface, :class:`Executor`, with ``map(func, items, on_result=None) -> list``:
``func(item)`` for every item, results in the order of ``items``. Tasks never know which
executor runs them; everything random in a task is seeded from the task's own settings, so the
results do not depend on the executor, the number of workers or the order of completion.

- :class:`LocalExecutor` (``--jobs N``): forked local worker processes (serial in-process for
  one job).
- :class:`DaskExecutor` (``--dask ADDRESS`` or ``--dask local:N``): a ``dask.distributed``
  cluster; optional extra ``invlin[dask]``, imported only when used.

:func:`make_executor` builds one from the command-line options.
"""

from invlin.execution.base import Executor
from invlin.execution.dask import DaskExecutor
from invlin.execution.local import LocalExecutor
from invlin.execution.options import make_executor

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "make_executor"]
