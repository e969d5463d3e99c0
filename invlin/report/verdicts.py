"""The verdict section and the summary rows of a report, from the results document.

Everything here reads the data the claims carry (``claim["verdict"]``, the claim's status, its
numeric evidence and figures, the studies' checks naming it); nothing is inferred from a claim's
id. Shared by the Markdown, HTML and LaTeX writers.
"""

from __future__ import annotations

import math

#: Verdict groups in the order the report lists them: what a referee looks for first (what does
#: not hold), then what holds; claims without a verdict last, so they cannot hide.
GROUPS = (
    ("refuted", "Refuted",
     "The statement is false; the counterexample and its figure are given."),
    ("first-order", "Holds to first order only",
     "The statement holds to first order in delta^2; the order where it breaks and the measured "
     "size there are given."),
    ("not-applicable", "Not applicable",
     "The statement's premise fails in a stated regime."),
    ("holds", "Holds",
     "The statement holds exactly, or for every prior tested."),
    (None, "No verdict recorded",
     "The claim carries no verdict (theory.claims.Verdict); read its section."),
)

#: What a claim's status says about its verdict. A PASS confirms the verdict, whichever it is
#: (a PASS under "Refuted" means the checks confirm the refutation); any other status means the
#: verdict is NOT confirmed by this run.
STATUS_MEANING = {
    "PASS": "checks confirm this verdict",
    "FAIL": "CHECK FAILED: this run does not confirm the verdict",
    "ERROR": "CHECK RAISED an exception: this run does not confirm the verdict",
    "SKIP": "numeric check skipped: the verdict rests on the symbolic check alone",
}

_SOURCES = {"paper": "paper", "invlin": "ours"}


def category_of(claim: dict):
    """The claim's verdict category, or None when it carries no verdict."""
    verdict = claim.get("verdict")
    return None if not verdict else verdict["category"]


def heading(category) -> str:
    """The heading of a verdict category (None: no verdict)."""
    return next(title for key, title, _ in GROUPS if key == category)


def source(claim: dict) -> str:
    """Whose statement the verdict judges: 'paper' or 'ours' ('-' without a verdict)."""
    verdict = claim.get("verdict")
    return _SOURCES.get(verdict["source"], verdict["source"]) if verdict else "-"


def grouped(document: dict) -> list[tuple]:
    """``(category, heading, explanation, claims)`` for every group with at least one claim."""
    out = []
    for key, title, explanation in GROUPS:
        members = [c for c in document["claims"] if category_of(c) == key]
        if members:
            out.append((key, title, explanation, members))
    return out


def counts(document: dict) -> list[tuple[str, int]]:
    """(heading, number of claims) per non-empty group, in report order."""
    return [(title, len(members)) for _, title, _, members in grouped(document)]


def worst_ratio(claim: dict) -> float | None:
    """max(error / tolerance) over the claim's numeric evidence (None without evidence)."""
    ratios = []
    for check in claim["checks"]:
        for e in check["evidence"]:
            error, tolerance = e["error"], e["tolerance"]
            if error is None:
                ratios.append(math.inf)
            elif tolerance > 0:
                ratios.append(error / tolerance)
            else:
                ratios.append(0.0 if error == 0 else math.inf)
    return max(ratios) if ratios else None


def worst_cell(claim: dict) -> str:
    """The worst error / tolerance of a claim as text ('-' without numeric evidence)."""
    ratio = worst_ratio(claim)
    return "-" if ratio is None else f"{ratio:.3g}"


def measured_size(claim: dict) -> str | None:
    """The measured size of a difference at the largest noise level, from the numeric evidence
    whose details carry ``deltas`` and ``rms_difference`` (RMS of the difference at each delta):
    the largest over such evidence, with the evidence's own description. None if no evidence
    carries them."""
    best = None
    for check in claim["checks"]:
        for e in check["evidence"]:
            details = e.get("details") or {}
            deltas, sizes = details.get("deltas"), details.get("rms_difference")
            if not (isinstance(deltas, list) and isinstance(sizes, list) and deltas
                    and len(deltas) == len(sizes) and sizes[-1] is not None):
                continue
            if best is None or sizes[-1] > best[0]:
                best = (sizes[-1], deltas[-1], e["quantity"].split(":")[0])
    if best is None:
        return None
    size, delta, what = best
    return f"RMS {size:.2g} at delta = {delta:g} ({what})"


def study_support(document: dict, claim_id: str) -> list[tuple[str, int, int]]:
    """(study name, passed, counted) for every study with checks naming ``claim_id``."""
    out = []
    for study in document.get("studies", []):
        checks = [c for c in study.get("checks", []) if c.get("claim") == claim_id]
        if checks:
            out.append((study["name"], sum(bool(c.get("passed")) for c in checks), len(checks)))
    return out


#: Formulas longer than this (LaTeX characters) are not shown in the human-readable files: they
#: are multiplied-out residuals (up to 8,000 characters) that no reader reads; the step's label
#: says what simplifies, and results.json keeps the formula.
MAX_FORMULA = 600


def too_long(latex: str) -> str | None:
    """The note shown instead of a formula longer than :data:`MAX_FORMULA`, else None."""
    if len(latex) <= MAX_FORMULA:
        return None
    return f"(formula of {len(latex):,} characters, in results.json)"


def studies_line(document: dict) -> list[tuple[str, str, str, str]]:
    """(name, title, status, checks) per study: checks as 'passed/counted checks passed' or
    'no checks'."""
    out = []
    for study in document.get("studies", []):
        checks = study.get("checks", [])
        passed = sum(bool(c.get("passed")) for c in checks)
        out.append((study["name"], study.get("title") or study["name"], study["status"],
                    f"{passed}/{len(checks)} checks passed" if checks else "no checks"))
    return out


def symbolic_steps(claim: dict) -> list[dict]:
    """The symbolic evidence as labelled steps, in the order of the derivation.

    Each step is ``{"label", "latex", "role"}``; role is ``supports``, ``contradicts`` or
    ``context`` (the item's ``supports`` True, False or None). Items that are not
    ``{"text", "latex", ...}`` records are shown as their text.
    """
    evidence = (claim.get("symbolic_evidence") or {}).get("evidence")
    if evidence is None:
        return []
    items = evidence if isinstance(evidence, list) else [evidence]
    steps = []
    for item in items:
        if isinstance(item, dict):
            supports = item.get("supports")
            steps.append({"label": str(item.get("text", "")).strip(),
                          "latex": str(item.get("latex", "") or "").strip(),
                          "role": {True: "supports", False: "contradicts"}.get(supports,
                                                                               "context")})
        else:
            steps.append({"label": str(item), "latex": "", "role": "context"})
    return steps


def summary_columns() -> list[str]:
    """Columns of the summary table (one row per claim, :func:`summary_row`); "symbolic" says
    whether the symbolic result was derived in this run or loaded from the derivation cache."""
    return ["claim", "title", "verdict", "status", "worst error / tolerance", "time [s]",
            "symbolic"]


def summary_row(claim: dict) -> list:
    """One claim's summary cells (plain values; the writers add links and styling)."""
    return [claim["id"], claim["title"], heading(category_of(claim)), claim["status"],
            worst_cell(claim), claim["seconds"], claim.get("symbolic_source", "derived")]
