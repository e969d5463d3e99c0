"""The project's own numeric checks can fail: a slightly wrong prediction gives FAIL."""

import types

import pytest

from invlin.verify import verify
from invlin.verify.checks import linear, lipschitz
from theory import claims


class _Perturbed:
    """``theory.claims`` with one prediction of one claim multiplied by a factor."""

    def __init__(self, claim_id, key, factor):
        self.claim_id, self.key, self.factor = claim_id, key, factor

    def get(self, claim_id):
        claim = claims.get(claim_id)
        if claim_id != self.claim_id:
            return claim
        prediction = dict(claim.prediction)
        prediction[self.key] = prediction[self.key] * self.factor
        return types.SimpleNamespace(prediction=prediction)


@pytest.mark.parametrize("factor", [1.0, 1.001])
def test_wrong_filter_prediction_fails(monkeypatch, factor):
    monkeypatch.setattr(lipschitz, "claims", _Perturbed(
        "lipschitz-approximation-filter", "inverse_filter_z_stated", factor))
    (record,) = verify(["lipschitz-approximation-filter"], quick=True)
    assert record.status == ("PASS" if factor == 1.0 else "FAIL")


def test_wrong_operator_fails(monkeypatch):
    """A 0.1% error in theory's divergence operator is far outside the convergence bound."""
    exact = linear._theory_operator
    monkeypatch.setattr(linear, "_theory_operator",
                        lambda loss, form: tuple(1.001 * v for v in exact(loss, form)))
    (record,) = verify(["linear-divergence-operator"], quick=True)
    assert record.status == "FAIL"
    assert "convergence bound" in record.reason
