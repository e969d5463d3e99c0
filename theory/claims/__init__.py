"""The claim registry: every statement of the theory as a checkable :class:`Claim`.

>>> from theory import claims
>>> [claim.id for claim in claims.all()][:2]
['approximation-gain', 'reconstruction-gain-is-pm']
>>> claims.get("logdet-y-gain").check().status
'proved'

Ids are stable slugs (``docs/architecture.md``); the order of :func:`all` is stable. How to add a
claim is described in ``docs/theory.md``.
"""

from functools import lru_cache

from theory.claims._core import Claim, ClaimResult, Evidence
from theory.claims import _function_space, _linear, _scalar

#: Registry order: the table of docs/architecture.md, then the claims theory adds.
ORDER = (
    "approximation-gain",
    "reconstruction-gain-is-pm",
    "logdet-y-gain",
    "logdet-y-first-order-pm",
    "logdet-y-no-constant-weight",
    "logdet-z-unweighted",
    "logdet-z-weighted-first-order",
    "logdet-euler-lagrange",
    "logdet-inverse-pm-second-order",
    "divergence-stein-identity",
    "divergence-z-map",
    "divergence-invertibility",
    "divergence-y-not-map",
    "diagonal-marginal-divergence",
    "diagonal-marginal-reconstruction",
    "lipschitz-clipping",
    "lipschitz-approximation-filter",
    "iresnet-logdet-series",
    "tweedie-linear",
    "gaussian-pm-equals-map",
    "linear-divergence-operator",
    "linear-reconstruction-operator",
    "linear-logdet-operator",
)


@lru_cache(maxsize=1)
def _registry():
    found = (
        _scalar.claims()
        + [_scalar.divergence_y_claim()]
        + _scalar.lipschitz_claims()
        + _function_space.claims()
        + _linear.claims()
    )
    by_id = {}
    for claim in found:
        if claim.id in by_id:
            raise RuntimeError(f"duplicate claim id {claim.id!r}")
        by_id[claim.id] = claim
    missing = [cid for cid in ORDER if cid not in by_id]
    if missing:
        raise RuntimeError(f"claims missing from the registry: {missing}")
    extra = sorted(cid for cid in by_id if cid not in ORDER)
    return {cid: by_id[cid] for cid in list(ORDER) + extra}


def all():  # noqa: A001 - the registry's public name, as in the interface contract
    """Return every claim, in the stable registry order (a new list each call)."""
    return list(_registry().values())


def get(claim_id):
    """Return the claim with id ``claim_id``.

    Raises
    ------
    KeyError
        If there is no such claim (the message lists the valid ids).
    """
    registry = _registry()
    if claim_id not in registry:
        raise KeyError(f"no claim with id {claim_id!r}; valid ids: {list(registry)}")
    return registry[claim_id]


__all__ = ["Claim", "ClaimResult", "Evidence", "all", "get", "ORDER"]
