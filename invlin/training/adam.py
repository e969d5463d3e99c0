"""The Adam optimiser on a flat parameter vector."""

from __future__ import annotations

import numpy as np

from invlin._validation import positive_scalar
from invlin.training._adam_numba import adam_update

__all__ = ["Adam"]


class Adam:
    r"""Adam (Kingma & Ba, 2015) with bias correction.

    Parameters
    ----------
    learning_rate : float
    beta1, beta2 : float, optional
        Decay rates of the first and second moment estimates, in [0, 1).
    eps : float, optional
        Denominator offset.

    Notes
    -----
    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
    :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`,
    :math:`\theta_t = \theta_{t-1} - \alpha \hat m_t / (\sqrt{\hat v_t} + \epsilon)` with
    :math:`\hat m_t = m_t / (1 - \beta_1^t)`, :math:`\hat v_t = v_t / (1 - \beta_2^t)`.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adam(0.1)
    >>> opt.step(np.array([1.0]), np.array([2.0]))
    array([0.9])
    """

    def __init__(self, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.learning_rate = positive_scalar(learning_rate, "learning_rate")
        for name, value in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.eps = positive_scalar(eps, "eps")
        self._m = None
        self._v = None
        self.t = 0

    def step(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the updated parameters (the input is not modified)."""
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        grad = np.ascontiguousarray(grad, dtype=np.float64)
        if self._m is None:
            self._m = np.zeros(theta.shape)
            self._v = np.zeros(theta.shape)
        self.t += 1
        out = np.empty(theta.shape)
        # the Notes' formulas, element by element in one loop (the numpy expressions' result)
        adam_update(theta, grad, self._m, self._v, self.learning_rate, self.beta1, self.beta2,
                    self.eps, 1.0 - self.beta1**self.t, 1.0 - self.beta2**self.t, out)
        return out
