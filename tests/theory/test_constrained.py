"""KKT minimisers on an interval, and negative controls of the Lipschitz claims' checks."""

import pytest
import sympy as sp

from theory import scalar as sc
from theory import symbols as S
from theory.claims import ClaimResult
from theory.claims import _scalar as claims_scalar
from theory.constrained import kkt_minimiser, kkt_points

k = S.k


@pytest.mark.parametrize("centre,expected", [(sp.Rational(1, 4), sp.Rational(1, 2)),
                                             (1, 1), (5, sp.Rational(3, 2))])
def test_kkt_minimiser_of_a_quadratic_is_the_clip(centre, expected):
    # f = (k - centre)^2: minimiser on [1/2, 3/2] is the clip of centre (by hand)
    assert kkt_minimiser(2 * (k - centre), k, sp.Rational(1, 2), sp.Rational(3, 2)) == expected


def test_kkt_minimiser_of_a_nonquadratic_convex_function():
    # f = k^2 - log k on [1, 2]: f' = 2k - 1/k > 0 on [1, 2], so the lower bound (by hand)
    assert kkt_minimiser(2 * k - 1 / k, k, 1, 2) == 1
    # on [1/2, 1]: root 1/sqrt(2) inside
    assert kkt_minimiser(2 * k - 1 / k, k, sp.Rational(1, 2), 1) == 1 / sp.sqrt(2)


def test_kkt_minimiser_rejects_a_non_unimodal_function():
    # f' = (k - 1)(k - 2)(k - 3/2)... two interior roots where f' changes sign: several KKT points
    derivative = (k - 1) * (k - 2)
    assert len(kkt_points(derivative, k, 0, 3)) > 1
    with pytest.raises(ValueError, match="exactly one"):
        kkt_minimiser(derivative, k, 0, 3)


def test_kkt_rejects_an_empty_interval_and_undecidable_signs():
    with pytest.raises(ValueError, match="below"):
        kkt_minimiser(k - 1, k, 2, 1)
    free = sp.Symbol("free", real=True)
    with pytest.raises(ValueError, match="cannot decide"):
        kkt_minimiser(k - free, k, 0, 1)


def _status(claim_id):
    (claim,) = [c for c in claims_scalar.lipschitz_claims() if c.id == claim_id]
    return ClaimResult.from_evidence(claim.id, claim._check()).status


def test_dropping_the_clip_refutes_lipschitz_clipping(monkeypatch):
    original = sc.optimal_gain
    monkeypatch.setattr(sc, "optimal_gain",
                        lambda loss, form="z", weight=None, lipschitz=None: original(loss, form, weight))
    assert _status("lipschitz-clipping") == "refuted"


def test_clipping_only_below_refutes_lipschitz_clipping(monkeypatch):
    original = sc.optimal_gain

    def half_clipped(loss, form="z", weight=None, lipschitz=None):
        gain = original(loss, form, weight)
        return gain if lipschitz is None else sp.Max(gain, 1 - lipschitz)

    monkeypatch.setattr(sc, "optimal_gain", half_clipped)
    assert _status("lipschitz-clipping") == "refuted"


def test_wrong_stated_filter_refutes_lipschitz_approximation_filter(monkeypatch):
    original = claims_scalar._predict_lipschitz_filter

    def unclipped():
        prediction = original()
        prediction["inverse_filter_z_stated"] = 1 / S.a**2  # the clip dropped
        return prediction

    monkeypatch.setattr(claims_scalar, "_predict_lipschitz_filter", unclipped)
    assert _status("lipschitz-approximation-filter") == "refuted"
