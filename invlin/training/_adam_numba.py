"""The Adam update as one Numba loop (private; :class:`invlin.training.Adam` validates).

The arithmetic of the textbook numpy expressions, element by element and in their order, with
no fast-math flags: the same result as those expressions, without their dozen temporaries.
"""

import math

from invlin._kernels.jit import kernel


@kernel
def adam_update(theta, grad, m, v, learning_rate, beta1, beta2, eps, bias1, bias2, out):
    """m, v <- the moment estimates (in place); out <- theta - lr m_hat / (sqrt(v_hat) + eps),
    m_hat = m / bias1, v_hat = v / bias2."""
    for i in range(theta.shape[0]):
        g = grad[i]
        m[i] = beta1 * m[i] + (1.0 - beta1) * g
        v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
        out[i] = theta[i] - learning_rate * (m[i] / bias1) / (math.sqrt(v[i] / bias2) + eps)
