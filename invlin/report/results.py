"""The results document (results.json, ``invlin check --json``); schema: docs/results-schema.json."""

from __future__ import annotations

import json
from pathlib import Path

from invlin.report.environment import environment
from invlin.verify.evidence import STATUSES

SCHEMA_VERSION = "1.0"


def summary(records) -> dict:
    """Number of claims per status."""
    counts = {status: 0 for status in STATUSES}
    for record in records:
        counts[record.status] += 1
    return counts


def results_document(records, *, command: str, quick: bool, seed: int, jobs: int,
                     claim_ids=None, timings: dict, studies=(), figures=None) -> dict:
    """Assemble the results document.

    Parameters
    ----------
    records : list of ClaimRecord
    command : str
        The shell command that reproduces the run.
    quick, seed, jobs, claim_ids
        The run's settings.
    timings : dict
        Seconds per phase; must contain ``total_seconds`` and ``verify_seconds``.
    studies : list of dict
        Study records (see :mod:`invlin.report.studies`).
    figures : dict or None
        Claim id -> list of ``{"file", "caption"}`` written for that claim.
    """
    claims = []
    for record in records:
        entry = record.to_dict()
        if figures is not None:
            entry["figures"] = list(figures.get(record.id, []))
        claims.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "settings": {"quick": bool(quick), "seed": int(seed), "jobs": int(jobs),
                     "claims": None if claim_ids is None else list(claim_ids)},
        "environment": environment(),
        "timings": {k: float(v) for k, v in timings.items()},
        "summary": summary(records),
        "claims": claims,
        "studies": list(studies),
    }


def write_json(document: dict, path) -> Path:
    """Write ``document`` as indented JSON (no NaN: non-finite numbers are already null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    return path
