"""Formatting shared by the Markdown and HTML writers."""

from __future__ import annotations


def format_number(value) -> str:
    """Numbers in 4 significant digits, None as '-', everything else as text."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def evidence_rows(claim: dict) -> list[list]:
    """One row per numeric evidence of a claim dict: check, quantity, error, tolerance,
    passed, tolerance reason."""
    return [[check["name"].rsplit(".", 1)[-1], e["quantity"], e["error"], e["tolerance"],
             e["passed"], e["tolerance_reason"]]
            for check in claim["checks"] for e in check["evidence"]]


def run_rows(document: dict) -> list[list]:
    """The run record of a results document as (setting, value) rows: settings, environment,
    versions, thread counts and timings."""
    env = document["environment"]
    settings = document["settings"]
    return ([["quick", settings["quick"]], ["seed", settings["seed"]], ["jobs", settings["jobs"]],
             ["git commit", env["git_commit"]], ["created (UTC)", env["created_utc"]],
             ["platform", env["platform"]]]
            + [[f"version {k}", v] for k, v in env["versions"].items()]
            + [[f"threads {k}", v] for k, v in env["threads"].items() if k != "environment"]
            + [[k, v] for k, v in env["threads"]["environment"].items()]
            + [[f"time {k}", v] for k, v in document["timings"].items()])
