"""Claims of the function-space setting (all maps, generic and concrete priors)."""

from theory.claims._core import Claim

_PENDING = ("derivation being completed",)


def _pending():
    return []


def claims():
    """Return the function-space claims, in registry order."""
    specs = [
        ("logdet-euler-lagrange", "Log-det Euler-Lagrange equation"),
        ("logdet-inverse-pm-second-order", "Log-det inverse is PM to second order"),
        ("divergence-stein-identity", "Stein identity behind the divergence term"),
        ("divergence-z-map", "Divergence z-form minimiser inverts to the MAP"),
        ("divergence-invertibility", "Invertibility criterion of the divergence minimiser"),
        ("diagonal-marginal-divergence", "Diagonal models see the marginal prior (divergence)"),
        ("diagonal-marginal-reconstruction", "Diagonal models learn the marginal PM"),
        ("iresnet-logdet-series", "Log-det series of an iResNet block"),
        ("tweedie-linear", "Tweedie's formula for linear problems"),
    ]
    return [Claim(cid, title, title, "", _PENDING, "proved", _pending) for cid, title in specs]
