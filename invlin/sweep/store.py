"""The result store: one JSON file per finished cell, keyed by the cell and the code version."""

from __future__ import annotations

import hashlib
import json
import math
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


class ResultStore:
    """Rows of finished cells in ``directory/<key>.json`` (``key = cell.key(code_version)``).

    Each row is written atomically (temporary file, then rename) as soon as its cell finishes,
    so an interrupted sweep loses at most the cells that were running; a rerun loads the stored
    rows and computes only the missing cells.
    """

    def __init__(self, directory, version: str | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.version = code_version() if version is None else version

    def path(self, cell) -> Path:
        return self.directory / f"{cell.key(self.version)}.json"

    def load(self, cell) -> dict | None:
        """The stored row of ``cell``, or None if it has not finished with this code."""
        path = self.path(cell)
        if not path.exists():
            return None
        return _decode(json.loads(path.read_text()))

    def save(self, cell, row: dict) -> None:
        atomic_write_text(self.path(cell), json.dumps(_encode(row), sort_keys=False))


def _encode(row: dict) -> dict:
    # JSON has no NaN: store it as null and restore it on load
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def _decode(row: dict) -> dict:
    from invlin.sweep.cell import complete_row

    return complete_row({k: v for k, v in row.items() if v is not None})
