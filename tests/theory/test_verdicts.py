"""Every claim carries a verdict in plain words, consistent with what its derivation shows."""

import pytest

from theory import claims
from theory.claims import VERDICT_CATEGORIES, Verdict


@pytest.mark.parametrize("claim", claims.all(), ids=lambda c: c.id)
def test_every_claim_has_a_verdict(claim):
    verdict = claim.verdict
    assert isinstance(verdict, Verdict), (
        f"{claim.id}: add its Verdict to theory/claims/_verdicts.py")
    assert verdict.category in VERDICT_CATEGORIES
    assert claim.to_dict()["verdict"] == verdict.to_dict()


@pytest.mark.parametrize("claim", claims.all(), ids=lambda c: c.id)
def test_a_refuted_statement_has_a_refuted_verdict(claim):
    # a claim whose derivation refutes its own statement cannot be reported as holding
    if claim.expected_status == "refuted":
        assert claim.verdict.category == "refuted"


@pytest.mark.parametrize("fields, message", [
    (("maybe", "paper", "s", "r"), "category"),
    (("holds", "referee", "s", "r"), "source"),
    (("holds", "paper", " ", "r"), "statement"),
    (("first-order", "paper", "s", "r"), "breaks_at"),
    (("holds", "paper", "s", "r", "delta^4"), "breaks_at"),
    (("refuted", "paper", "s", "r"), "counterexample"),
])
def test_verdict_rejects_incomplete_records(fields, message):
    with pytest.raises(ValueError, match=message):
        Verdict(*fields)
