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
