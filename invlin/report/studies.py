"""Run the studies of :mod:`invlin.studies` for a report, each guarded and timed."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from invlin.studies import ALL, load


def available_studies() -> list:
    """The study modules, in the order of ``invlin.studies.ALL``."""
    return [load(name) for name in ALL]


def run_study(module, directory, *, seed: int, quick: bool) -> dict:
    """Run one study into ``directory/<name>``; return its record with paths relative to
    ``directory.parent`` (the report directory), a status and the time taken.

    A study that raises gets status ERROR with the traceback; one whose checks do not all pass
    gets FAIL.
    """
    name = module.__name__.rsplit(".", 1)[-1]
    out = Path(directory) / name
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        record = dict(module.run(out, seed=seed, quick=quick))
    except Exception:  # noqa: BLE001 - shown in the report as ERROR
        return {"name": name, "title": name, "description": "", "status": "ERROR",
                "error": traceback.format_exc(), "seconds": time.perf_counter() - start,
                "tables": [], "figures": [], "checks": []}
    record.setdefault("name", name)
    record["figures"] = [
        {"file": _relative(out, f["file"], Path(directory).parent), "caption": f.get("caption", "")}
        for f in record.get("figures", [])
    ]
    record.setdefault("tables", [])
    record.setdefault("checks", [])
    record["status"] = "OK" if all(c.get("passed") for c in record["checks"]) else "FAIL"
    record["error"] = None
    record["seconds"] = time.perf_counter() - start
    return record


def _relative(out: Path, file, root: Path) -> str:
    path = Path(file)
    if not path.is_absolute():
        path = out / path
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
