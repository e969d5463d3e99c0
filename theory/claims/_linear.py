"""Claims of the general linear Gaussian setting (matrix A, prior N(mu, Sigma))."""

from theory.claims._core import Claim

_PENDING = ("derivation being completed",)


def _pending():
    return []


def claims():
    """Return the linear claims, in registry order."""
    specs = [
        ("gaussian-pm-equals-map", "Gaussian prior: PM = MAP"),
        ("linear-divergence-operator", "Linear divergence z-form optimum"),
        ("linear-reconstruction-operator", "Linear reconstruction optimum is the PM map"),
        ("linear-logdet-operator", "Linear log-det optimum"),
    ]
    return [Claim(cid, title, title, "", _PENDING, "proved", _pending) for cid, title in specs]
