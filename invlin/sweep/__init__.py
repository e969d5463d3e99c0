"""Parameter sweeps: a declarative grid of training runs, one tidy table row per cell.

``invlin sweep CONFIG.toml`` and :func:`run` run every cell of a configuration
(:mod:`invlin.sweep.config`) on an executor (:mod:`invlin.execution`), store each finished cell
on disk keyed by its settings and the code version (resume: nothing is recomputed), record a
cell that raises as an ERROR row with its traceback, and write the table as CSV and JSON Lines
(a pandas DataFrame on request) with figures drawn from it. See ``docs/sweeps.md``.
"""

from invlin.sweep.cell import Cell, cell_task, run_cell
from invlin.sweep.config import SweepConfig, load_config
from invlin.sweep.runner import SweepResult, run
from invlin.sweep.table import deterministic_part, read_jsonl, to_dataframe

__all__ = ["Cell", "SweepConfig", "SweepResult", "cell_task", "deterministic_part",
           "load_config", "read_jsonl", "run", "run_cell", "to_dataframe"]
