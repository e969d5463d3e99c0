"""Evidence shared by the scalar and the linear claims (both modules import it from here).

:func:`scalar_pm_map_evidence` is part of the linear claim that PM = MAP for Gaussian priors;
:func:`lipschitz_linear_evidence` is part of the scalar claim on Lipschitz clipping (the
constrained linear optimum of a diagonal problem is diagonal).
"""

import sympy as sp

from theory import linear as li
from theory import scalar as sc
from theory import symbols as S
from theory.claims._core import fact, zero

a, s, delta = S.a, S.s, S.delta


def generic_model(n=2):
    """A generic affine model (K, b) in n dimensions: real symbols K0.., b0.."""
    K = sp.Matrix(n, n, sp.symbols(f"K0:{n * n}", real=True))
    b = sp.Matrix(sp.symbols(f"b0:{n}", real=True))
    return K, b


def scalar_pm_map_evidence():
    """Evidence that the scalar PM and MAP gains agree (the matrix identity is in _linear)."""
    ev = []
    for form in ("y", "z"):
        ev.append(zero(f"{form}: k_PM - k_MAP", sc.pm_gain(form) - sc.map_gain(form)))
    ev.append(zero("y: PM filter minus Tikhonov filter a s^2/(a^2 s^2 + delta^2)",
                   1 / sc.pm_gain("y") - a * s**2 / (a**2 * s**2 + delta**2)))
    return ev


def lipschitz_linear_evidence():
    """Evidence that, for a diagonal problem, the constrained linear optimum is diagonal.

    With ``A^T A`` and ``Sigma`` diagonal in the same basis (and ``mu = 0``), the approximation
    and divergence losses are invariant under ``K -> D K D`` for every sign matrix ``D``, as is the
    constraint ``||K - I||_2 <= L``; both losses are strictly convex quadratics (plus a linear
    term), so the unique constrained minimiser is invariant, hence diagonal, and its entries are
    the clipped scalar gains.
    """
    t1, t2, s1, s2 = sp.symbols("t1 t2 s1 s2", positive=True)
    A = sp.diag(sp.sqrt(t1), sp.sqrt(t2))
    Sigma = sp.diag(s1**2, s2**2)
    K, b = generic_model(2)
    D = sp.diag(1, -1)
    ev = []
    for loss in ("approximation", "divergence"):
        value = li.expected_loss(loss, "z", K, b, A, Sigma)
        flipped = li.expected_loss(loss, "z", D * K * D, D * b, A, Sigma)
        ev.append(zero(f"linear model, diagonal problem: {loss} loss(DKD, Db) - loss(K, b), "
                       "D = diag(1, -1)", sp.expand(flipped - value)))
        H = sp.hessian(value, list(K) + list(b))
        minors = [sp.factor(H[:i, :i].det()) for i in range(1, H.rows + 1)]
        ev.append(fact(f"{loss}: Hessian in (K, b) has leading principal minors {minors}, all "
                       "positive: strictly convex", "\\nabla^2\\ell \\succ 0",
                       all(m.is_positive for m in minors)))
    return ev
