"""Building a study's JSON record: settings, tables, figures and checks."""

from __future__ import annotations

import numbers

import numpy as np


def jsonable(value):
    """Return ``value`` with NumPy scalars and arrays converted to plain Python objects."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        # JSON has no inf/NaN; keep them visible as strings rather than silently dropping them.
        return value if np.isfinite(value) else str(value)
    return value


def new_record(name: str, title: str, description: str, settings: dict, seed: int) -> dict:
    """An empty study record with its identification and settings filled in."""
    return {
        "name": name,
        "title": title,
        "description": description,
        "settings": jsonable(settings),
        "seed": int(seed),
        "tables": [],
        "figures": [],
        "checks": [],
    }


def add_table(record: dict, title: str, columns, rows) -> None:
    """Append a table (rows are sequences of the same length as ``columns``)."""
    columns = list(columns)
    rows = [list(row) for row in rows]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"table {title!r}: row {row} does not match columns {columns}")
    record["tables"].append({"title": title, "columns": columns, "rows": jsonable(rows)})


def add_figure(record: dict, file: str, caption: str) -> None:
    """Append a figure written to ``out_dir/file``."""
    record["figures"].append({"file": file, "caption": caption})


def add_check(record: dict, claim: str, quantity: str, error: float, tolerance: float,
              reason: str) -> bool:
    """Append a numeric check ``error <= tolerance`` supporting (or not) claim ``claim``.

    A non-finite error never passes.
    """
    error = float(error)
    tolerance = float(tolerance)
    passed = bool(np.isfinite(error) and error <= tolerance)
    record["checks"].append(
        {
            "claim": claim,
            "quantity": quantity,
            "error": jsonable(error),
            "tolerance": jsonable(tolerance),
            "reason": reason,
            "passed": passed,
        }
    )
    return passed


def fmt(value: float, se: float | None = None, digits: int = 3) -> str:
    """Format a number (and its standard error) for a table cell."""
    if se is None:
        return f"{value:.{digits}g}"
    return f"{value:.{digits}g} ± {se:.2g}"
