"""Claim, its check result and the evidence items the checks produce."""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import sympy as sp

STATUSES = ("proved", "refuted", "inconclusive")

#: Verdict categories, in the order a report lists them.
VERDICT_CATEGORIES = ("holds", "first-order", "refuted", "not-applicable")
#: Whose statement a verdict judges: the paper's (or a reading of it), or one this project adds.
SOURCES = ("paper", "invlin")


@dataclass(frozen=True)
class Verdict:
    """What a claim means for the reader, in plain words.

    Attributes
    ----------
    category : {"holds", "first-order", "refuted", "not-applicable"}
        ``holds``: the statement judged holds exactly (or for every prior tested);
        ``first-order``: it holds to first order in delta^2 only; ``refuted``: it is false;
        ``not-applicable``: its premise fails in a stated regime.
    source : {"paper", "invlin"}
        ``paper``: the statement judged is the paper's (or a reading of it); ``invlin``: this
        project's own statement.
    statement : str
        The statement judged, in one plain sentence. It may differ from the claim's statement:
        a proved claim "the divergence y-form is not the MAP" judges, and refutes, the reading
        "the divergence y-form gives the MAP".
    reason : str
        One sentence: why the verdict is what it is.
    breaks_at : str
        For ``first-order``: the order in delta where the statement breaks (e.g. ``"delta^4"``).
    counterexample : str
        For ``refuted``: the counterexample, in words.
    """

    category: str
    source: str
    statement: str
    reason: str
    breaks_at: str = ""
    counterexample: str = ""

    def __post_init__(self):
        if self.category not in VERDICT_CATEGORIES:
            raise ValueError(f"verdict category must be one of {VERDICT_CATEGORIES}, "
                             f"got {self.category!r}")
        if self.source not in SOURCES:
            raise ValueError(f"verdict source must be one of {SOURCES}, got {self.source!r}")
        if not self.statement.strip() or not self.reason.strip():
            raise ValueError("a verdict needs the statement it judges and a reason")
        if (self.category == "first-order") != bool(self.breaks_at):
            raise ValueError("breaks_at is required for, and only for, a 'first-order' verdict")
        if (self.category == "refuted") != bool(self.counterexample):
            raise ValueError("counterexample is required for, and only for, a 'refuted' verdict")

    def to_dict(self):
        return {"category": self.category, "source": self.source, "statement": self.statement,
                "reason": self.reason, "breaks_at": self.breaks_at or None,
                "counterexample": self.counterexample or None}


@dataclass(frozen=True)
class Evidence:
    """One human-readable item of evidence.

    Attributes
    ----------
    text : str
        Plain-text statement of what was computed and what came out.
    latex : str
        The same in LaTeX.
    supports : bool or None
        ``True`` if the item supports the claim, ``False`` if it contradicts it, ``None`` if it is
        context (a derived expression shown for the reader).
    """

    text: str
    latex: str
    supports: bool | None = None

    def to_dict(self):
        return {"text": self.text, "latex": self.latex, "supports": self.supports}


@dataclass(frozen=True)
class ClaimResult:
    """Result of a claim's symbolic check.

    Attributes
    ----------
    claim_id : str
    status : {"proved", "refuted", "inconclusive"}
        ``"refuted"`` if any evidence item contradicts the claim; ``"proved"`` if none does and
        at least one supports it; ``"inconclusive"`` otherwise.
    evidence : tuple of Evidence
    """

    claim_id: str
    status: str
    evidence: tuple

    @classmethod
    def from_evidence(cls, claim_id, evidence):
        evidence = tuple(evidence)
        verdicts = [item.supports for item in evidence]
        if any(v is False for v in verdicts):
            status = "refuted"
        elif any(v is True for v in verdicts):
            status = "proved"
        else:
            status = "inconclusive"
        return cls(claim_id, status, evidence)

    def to_dict(self):
        """Return a JSON-serialisable dict (all values are str, bool, None, list or dict)."""
        return {
            "claim_id": self.claim_id,
            "status": self.status,
            "evidence": [item.to_dict() for item in self.evidence],
        }


@dataclass(frozen=True, eq=False)
class Claim:
    """A checkable statement of the theory.

    Attributes
    ----------
    id : str
        Stable slug (the verification layer keys its numeric checks by it).
    title, statement, latex : str
        Short title, the statement in words and in LaTeX.
    assumptions : tuple of str
    expected_status : {"proved", "refuted"}
        What the derivation establishes.
    verdict : Verdict or None
        What the claim means for the reader (see :class:`Verdict`); the registry attaches the
        verdicts of :mod:`theory.claims._verdicts` to claims created without one.

    The keys of :attr:`prediction` are listed per claim in the docstring of
    :mod:`theory.claims` and in ``docs/theory.md``.
    """

    id: str
    title: str
    statement: str
    latex: str
    assumptions: tuple
    expected_status: str
    _check: Callable = field(repr=False)
    _prediction: Callable | None = field(default=None, repr=False)
    verdict: Verdict | None = None

    def __post_init__(self):
        if self.expected_status not in ("proved", "refuted"):
            raise ValueError(f"expected_status must be 'proved' or 'refuted', got {self.expected_status!r}")

    def check(self):
        """Run the symbolic check (cached after the first call) and return a ClaimResult."""
        return self._result

    @cached_property
    def _result(self):
        return ClaimResult.from_evidence(self.id, self._check())

    @cached_property
    def prediction(self):
        """Dict of SymPy expressions the numeric side can lambdify (empty if none)."""
        return {} if self._prediction is None else dict(self._prediction())

    @property
    def has_result(self) -> bool:
        """Whether the symbolic result is at hand (checked, or restored) in this process."""
        return "_result" in self.__dict__

    @property
    def restored(self) -> bool:
        """Whether the symbolic result was restored (:meth:`restore`), not derived here."""
        return self.__dict__.get("_restored", False)

    def restore(self, result, prediction) -> None:
        """Take a symbolic result and prediction computed earlier from the same source (e.g.
        from a disk cache keyed by the source of ``theory/``) instead of deriving them."""
        if not isinstance(result, ClaimResult) or result.claim_id != self.id:
            raise ValueError(f"not a result of claim {self.id!r}: {result!r}")
        self.__dict__["_result"] = result
        self.__dict__["prediction"] = dict(prediction)
        self.__dict__["_restored"] = True

    def to_dict(self):
        return {
            "id": self.id,
            "title": self.title,
            "statement": self.statement,
            "latex": self.latex,
            "assumptions": list(self.assumptions),
            "expected_status": self.expected_status,
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
        }


def show(text, expr, *, latex_prefix=""):
    """Context evidence: ``text`` followed by the expression (plain and LaTeX)."""
    return Evidence(f"{text}: {sp.sstr(expr)}", f"{latex_prefix}{sp.latex(expr)}", None)


def zero(text, residual, *, simplifier=sp.simplify):
    """Evidence that ``residual`` simplifies to zero (supports iff it does)."""
    reduced = simplifier(residual)
    holds = reduced.is_zero_matrix if isinstance(reduced, sp.MatrixBase) else reduced == 0
    verdict = "simplifies to 0" if holds else f"does NOT simplify to 0 (got {sp.sstr(reduced)})"
    latex = f"{sp.latex(residual)} = 0" if holds else f"{sp.latex(reduced)} \\neq 0"
    return Evidence(f"{text}: residual {verdict}", latex, bool(holds))


def positive(text, expr):
    """Evidence that ``expr`` is positive under the symbols' assumptions."""
    holds = sp.simplify(expr).is_positive is True
    verdict = "is positive" if holds else "is not provably positive"
    return Evidence(f"{text}: {sp.sstr(expr)} {verdict}", f"{sp.latex(expr)} > 0", holds)


def nonzero(text, expr, *, latex=None):
    """Evidence that ``expr`` is (provably) non-zero."""
    reduced = sp.simplify(expr)
    holds = reduced.is_zero is False
    verdict = "is non-zero" if holds else "is not provably non-zero"
    return Evidence(
        f"{text}: {sp.sstr(reduced)} {verdict}",
        latex or f"{sp.latex(reduced)} \\neq 0",
        holds,
    )


def fact(text, latex, holds):
    """Evidence with an explicit verdict computed by the caller."""
    return Evidence(text, latex, bool(holds))
