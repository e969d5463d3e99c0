"""The claim registry: every statement of the theory as a checkable :class:`Claim`.

>>> from theory import claims
>>> [claim.id for claim in claims.all()][:2]
['approximation-gain', 'reconstruction-gain-is-pm']
>>> claims.get("logdet-y-gain").check().status
'proved'

Ids are stable slugs (``docs/architecture.md``); the order of :func:`all` is stable. How to add a
claim is described in ``docs/theory.md``.

Predictions
-----------
``claim.prediction`` is a dict of SymPy expressions in the symbols of :mod:`theory.symbols`
(lambdify them with :func:`theory.numeric`). Keys per claim (``<form>`` is ``y``, ``z`` or
``z_weighted``; gains are slopes k, inverse filters 1/k, gaps are 1/k - 1/k_ref):

=====================================  ==========================================================
approximation-gain                     gain_y, gain_z, gain_z_weighted
reconstruction-gain-is-pm              gain_y, gain_z
logdet-y-gain                          gain_y (weight c symbolic), gain_y_paper (c = 2 delta^2)
logdet-y-first-order-pm                gain_y, gain_y_series (the stated 2-term series),
                                       pm_gain_y, gap_to_pm_y
logdet-y-no-constant-weight            exact_weight_y (c*), gain_y_exact_weight (= PM gain)
logdet-z-unweighted                    gain_z, pm_gain_z, gap_to_pm_z
logdet-z-weighted-first-order          gain_z_weighted, pm_gain_z, gap_to_pm_z_weighted
logdet-inverse-pm-second-order         gap_to_pm_y, gap_to_pm_z_weighted
divergence-z-map                       gain_z, map_gain_z
divergence-invertibility               mixture_min_slope (inf_x phi*'(x), in a, delta, m, tau;
                                       derived from phi*' by function_space.mixture_min_slope),
                                       mixture_phi_star (phi*(x) for the bimodal mixture)
divergence-y-not-map                   gain_y, map_gain_y
diagonal-marginal-divergence           f_gaussian, f_mixture, f_logistic (f_j(x) per marginal)
diagonal-marginal-reconstruction       pm_gaussian_z, pm_mixture_z (E[x_j | z_j], in z)
lipschitz-clipping                     gain_<loss>_<form> (clipped, in L), every loss and form
lipschitz-approximation-filter         inverse_filter_z (derived), inverse_filter_z_stated
tweedie-linear                         pm_mixture_y (E[x | y], in y), data_density_mixture (p_Y)
gaussian-pm-equals-map                 pm_gain_y, map_gain_y, pm_gain_z, map_gain_z
linear-logdet-operator                 spectral_gain (g(lam), c symbolic), spectral_gain_paper
pm-map-fourth-order                    pm_series, map_series, pm_minus_map_d4
logdet-inverse-pm-fourth-order         logdet_inverse_series, pm_series, logdet_minus_pm_d4
logdet-inverse-fourth-order            logdet_inverse_series (y), logdet_inverse_series_z,
                                       logdet_inverse_series_z_weighted, logdet_inverse_d4,
                                       logdet_minus_pm_d4, logdet_minus_map_d4
divergence-inverse-map-all-orders      divergence_inverse_series_y, divergence_inverse_series_z,
                                       divergence_inverse_series_z_weighted, map_series
laplace-map-soft-threshold             map, threshold
laplace-posterior-mean                 pm, pm_mills, data_density
laplace-divergence-inverse-map         phi_star_z, inverse_z, jump_z
laplace-slope-bounded-divergence       forward_z, inverse_z, dead_zone_slope, zone_edge_data,
                                       sup_gap_to_map, blocks_upper, target (in H, L, B)
laplace-pm-map-gap                     gap_layer_over_tau (in theory.laplace.xi),
                                       gap_far_leading, rms_leading (in a, b, delta)
laplace-logdet-euler-lagrange          inverse_leading_y, layer_profile, far_field_y
=====================================  ==========================================================

The other claims have no scalar prediction (their numeric counterparts use
:mod:`theory.linear` and :mod:`theory.function_space` directly).

Series beyond first order (the four claims above the last rule): expressions in ``a, delta, y``
and ``l1, l2, l3`` (:data:`theory.symbols.l1` ...), where ``l_k = l^(k)(y/a)`` is the k-th
derivative of ``l = log p_X`` **evaluated at t = y/a** (z-forms: ``y = z/a``). ``*_series`` are the
estimates truncated after ``delta^4``: e.g. ``pm_series = y/a + delta^2 l1/a^2 +
delta^4 (l1 l2 + l3/2)/a^4``. ``*_d4`` are delta^4 coefficients ``C`` (difference ``= C delta^4 +
O(delta^6)``, without the factor ``delta^4``): ``pm_minus_map_d4 = l3/(2 a^4)``,
``logdet_minus_pm_d4 = (l1 l2 + l3/2)/a^4``, ``logdet_minus_map_d4 = (l1 l2 + l3)/a^4``,
``logdet_inverse_d4 = (2 l1 l2 + l3)/a^4``. For a concrete prior substitute its derivatives with
``theory.higher_order.at_prior(expr, prior)`` (priors of
:data:`theory.function_space.ALL_PRIORS`; parameters ``s``; ``m, tau``; ``m, tau, omega``), then
lambdify with :func:`theory.numeric`.
"""

from dataclasses import replace
from functools import lru_cache

from theory.claims._core import VERDICT_CATEGORIES, Claim, ClaimResult, Evidence, Verdict
from theory.claims import _function_space, _higher_order, _laplace, _linear, _scalar
from theory.claims._verdicts import VERDICTS as _VERDICT_TABLE

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
    "linear-logdet-spurious-stationary-points",
    "pm-map-fourth-order",
    "logdet-inverse-pm-fourth-order",
    "logdet-inverse-fourth-order",
    "divergence-inverse-map-all-orders",
    "laplace-map-soft-threshold",
    "laplace-posterior-mean",
    "laplace-divergence-inverse-map",
    "laplace-slope-bounded-divergence",
    "laplace-pm-map-gap",
    "laplace-logdet-euler-lagrange",
)


@lru_cache(maxsize=1)
def _registry():
    found = (
        _scalar.claims()
        + [_scalar.divergence_y_claim()]
        + _scalar.lipschitz_claims()
        + _function_space.claims()
        + _linear.claims()
        + _higher_order.claims()
        + _laplace.claims()
    )
    by_id = {}
    for claim in found:
        if claim.id in by_id:
            raise RuntimeError(f"duplicate claim id {claim.id!r}")
        if claim.verdict is None and claim.id in _VERDICT_TABLE:
            claim = replace(claim, verdict=_VERDICT_TABLE[claim.id])
        by_id[claim.id] = claim
    stray = sorted(set(_VERDICT_TABLE) - set(by_id))
    if stray:
        raise RuntimeError(f"verdicts for claims that do not exist: {stray}")
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


__all__ = ["Claim", "ClaimResult", "Evidence", "Verdict", "VERDICT_CATEGORIES", "all", "get",
           "ORDER"]
