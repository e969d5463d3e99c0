"""The executor interface: run independent tasks, give back their results in order."""

from __future__ import annotations

from typing import Callable, Sequence


class Executor:
    """Run ``func`` on independent items and return the results in the order of the items.

    Subclasses implement :meth:`map`; an executor is a context manager (``close`` on exit).
    """

    #: Number of tasks that may run at the same time.
    workers: int = 1

    def map(self, func: Callable, items: Sequence, *,
            on_result: Callable[[int, object], None] | None = None) -> list:
        """Return ``[func(item) for item in items]``, computed by this executor.

        Parameters
        ----------
        func : callable
            A module-level function (workers in other processes import it by name).
        items : sequence
            The tasks' arguments (picklable for the Dask executor).
        on_result : callable, optional
            Called in the calling process as ``on_result(index, result)`` as soon as each task
            finishes (in completion order): progress bars, and result stores that make an
            interrupted run resumable. An exception raised by it (e.g. ``KeyboardInterrupt``)
            stops the run and propagates; tasks already finished have been reported.

        Returns
        -------
        list
            ``result[i] = func(items[i])``. An exception raised by a task propagates; tasks that
            must not stop the others catch their own exceptions (see ``invlin.sweep``).
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (no-op by default)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
