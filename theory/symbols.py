"""The standard symbols of the theory, shared by every derivation and by the numeric side.

All symbols are real; those that are positive by their meaning are declared ``positive=True``, so
that SymPy simplifies ``sqrt(a**2)`` to ``a`` and picks branches correctly.

Scalar (per singular component) setting
---------------------------------------
``a``
    Singular value of the forward operator A for the component (``a > 0``).
``s``
    Prior standard deviation of the component: ``x ~ N(0, s**2)``.
``delta``
    Noise standard deviation: ``y = a*x + eta``, ``eta ~ N(0, delta**2)``.
``c``
    Regulariser weight (the paper's value is ``2*delta**2``).
``L``
    Lipschitz bound of the residual part g of ``phi = Id + g``; ``0 < L < 1`` (slopes of a
    diagonal or linear model lie in ``[1 - L, 1 + L]``).
``k``
    Gain (slope) of the learned scalar model ``u = k*x``; ``k > 0`` (an invertible model
    with positive Jacobian determinant).
``w``
    Inverse filter ``w = 1/k`` (``x_hat = t*w``), used where a loss is quadratic in ``1/k``.
``x``
    The unknown (a point of the prior's support), real.
``y``
    Measurement, real.
``z``
    Normal-equation data ``z = a*y``, real.
``t``
    Training target/data of the model (``y`` in the y-form, ``z`` in the z-forms), real.
``u``
    A point in the model's output space (``u = phi(x)``), real.
``eta``
    Noise realisation, real.
``epsilon``
    Scaling parameter of a series expansion (``log det(I + epsilon*J)``), real.
``m``, ``tau``
    Mixture parameters: component means ``+-m`` (``m > 0``) and component standard deviation
    ``tau > 0`` of the symmetric bimodal Gaussian-mixture prior.
``lam``
    An eigenvalue (of a positive semi-definite matrix), positive.
``omega``
    Weight of the ``+m`` component of the asymmetric two-component Gaussian mixture prior
    ``omega N(m, tau^2) + (1 - omega) N(-m, tau^2)`` (``0 < omega < 1``).
``b``, ``mu``
    Scale (``b > 0``) and location (real) of the Laplace prior
    ``p(x) = exp(-|x - mu|/b)/(2b)`` (:mod:`theory.laplace`).
``H``
    Upper slope bound of a slope-bounded map (``H = 1 + L`` for one block, ``(1 + L)^B`` for a
    composition of ``B`` blocks).
``B``
    Number of blocks of a composition (a positive integer).
``l1, l2, ..., l7``
    Derivatives of the log prior density at the point: ``l_k = l^{(k)}(y/a)`` with
    ``l = log p_X`` (used by the series beyond first order, :mod:`theory.higher_order`).
"""

import sympy as sp

a, s, delta, c, L, k, w = sp.symbols("a s delta c L k w", positive=True)
x, y, z, t, u, eta, epsilon = sp.symbols("x y z t u eta epsilon", real=True)
m, tau, lam, omega = sp.symbols("m tau lam omega", positive=True)
b, H = sp.symbols("b H", positive=True)
mu = sp.Symbol("mu", real=True)
B = sp.Symbol("B", integer=True, positive=True)
l1, l2, l3, l4, l5, l6, l7 = LOG_DERIVATIVES = sp.symbols("l1:8", real=True)

#: The paper's regulariser weight ``c = 2 delta^2``.
PAPER_WEIGHT = 2 * delta**2

__all__ = ["a", "s", "delta", "c", "L", "k", "w", "x", "y", "z", "t", "u", "eta", "epsilon",
           "m", "tau", "lam", "omega", "b", "mu", "H", "B", "l1", "l2", "l3", "l4", "l5", "l6", "l7",
           "LOG_DERIVATIVES", "PAPER_WEIGHT"]
