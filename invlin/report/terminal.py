"""The terminal table of ``invlin check``."""

from __future__ import annotations

from invlin.report.results import summary
from invlin.verify.evidence import _ratio


def _numeric_cell(record) -> str:
    evidence = record.evidence
    if not evidence:
        return "-"
    worst = max(evidence, key=lambda e: (not e.passed, _ratio(e)))
    return f"{worst.error:.2e} <= {worst.tolerance:.1e}" if worst.passed else (
        f"{worst.error:.2e} >  {worst.tolerance:.1e}")


def claims_table(records, *, width: int = 100) -> str:
    """A fixed-width table: claim, expected/symbolic status, worst numeric error vs tolerance,
    time, status; followed by the reasons of every non-PASS claim and the counts."""
    rows = [("claim", "symbolic", "worst numeric error vs tol", "time", "status")]
    for r in records:
        symbolic = f"{r.symbolic_status or 'error'}" + (
            "" if r.symbolic_status == r.expected_status else f" (expected {r.expected_status})")
        rows.append((r.id, symbolic, _numeric_cell(r), f"{r.seconds:6.1f}s", r.status))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"{r.status} {r.id}: {r.reason}" for r in records if r.status != "PASS"]
    if notes:
        lines += [""] + [_clip(note, width) for note in notes]
    counts = summary(records)
    lines += ["", ", ".join(f"{counts[s]} {s}" for s in counts) + f" of {len(records)} claims"]
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 4 * width else text[: 4 * width - 3] + "..."
