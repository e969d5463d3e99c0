"""Fake claims and check registries for testing the verification layer without the theory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invlin.verify.evidence import FigureSpec, NumericEvidence, Series
from invlin.verify.registry import CheckRegistry, SkipCheck


@dataclass
class FakeResult:
    status: str

    def to_dict(self):
        return {"status": self.status, "evidence": {"text": "fake", "latex": r"k = a^2"}}


@dataclass
class FakeClaim:
    id: str
    expected_status: str = "proved"
    symbolic_status: str = "proved"
    raises: bool = False
    title: str = "a fake claim"
    statement: str = "the mean of N(1, 1) samples is 1"
    latex: str = r"\mathbb{E}[x] = 1"
    assumptions: tuple = ("x ~ N(1, 1)",)

    def check(self):
        if self.raises:
            raise RuntimeError("symbolic failure on purpose")
        return FakeResult(self.symbolic_status)


def _mean_evidence(rng, quick, predicted):
    """Sample mean of N(1, 1) against a prediction, tolerance 4 standard errors."""
    n = 2_000 if quick else 20_000
    x = rng.normal(1.0, 1.0, n)
    # tolerance: 4 standard errors of the mean of n unit-variance samples
    return NumericEvidence("|sample mean - predicted mean|", abs(x.mean() - predicted),
                           4.0 / np.sqrt(n), f"4 standard errors of the mean (n = {n})",
                           details={"n": n, "mean": float(x.mean())},
                           figure=FigureSpec("generic", "sample mean", "n", "mean",
                                             [Series("measured", [n], [x.mean()], "marker"),
                                              Series("predicted", [0, n], [predicted] * 2)]))


def make_registry():
    """Claims and checks covering every status.

    - ``good``: right prediction -> PASS
    - ``wrong-prediction``: predicted mean 1.5 (wrong) -> FAIL
    - ``wrong-symbolic``: symbolic status differs from the expected one -> FAIL
    - ``raises``: the numeric check raises -> ERROR
    - ``symbolic-raises``: the symbolic check raises -> ERROR
    - ``skipped``: the check raises SkipCheck -> SKIP
    - ``needs-module``: requires a module that does not exist -> SKIP
    - ``unchecked``: no numeric check registered -> SKIP
    """
    claims = [FakeClaim("good"), FakeClaim("wrong-prediction"),
              FakeClaim("wrong-symbolic", symbolic_status="refuted"), FakeClaim("raises"),
              FakeClaim("symbolic-raises", raises=True), FakeClaim("skipped"),
              FakeClaim("needs-module"), FakeClaim("unchecked")]
    registry = CheckRegistry()

    @registry.register("good")
    def good(rng, quick):
        return _mean_evidence(rng, quick, 1.0)

    @registry.register("wrong-prediction")
    def wrong(rng, quick):
        return _mean_evidence(rng, quick, 1.5)

    @registry.register("wrong-symbolic")
    def right_numbers(rng, quick):
        return _mean_evidence(rng, quick, 1.0)

    @registry.register("raises")
    def raises(rng, quick):
        raise ZeroDivisionError("numeric failure on purpose")

    @registry.register("symbolic-raises")
    def fine(rng, quick):
        return _mean_evidence(rng, quick, 1.0)

    @registry.register("skipped")
    def skipped(rng, quick):
        raise SkipCheck("needs a GPU on purpose")

    @registry.register("needs-module", requires=("invlin_no_such_module",))
    def needs(rng, quick):
        return _mean_evidence(rng, quick, 1.0)

    return claims, registry


EXPECTED_STATUS = {"good": "PASS", "wrong-prediction": "FAIL", "wrong-symbolic": "FAIL",
                   "raises": "ERROR", "symbolic-raises": "ERROR", "skipped": "SKIP",
                   "needs-module": "SKIP", "unchecked": "SKIP"}
