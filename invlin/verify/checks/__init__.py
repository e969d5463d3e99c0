"""Numeric checks of every claim, one module per theme; importing this package registers them.

=====================  =====================================================================
module                 claims
=====================  =====================================================================
``estimators``         tweedie-linear, gaussian-pm-equals-map
``function_space``     divergence-stein-identity, divergence-invertibility,
                       iresnet-logdet-series
``scalar_gains``       approximation-gain, reconstruction-gain-is-pm, logdet-y-gain,
                       logdet-y-first-order-pm, logdet-y-no-constant-weight,
                       logdet-z-unweighted, logdet-z-weighted-first-order, divergence-z-map,
                       divergence-y-not-map
``logdet``             logdet-euler-lagrange, logdet-inverse-pm-second-order
``lipschitz``          lipschitz-clipping, lipschitz-approximation-filter
``diagonal``           diagonal-marginal-divergence, diagonal-marginal-reconstruction
``linear``             linear-divergence-operator, linear-reconstruction-operator,
                       linear-logdet-operator, linear-logdet-spurious-stationary-points
=====================  =====================================================================
"""

from invlin.verify.checks import (  # noqa: F401  (imported for registration)
    diagonal,
    discriminating,
    estimators,
    fourth_order,
    function_space,
    linear,
    lipschitz,
    logdet,
    scalar_gains,
)
