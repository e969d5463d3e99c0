"""Records of the verification layer: numeric evidence, figure specifications, claim records."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: The four statuses of a claim, from best to worst.
STATUSES = ("PASS", "SKIP", "FAIL", "ERROR")


@dataclass(frozen=True)
class Series:
    """One curve or point set of a figure.

    Attributes
    ----------
    label : str
        Legend entry.
    x, y : list of float
        Coordinates.
    style : {"line", "marker", "dashed"}
        ``"line"`` for a prediction, ``"marker"`` for measured values, ``"dashed"`` for a reference
        (e.g. the predicted slope on a log-log plot).
    """

    label: str
    x: list
    y: list
    style: str = "line"

    def to_dict(self) -> dict:
        return {"label": self.label, "x": [float(v) for v in self.x],
                "y": [float(v) for v in self.y], "style": self.style}


@dataclass(frozen=True)
class FigureSpec:
    """Data of a figure, drawn by :mod:`invlin.report.figures` (no plotting in the checks).

    Attributes
    ----------
    kind : str
        ``"gain-vs-noise"``, ``"gap-vs-delta"``, ``"learned-vs-predicted"`` or ``"generic"``.
    title, xlabel, ylabel : str
        Text of the figure (mathtext allowed, e.g. ``r"$\\delta$"``).
    series : list of Series
    loglog : bool
        Logarithmic axes on both sides.
    logy : bool
        Logarithmic y axis only (ignored when ``loglog``).
    """

    kind: str
    title: str
    xlabel: str
    ylabel: str
    series: list
    loglog: bool = False
    logy: bool = False

    def to_dict(self) -> dict:
        return {"kind": self.kind, "title": self.title, "xlabel": self.xlabel,
                "ylabel": self.ylabel, "loglog": self.loglog, "logy": self.logy,
                "series": [s.to_dict() for s in self.series]}


@dataclass(frozen=True)
class NumericEvidence:
    """The outcome of one numeric check of a claim.

    Attributes
    ----------
    quantity : str
        What was measured, in words (e.g. "max relative error of the learned gain").
    error : float
        The measured discrepancy between the numeric side and the prediction (>= 0).
    tolerance : float
        The largest acceptable ``error``.
    tolerance_reason : str
        Why the tolerance has this value (floating-point precision, or k standard errors computed
        from the sample size).
    details : dict
        JSON-serialisable extra numbers (sample sizes, measured and predicted values, ...).
    figure : FigureSpec or None
        A picture of the comparison, where one says more than the numbers.
    """

    quantity: str
    error: float
    tolerance: float
    tolerance_reason: str
    details: dict = field(default_factory=dict)
    figure: FigureSpec | None = None

    def __post_init__(self):
        if not self.tolerance_reason:
            raise ValueError("tolerance_reason must be a non-empty string")
        if not (isinstance(self.tolerance, (int, float)) and self.tolerance >= 0):
            raise ValueError(f"tolerance must be a number >= 0, got {self.tolerance!r}")

    @property
    def passed(self) -> bool:
        """``error <= tolerance``; a NaN error never passes."""
        return bool(math.isfinite(self.error) and self.error <= self.tolerance)

    def to_dict(self) -> dict:
        return {
            "quantity": self.quantity,
            "error": _json_float(self.error),
            "tolerance": float(self.tolerance),
            "tolerance_reason": self.tolerance_reason,
            "passed": self.passed,
            "details": _jsonable(self.details),
            "figure": None if self.figure is None else self.figure.to_dict(),
        }


@dataclass
class CheckOutcome:
    """One registered numeric check as it ran: its evidences, or why it was skipped or errored."""

    name: str
    evidence: list = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"name": self.name, "skipped": self.skipped, "error": self.error,
                "seconds": self.seconds, "evidence": [e.to_dict() for e in self.evidence]}


@dataclass
class ClaimRecord:
    """Everything the report needs about one claim.

    ``status`` is ``PASS`` when the symbolic status equals the expected one and every numeric
    error is within its tolerance; ``FAIL`` when either is not; ``ERROR`` when anything raised
    (never reported as PASS); ``SKIP`` when a numeric check could not run (``reason`` says why).
    """

    id: str
    title: str = ""
    statement: str = ""
    latex: str = ""
    assumptions: list = field(default_factory=list)
    expected_status: str = ""
    verdict: dict | None = None
    symbolic_status: str | None = None
    symbolic_evidence: dict = field(default_factory=dict)
    symbolic_error: str | None = None
    symbolic_source: str = "derived"
    checks: list = field(default_factory=list)
    status: str = "ERROR"
    reason: str = ""
    seed: int = 0
    seconds: float = 0.0

    @property
    def evidence(self) -> list:
        """All numeric evidences of all checks, in order."""
        return [e for c in self.checks for e in c.evidence]

    def worst_ratio(self) -> float | None:
        """max(error / tolerance) over the numeric evidence, or None without evidence."""
        ratios = [_ratio(e) for e in self.evidence]
        return max(ratios) if ratios else None

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "statement": self.statement,
            "latex": self.latex, "assumptions": [str(a) for a in self.assumptions],
            "expected_status": self.expected_status, "verdict": self.verdict,
            "symbolic_status": self.symbolic_status,
            "symbolic_evidence": _jsonable(self.symbolic_evidence),
            "symbolic_error": self.symbolic_error, "symbolic_source": self.symbolic_source,
            "checks": [c.to_dict() for c in self.checks], "status": self.status,
            "reason": self.reason, "seed": self.seed, "seconds": self.seconds,
        }


def _ratio(evidence: NumericEvidence) -> float:
    if not math.isfinite(evidence.error):
        return math.inf
    if evidence.tolerance == 0:
        return 0.0 if evidence.error == 0 else math.inf
    return evidence.error / evidence.tolerance


def _json_float(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _jsonable(value):
    """Convert numpy scalars/arrays and SymPy objects to plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _json_float(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _jsonable(tolist())
    try:
        return _json_float(value)
    except (TypeError, ValueError):
        return str(value)
