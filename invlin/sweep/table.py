"""The sweep's tidy table: one row per cell, written as CSV and JSON Lines."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from invlin.sweep.cell import TIMING_COLUMNS

TABLE_CSV, TABLE_JSONL = "table.csv", "table.jsonl"


def jsonable_row(row: dict) -> dict:
    """A row with NaN as None (JSON has no NaN)."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def deterministic_part(rows) -> list[dict]:
    """The rows without their timing columns: what must be identical between two runs of the
    same cells, whatever the executor, the worker count or interruptions."""
    return [{k: v for k, v in jsonable_row(r).items() if k not in TIMING_COLUMNS} for r in rows]


def write_csv(rows, path) -> None:
    """CSV with a header; lists (singular values, gains) as JSON text, missing values empty."""
    rows = [jsonable_row(r) for r in rows]
    columns = list(rows[0]) if rows else []
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell_text(v) for k, v in row.items()})


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float
    return value


def write_jsonl(rows, path) -> None:
    """One JSON object per line (NaN written as null)."""
    with open(path, "w") as file:
        for row in rows:
            file.write(json.dumps(jsonable_row(row)) + "\n")


def read_jsonl(path) -> list[dict]:
    """The rows of a ``table.jsonl`` (null stays None)."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def to_dataframe(rows):
    """The rows as a ``pandas.DataFrame`` (pandas is optional: ``pip install pandas``)."""
    try:
        import pandas
    except ImportError:
        raise ImportError("to_dataframe needs the optional dependency pandas: "
                          'pip install "invlin[pandas]"  (or: pip install pandas)') from None
    return pandas.DataFrame([jsonable_row(r) for r in rows])
