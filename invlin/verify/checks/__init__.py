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
``discriminating``     the PM/MAP claims on non-Gaussian priors: population-trained splines
                       against PM, MAP or the loss's function-space optimum, on the scale
                       d(PM, MAP) (``_discrimination``)
``laplace``            the Laplace (sparsity) prior's claims: generic MAP/PM routes, trained
                       splines (with slope bounds) and the Euler-Lagrange reference against
                       the closed forms of theory.laplace
``fourth_order``       pm-map-fourth-order, logdet-inverse-fourth-order,
                       logdet-inverse-pm-fourth-order, divergence-inverse-map-all-orders and
                       the delta^4 items of the log-det claims (series vs exact references)
=====================  =====================================================================

Shared helpers: ``_gains`` (population and sample comparisons of gains), ``_gaps``,
``_discrimination`` (the d(learned, predicted) / d(PM, MAP) items), ``_sample_fit`` (RQMC
samples of mixture problems and empirical-loss fits), ``_tolerances``.
"""

from invlin.verify.checks import (  # noqa: F401  (imported for registration)
    diagonal,
    discriminating,
    estimators,
    fourth_order,
    function_space,
    laplace,
    linear,
    lipschitz,
    logdet,
    scalar_gains,
)
