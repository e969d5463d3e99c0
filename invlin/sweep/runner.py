"""Run a sweep: the missing cells on an executor, the stored ones from disk; write the table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from invlin._atomic import atomic_directory
from invlin.progress import ProgressBar
from invlin.sweep.cell import cell_task
from invlin.sweep.config import SweepConfig, load_config
from invlin.sweep.store import ResultStore, code_version
from invlin.sweep.table import TABLE_CSV, TABLE_JSONL, write_csv, write_jsonl

#: Sub-directories of a sweep's output directory.
CELLS_DIR, TABLE_DIR = "cells", "table"


@dataclass
class SweepResult:
    """The rows of a sweep, in cell order, and how many were computed or loaded."""

    name: str
    rows: list
    n_computed: int
    n_loaded: int
    out: Path | None

    @property
    def n_errors(self) -> int:
        return sum(row["status"] == "ERROR" for row in self.rows)

    def dataframe(self):
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        from invlin.sweep.table import to_dataframe

        return to_dataframe(self.rows)


def run(config, *, out=None, executor=None, jobs: int = 1, progress: bool | None = None,
        figures: bool = True) -> SweepResult:
    """Run every cell of a sweep and return (and, with ``out``, write) its table.

    Parameters
    ----------
    config : SweepConfig, dict, or path / text of a TOML file
        See :mod:`invlin.sweep.config`.
    out : path, optional
        Output directory. Each finished cell's row is stored at once in ``out/cells`` (keyed by
        the cell's settings and the code version), so a rerun after an interruption computes
        only the missing cells. The table goes to ``out/table/`` (``table.csv``,
        ``table.jsonl`` and the figures), written to a temporary directory and renamed into
        place. Without ``out`` nothing is stored or written.
    executor : invlin.execution.Executor, optional
        Runs the cells (default ``LocalExecutor(jobs)``).
    jobs : int
        Local worker processes when no executor is given.
    progress : bool or None
        Progress bar on stderr (None: only on a terminal).
    figures : bool
        Draw the figures of :func:`invlin.sweep.figures.draw` into the table directory.

    Returns
    -------
    SweepResult

    Notes
    -----
    A cell that raises becomes an ERROR row with its traceback; the other cells are
    unaffected. Rows are a deterministic function of the cells' settings (timing columns
    aside), so the table does not depend on the executor, the worker count, worker failures
    or interruptions.
    """
    from invlin.execution import LocalExecutor

    if not isinstance(config, SweepConfig):
        config = load_config(config)
    store = ResultStore(Path(out) / CELLS_DIR) if out is not None else None
    version = store.version if store is not None else code_version()
    unique = list(dict.fromkeys(config.cells))
    rows = {}
    if store is not None:
        for cell in unique:
            row = store.load(cell)
            if row is not None:
                rows[cell] = row
    pending = [cell for cell in unique if cell not in rows]
    n_loaded = len(rows)
    if executor is None:
        executor = LocalExecutor(jobs)
    with ProgressBar(len(pending), f"sweep {config.name}", enabled=progress) as bar:
        def finished(index, row):
            cell = pending[index]
            row = {**row, "cell": cell.key(version)}
            if store is not None:
                store.save(cell, row)
                row = store.load(cell)
            rows[cell] = row
            bar.update(postfix=f"{row['status']}")

        executor.map(cell_task, pending, on_result=finished)
    ordered = [rows[cell] for cell in config.cells]
    result = SweepResult(name=config.name, rows=ordered, n_computed=len(pending),
                         n_loaded=n_loaded, out=None if out is None else Path(out))
    if out is not None:
        write_table(result, Path(out) / TABLE_DIR, config=config, figures=figures)
    return result


def write_table(result: SweepResult, directory, *, config: SweepConfig, figures: bool = True):
    """Write table.csv, table.jsonl (and figures) into ``directory`` atomically."""
    with atomic_directory(directory) as temp:
        write_csv(result.rows, temp / TABLE_CSV)
        write_jsonl(result.rows, temp / TABLE_JSONL)
        if figures:
            from invlin.sweep.figures import draw

            draw(result.rows, temp, grid_keys=config.grid_keys)
    return Path(directory)
