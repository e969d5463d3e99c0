"""Every claim's symbolic check returns its expected status; the registry matches the contract."""

import json
import re
from pathlib import Path

import pytest
import sympy as sp

from theory import claims, laplace
from theory import symbols as S

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _contract_ids():
    """Claim ids from the table in docs/architecture.md (the interface contract)."""
    text = ARCHITECTURE.read_text()
    section = text.split("## Claim ids", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.M)


def test_registry_contains_every_contract_id_in_order():
    contract = _contract_ids()
    assert len(contract) >= 20  # the table parsed (guards against a silently empty list)
    ids = [claim.id for claim in claims.all()]
    assert ids[: len(contract)] == contract
    assert len(set(ids)) == len(ids)


def test_registry_order_is_stable_and_get_returns_same_object():
    first = claims.all()
    assert [c.id for c in first] == [c.id for c in claims.all()]
    assert claims.get(first[3].id) is first[3]


def test_get_unknown_id_raises_keyerror_listing_ids():
    with pytest.raises(KeyError, match="valid ids"):
        claims.get("no-such-claim")


@pytest.mark.parametrize("claim", claims.all(), ids=lambda c: c.id)
def test_check_returns_expected_status(claim):
    result = claim.check()
    assert result.status == claim.expected_status, [e.text for e in result.evidence]
    assert result.claim_id == claim.id
    supporting = [e for e in result.evidence if e.supports is True]
    assert supporting, "a claim needs at least one supporting evidence item"
    if claim.expected_status == "refuted":
        assert any(e.supports is False for e in result.evidence)


@pytest.mark.parametrize("claim", claims.all(), ids=lambda c: c.id)
def test_claim_metadata_and_serialisation(claim):
    assert claim.title and claim.statement and claim.latex
    assert claim.assumptions and all(isinstance(a, str) and a for a in claim.assumptions)
    payload = json.loads(json.dumps({"claim": claim.to_dict(), "result": claim.check().to_dict()}))
    for item in payload["result"]["evidence"]:
        assert isinstance(item["text"], str) and item["text"]
        assert isinstance(item["latex"], str) and item["latex"]
        assert item["supports"] in (True, False, None)


@pytest.mark.parametrize("claim", claims.all(), ids=lambda c: c.id)
def test_predictions_are_lambdifiable_sympy_expressions(claim):
    allowed = {S.a, S.s, S.delta, S.c, S.L, S.y, S.x, S.z, S.m, S.tau, S.lam, S.omega,
               S.b, S.H, S.B, laplace.xi, *S.LOG_DERIVATIVES}
    for key, expr in claim.prediction.items():
        assert isinstance(key, str) and re.fullmatch(r"[a-z0-9_]+", key)
        assert isinstance(expr, sp.Expr)
        assert expr.free_symbols <= allowed, (key, expr.free_symbols)


def test_result_status_rule():
    from theory.claims import ClaimResult, Evidence

    ok, bad, info = Evidence("t", "l", True), Evidence("t", "l", False), Evidence("t", "l", None)
    assert ClaimResult.from_evidence("x", [ok, info]).status == "proved"
    assert ClaimResult.from_evidence("x", [ok, bad]).status == "refuted"
    assert ClaimResult.from_evidence("x", [info]).status == "inconclusive"
    assert ClaimResult.from_evidence("x", []).status == "inconclusive"


def test_zero_evidence_detects_a_nonzero_residual():
    from theory.claims._core import zero

    assert zero("wrong", S.a - 2 * S.a).supports is False
    assert zero("right", (S.a + 1) ** 2 - S.a**2 - 2 * S.a - 1).supports is True
