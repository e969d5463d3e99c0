"""The result store: one JSON file per finished cell, keyed by the cell and the code version."""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from functools import lru_cache
from pathlib import Path

from invlin._atomic import atomic_write_text


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of invlin's version and of every ``.py`` file of ``invlin`` and ``theory``.

    Any edit of the code gives a new version, so a stored row is reused only by the exact code
    that computed it.
    """
    import invlin
    import theory

    digest = hashlib.sha256(invlin.__version__.encode())
    for package in (invlin, theory):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root.parent).as_posix().encode())
            digest.update(path.read_bytes())
    return f"{invlin.__version__}+{digest.hexdigest()[:16]}"


#: Sub-directory of a store where unreadable cell files are moved.
DAMAGED_DIR = "damaged"


class DamagedCellWarning(UserWarning):
    """A stored cell file could not be used; it was moved aside and the cell is recomputed."""


class ResultStore:
    """Rows of finished cells in ``directory/<key>.json`` (``key = cell.key(code_version)``).

    Each row is written atomically (temporary file, then rename) as soon as its cell finishes,
    so an interrupted sweep loses at most the cells that were running; a rerun loads the stored
    rows and computes only the missing cells.

    A stored file that cannot be used (truncated by a partial copy or a full disk, empty, not
    JSON, or holding the row of other settings than its name's key) is moved to
    ``directory/damaged/`` with a :class:`DamagedCellWarning` naming it, and its cell counts as
    not finished: the sweep recomputes it instead of stopping.
    """

    def __init__(self, directory, version: str | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.version = code_version() if version is None else version

    def path(self, cell) -> Path:
        return self.directory / f"{cell.key(self.version)}.json"

    def load(self, cell) -> dict | None:
        """The stored row of ``cell``, or None if it has not finished with this code (or its
        file was damaged: then the file is moved aside with a warning)."""
        path = self.path(cell)
        if not path.exists():
            return None
        try:
            row = _decode(_read_row(path))
            problem = _mismatch(row, cell, path.stem)
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem is None:
            return row
        moved = self._move_aside(path)
        warnings.warn(f"damaged sweep cell file {os.fspath(path)} ({problem}); moved to "
                      f"{os.fspath(moved)}, the cell is computed again",
                      DamagedCellWarning, stacklevel=2)
        return None

    def _move_aside(self, path: Path) -> Path:
        damaged = self.directory / DAMAGED_DIR
        damaged.mkdir(exist_ok=True)
        target, n = damaged / path.name, 1
        while target.exists():
            target, n = damaged / f"{path.stem}.{n}{path.suffix}", n + 1
        os.replace(path, target)
        return target

    def save(self, cell, row: dict) -> None:
        atomic_write_text(self.path(cell), json.dumps(_encode(row), sort_keys=False))


def _read_row(path: Path) -> dict:
    row = json.loads(path.read_text())
    if not isinstance(row, dict):
        raise ValueError(f"a row is a JSON object, found {type(row).__name__}")
    return row


def _mismatch(row: dict, cell, key: str) -> str | None:
    """Why ``row`` is not the row of ``cell`` stored under ``key``, or None."""
    from invlin.sweep.cell import DEFAULTS, Cell

    if row["cell"] != key:
        return f"its row names the cell {row['cell']!r}"
    if Cell.from_settings({k: row[k] for k in DEFAULTS}) != cell:
        return "its settings do not match its key"
    return None


def _encode(row: dict) -> dict:
    # JSON has no NaN: store it as null and restore it on load
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def _decode(row: dict) -> dict:
    from invlin.sweep.cell import complete_row

    return complete_row({k: v for k, v in row.items() if v is not None})
