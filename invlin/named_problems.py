"""Problems known by name, for the command line (``invlin evaluate --problem NAME``).

The 2-D toy setting of the studies (:mod:`invlin.studies._toy`): the operator
``A = V diag(1.2, 0.7) V^T`` (V the rotation by 30 degrees) with

- ``log-concave``: a product of logistic densities in the singular basis (PM != MAP);
- ``bimodal``: the equal-weight two-component Gaussian mixture (non-log-concave);
- ``gaussian``: the standard normal prior N(0, I) (PM = MAP).
"""

from __future__ import annotations

import numpy as np

from invlin._validation import choice


def _priors() -> dict:
    from invlin.priors import Gaussian
    from invlin.studies import _toy

    return {"log-concave": _toy.logconcave_prior, "bimodal": _toy.bimodal_prior,
            "gaussian": lambda: Gaussian(np.zeros(2), np.eye(2))}


#: The names :func:`named_problem` accepts.
NAMES = ("log-concave", "bimodal", "gaussian")


def named_problem(name: str, delta: float):
    """The :class:`~invlin.problem.LinearInverseProblem` called ``name`` at noise level delta."""
    from invlin.problem import LinearInverseProblem
    from invlin.studies import _toy

    name = choice(name, "problem", NAMES)
    return LinearInverseProblem(_toy.operator(), delta, _priors()[name]())
