"""The invertible residual network (i-ResNet) with spectrally normalised blocks."""

from __future__ import annotations

import math
import numbers

import numpy as np

from invlin._validation import as_float_array, choice, positive_int, positive_scalar
from invlin.errors import InversionError
from invlin.inversion import InversionResult
from invlin.models import _iresnet_drivers as _drivers
from invlin.models import _iresnet_numba as _kernels
from invlin.models import _iresnet_stochastic_numba as _stochastic_kernels
from invlin.models._spectral_numba import block_bounds, rescale_blocks
from invlin.models.base import InvertibleModel

_ACTIVATIONS = {"tanh": _kernels.TANH, "softplus": _kernels.SOFTPLUS,
                "softclip": _kernels.SOFTCLIP}
# Lipschitz constants of the activations: sup |tanh'| = 1, sup |softplus'| = sup sigmoid = 1,
# sup |softclip'| = softclip'(0) = tanh(beta / 2) < 1 (bounded by 1, which is safe).
_ACTIVATION_LIPSCHITZ = {"tanh": 1.0, "softplus": 1.0, "softclip": 1.0}
_REGULARISERS = {"logdet": _kernels.REG_LOGDET, "divergence": _kernels.REG_DIVERGENCE}


# Work (samples x blocks x width) from which the parallel drivers run the chunks on the
# work-sharing team (invlin._kernels.team); below it the serial driver runs (bitwise the same
# result). Waking a helper thread costs 10-60 microseconds, and the team never waits for a
# helper that has not started. Measured on 2 cores (docs/engine.md, "Threading"): at 2^16
# (256 samples, 4 blocks of width 64, two chunks) the cheapest kernel, forward, takes 256
# microseconds serial and 170 on the team; every other kernel gains more.
PARALLEL_MIN_WORK = 2**16


class IResNet(InvertibleModel):
    r"""Invertible residual network phi = block_B o ... o block_1 on R^n.

    Parameters
    ----------
    dim : int
        Dimension n of the space.
    blocks : int
        Number B of residual blocks.
    width : int
        Hidden width m of every block.
    lipschitz : float, default 0.9
        Bound L in (0, 1) on the Lipschitz constant of every residual branch g_k.
    activation : {"tanh", "softplus", "softclip"}, default "tanh"
        Smooth activation (all are 1-Lipschitz and infinitely differentiable). ``"softclip"``
        is a smooth clipped identity (see Notes): a unit of it holds the slope of its block at
        1 + L on an interval, which tanh cannot (its slope reaches 1 + L only at a point).
    rng : numpy.random.Generator or int
        Generator (or seed for ``numpy.random.default_rng``) of the initial weights.

    Notes
    -----
    Each block is :math:`x \mapsto x + g_k(x)` with

    .. math:: g_k(x) = W_2^{(k)} \sigma(W_1^{(k)} x + b_1^{(k)}) + b_2^{(k)},

    :math:`W_1^{(k)} \in \mathbb{R}^{m \times n}`, :math:`W_2^{(k)} \in \mathbb{R}^{n \times m}`.
    :math:`\mathrm{Lip}(g_k) \le \mathrm{Lip}(\sigma) \|W_1^{(k)}\|_2 \|W_2^{(k)}\|_2`, and
    :meth:`project` rescales both matrices by the same factor so that this bound, computed from
    the spectral norms (largest eigenvalues of the Gram matrices,
    :mod:`invlin.models._spectral_numba`) inflated by their rounding-error bound, is at most L.
    The bound is therefore rigorous, not a power-iteration estimate (which approaches the norm
    from below). With L < 1 every block is invertible by the Banach fixed-point theorem and
    :math:`\det(I + J_{g_k}) > 0`.

    The soft clip of sharpness :math:`\beta = 8`
    (``invlin.models._iresnet_numba.SOFTCLIP_SHARPNESS``) is

    .. math:: \sigma(h) = \frac{\mathrm{softplus}(\beta(h + 1))
              - \mathrm{softplus}(\beta(h - 1))}{\beta} - 1, \qquad
              \sigma'(h) = \frac{\sinh\beta}{\cosh\beta + \cosh\beta h} \in (0, 1),

    the identity on :math:`|h| < 1` up to :math:`O(e^{-\beta(1 - |h|)})` and :math:`\pm 1`
    outside: one unit with :math:`W_1 = 1/r`, :math:`W_2 = L r` gives
    :math:`g(x) \approx L\,\mathrm{clip}(x, -r, r)`.

    Flat parameter layout (``get_parameters``): grouped by kind, then by block, row-major:
    ``[W1 (B, m, n), b1 (B, m), W2 (B, n, m), b2 (B, n)]``, in total
    ``B (2 m n + m + n)`` numbers.

    Regularisers: ``logdet(x)`` is :math:`\log\det D\phi(x) = \sum_k \log\det J_k` with
    :math:`J_k = I + J_{g_k}` evaluated along the forward pass; ``divergence(x)`` is
    :math:`\operatorname{div}\phi(x) = \operatorname{tr} D\phi(x)
    = \operatorname{tr}(J_B\cdots J_1)`
    -- the trace of the product, not the sum of the block traces -- as in
    ``docs/architecture.md`` (R = div phi = tr D phi). The training objectives use exactly these.
    Exact Jacobians cost O(B m n^2) per point; for larger n use
    :mod:`invlin.models.logdet_estimator`.

    Initial weights: W1 ~ N(0, 1/n), b1 ~ N(0, 1/4), W2 ~ N(0, 1/m) entrywise, b2 = 0, then
    :meth:`project`.

    Examples
    --------
    >>> import numpy as np
    >>> model = IResNet(2, blocks=4, width=16, lipschitz=0.9, rng=0)
    >>> model.lipschitz() <= 0.9
    True
    >>> x = np.array([[0.5, -1.0]])
    >>> bool(np.allclose(model.inverse(model.forward(x)), x))
    True
    """

    def __init__(self, dim, blocks, width, *, lipschitz=0.9, activation="tanh", rng):
        self.dim = positive_int(dim, "dim")
        self.blocks = positive_int(blocks, "blocks")
        self.width = positive_int(width, "width")
        lip = positive_scalar(lipschitz, "lipschitz")
        if lip >= 1.0:
            raise ValueError(f"lipschitz must be < 1 for invertibility, got {lip}")
        self.lipschitz_bound = lip
        self.activation = choice(activation, "activation", _ACTIVATIONS)
        if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
            rng = np.random.default_rng(int(rng))
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}"
            )
        B, m, n = self.blocks, self.width, self.dim
        self._offsets = np.cumsum([0, B * m * n, B * m, B * n * m, B * n]).tolist()
        self._bounds = None  # certified block bounds of the current parameters, once computed
        self._theta = np.zeros(self.n_parameters)
        W1, b1, W2, b2 = self._views(self._theta)
        W1[...] = rng.standard_normal((B, m, n)) / np.sqrt(n)
        b1[...] = rng.standard_normal((B, m)) * 0.5
        W2[...] = rng.standard_normal((B, n, m)) / np.sqrt(m)
        # b2 starts at zero
        self.project()

    # -- parameters -------------------------------------------------------------------------
    @property
    def n_parameters(self) -> int:
        return self.blocks * (2 * self.width * self.dim + self.width + self.dim)

    def _views(self, theta):
        B, m, n = self.blocks, self.width, self.dim
        offsets = self._offsets
        W1 = theta[offsets[0]:offsets[1]].reshape(B, m, n)
        b1 = theta[offsets[1]:offsets[2]].reshape(B, m)
        W2 = theta[offsets[2]:offsets[3]].reshape(B, n, m)
        b2 = theta[offsets[3]:offsets[4]].reshape(B, n)
        return W1, b1, W2, b2

    def get_parameters(self) -> np.ndarray:
        return self._theta.copy()

    def set_parameters(self, theta) -> None:
        self._theta = self._check_parameters(theta)
        self._bounds = None

    def _kernel_weights(self):
        W1, b1, W2, b2 = self._views(self._theta)
        return (np.ascontiguousarray(W1.transpose(0, 2, 1)), np.ascontiguousarray(b1),
                np.ascontiguousarray(W2), np.ascontiguousarray(b2))

    def _flat_gradient(self, gW1T, gb1, gW2, gb2) -> np.ndarray:
        """Sum the per-chunk gradient slots in chunk order and return them in the flat layout."""
        return _kernels.flat_gradient(gW1T, gb1, gW2, gb2)

    # -- Lipschitz constraint ---------------------------------------------------------------
    def _block_bounds(self) -> np.ndarray:
        """Certified bounds Lip(act) ||W1||_2 ||W2||_2 per block (rounding inflated).

        Computed once per parameter vector: :meth:`set_parameters` and a rescaling
        :meth:`project` forget them.
        """
        if self._bounds is None:
            W1, _, W2, _ = self._views(self._theta)
            self._bounds = block_bounds(W1, W2, _ACTIVATION_LIPSCHITZ[self.activation])
        return self._bounds

    def lipschitz(self) -> float:
        """Certified bound on max_k Lip(g_k) (computed afresh from exact spectral norms)."""
        return float(self._block_bounds().max())

    def project(self) -> None:
        r"""Rescale W1, W2 of every block whose certified bound exceeds L to bound <= L.

        Both matrices of a block are multiplied by s = sqrt(L / bound) (times 1 - 1e-12, which
        absorbs the rounding of the rescaling itself), which keeps their ratio and puts the
        bound on the boundary when the constraint is active.

        Notes
        -----
        The rescaled block's certificate follows without recomputing the norms: the computed
        :math:`\tilde W = \mathrm{fl}(sW)` has :math:`|\tilde W - sW| \le u|sW|` entrywise
        (u = eps / 2), so :math:`\|\tilde W\|_2 \le s\|W\|_2 + u\|sW\|_F
        \le s\|W\|_2 (1 + u\sqrt{r})` with r = min(m, n). Hence
        :math:`\mathrm{Lip}(\sigma)\|\tilde W_1\|_2\|\tilde W_2\|_2 \le s^2\,\mathrm{bound}\,
        (1 + u\sqrt r)^2`, and with the two roundings of ``bound * s * s`` and the one of the
        product below, ``bound * s * s * (1 + eps (sqrt(r) + 4))`` is a certified bound
        (:math:`\le L`, since :math:`s^2\,\mathrm{bound} = L (1 - 10^{-12})^2`).
        """
        self._bounds = self._rescale(self._theta, self._bounds)

    def _projection(self, theta) -> np.ndarray:
        """P(theta), as :meth:`project` makes it, computed on a copy: the model is untouched."""
        projected = np.array(theta, dtype=np.float64)
        self._rescale(projected)
        return projected

    def _rescale(self, theta, bounds=None) -> np.ndarray:
        """Rescale in place the blocks of the parameter vector ``theta`` whose certified bound
        (``bounds``, or computed from ``theta`` if None) exceeds L; return the certified bounds
        afterwards (the arithmetic of :meth:`project`, whose Notes prove them)."""
        W1, _, W2, _ = self._views(theta)
        if bounds is None:
            bounds = block_bounds(W1, W2, _ACTIVATION_LIPSCHITZ[self.activation])
        return rescale_blocks(W1, W2, bounds, self.lipschitz_bound)

    # -- the map ----------------------------------------------------------------------------
    def _act(self) -> int:
        return _ACTIVATIONS[self.activation]

    def _kernel(self, name: str, work: int, module=_drivers):
        """Kernel ``name`` of ``module``: its parallel path (the work-sharing team) for enough
        ``work`` (number of samples or sample-probe pairs), else its serial one."""
        parallel = work * self.blocks * self.width >= PARALLEL_MIN_WORK
        return getattr(module, f"{name}_{'parallel' if parallel else 'serial'}")

    def _run(self, name: str, work: int, *args, module=_drivers):
        """Run kernel ``name`` (see :meth:`_kernel`) on the weights and ``args``."""
        return self._kernel(name, work, module)(*self._kernel_weights(), self._act(), *args)

    def forward(self, x) -> np.ndarray:
        """phi(x) for points of shape (N, n) (or one point (n,))."""
        x, single = self._points(x)
        out = self._run("forward", x.shape[0], x)
        return out[0] if single else out

    def jacobian(self, x) -> np.ndarray:
        """Exact D phi(x_i) = J_B ... J_1, shape (N, n, n) (or (n, n) for one point)."""
        x, single = self._points(x)
        jac, _ = self._run("jacobian", x.shape[0], x, _kernels.REG_DIVERGENCE)
        return jac[0] if single else jac

    def logdet(self, x) -> np.ndarray:
        """Exact log det D phi(x_i) = sum_k log det J_k (raises if some det J_k <= 0)."""
        x, single = self._points(x)
        _, reg = self._run("jacobian", x.shape[0], x, _kernels.REG_LOGDET)
        _require_logdet_defined(reg)
        return reg[0] if single else reg

    def divergence(self, x) -> np.ndarray:
        """Exact div phi(x_i) = tr D phi(x_i) = tr(J_B ... J_1)."""
        x, single = self._points(x)
        _, reg = self._run("jacobian", x.shape[0], x, _kernels.REG_DIVERGENCE)
        return reg[0] if single else reg

    def inverse(self, u, *, tol=1e-12, max_iter=1000, newton=None, return_info=False):
        r"""phi^{-1}(u) by fixed-point iteration per block in reverse order.

        Parameters
        ----------
        u : array_like, shape (N, n) or (n,)
        tol : float, default 1e-12
            Tolerance on the final residual :math:`|\phi(x_i) - u_i|`.
        max_iter : int, default 1000
            Cap on the iterations per block.
        newton : bool, optional
            Solve every block by safeguarded Newton steps instead of fixed-point steps (default:
            True for dim <= 16, where the n x n block Jacobians are cheap).
        return_info : bool, default False
            Return an :class:`invlin.inversion.InversionResult` instead of the points. Without
            it, an :class:`invlin.errors.InversionError` is raised if some point misses ``tol``.

        Notes
        -----
        Block k is inverted by :math:`y \leftarrow t - g_k(y)`, a contraction with rate
        :math:`L`, so the error after j steps is at most :math:`L^j/(1-L)` times the first step.
        With ``newton``, Newton steps for :math:`y + g_k(y) = t` from :math:`y = t`, each one
        that does not reduce the residual replaced by the fixed-point step (which reduces it by
        the factor :math:`L`), so it converges wherever the fixed-point iteration does.
        If the block residuals are :math:`e_k`, the final residual is at most
        :math:`\sum_k (1+L)^{B-k} |e_k|`, so each block is solved to
        ``tol / (B (1 + L)^B)``; the returned residual is recomputed from the forward map.
        """
        u, single = self._points(u, "u")
        tol = positive_scalar(tol, "tol")
        max_iter = positive_int(max_iter, "max_iter")
        if newton is None:
            newton = self.dim <= 16
        if not isinstance(newton, (bool, np.bool_)):
            raise TypeError(f"newton must be a bool or None, got {type(newton).__name__}")
        lip = self.lipschitz()
        block_tol = tol / (self.blocks * (1.0 + lip) ** self.blocks)
        x, iters, _ = self._run("inverse", u.shape[0], u, block_tol, max_iter, bool(newton))
        residual = np.linalg.norm(self.forward(x) - u, axis=1)
        result = InversionResult(x=x[0] if single else x, residual=residual,
                                 iterations=int(iters.max()), converged=residual <= tol)
        if return_info:
            return result
        result.raise_if_failed(tol)
        return result.x

    # -- engine hooks -----------------------------------------------------------------------
    def _objective(self, x, target, metric, regulariser, c) -> tuple[float, np.ndarray]:
        r"""Value and exact gradient of the regularised training objective.

        :math:`\mathrm{mean}_i |\phi(x_i)-t_i|^2_M - c\,\mathrm{mean}_i R(x_i)`.

        ``regulariser`` is None, ``"logdet"`` (R = log det D phi) or ``"divergence"``
        (R = tr D phi); ``metric`` None (M = I) or an (n, n) SPD matrix.

        An engine hook: its callers (:class:`invlin.losses.Loss`) have validated ``x`` and
        ``target`` (finite float64 points), so only what the compiled kernel relies on is
        checked here: dtype, layout and shapes (a copy only if they are not float64 and
        C-contiguous). A NaN in them comes out as a NaN value and gradient.
        """
        x = self._kernel_points(x, "x")
        target = self._kernel_points(target, "target")
        if target.shape != x.shape:
            raise ValueError(f"target must have the shape of x {x.shape}, got {target.shape}")
        if regulariser is None:
            mode = _kernels.REG_NONE
        else:
            mode = _REGULARISERS[choice(regulariser, "regulariser", _REGULARISERS)]
        c = float(c)
        if not math.isfinite(c):
            raise ValueError(f"c must be finite, got {c}")
        if metric is None:
            M, use_metric = np.zeros((self.dim, self.dim)), False
        else:
            M = as_float_array(metric, "metric", ndim=2)
            if M.shape != (self.dim, self.dim):
                raise ValueError(f"metric must have shape ({self.dim}, {self.dim}), got {M.shape}")
            use_metric = True
        data, reg, *slots = self._run("objective", x.shape[0], mode, c, x, target, M,
                                            use_metric)
        if mode == _kernels.REG_LOGDET:
            _require_logdet_defined(reg)
        # the means as np.mean computes them (pairwise sum / N), without its dispatch overhead
        n_samples = data.shape[0]
        data_mean = data.sum() / n_samples
        value = float(data_mean - c * (reg.sum() / n_samples)) if mode else float(data_mean)
        return value, self._flat_gradient(*slots)

    def _kernel_points(self, x, name: str) -> np.ndarray:
        """``x`` as the kernels read it: a C-contiguous float64 array of shape (N, n)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"{name} must have shape (N, {self.dim}), got shape {x.shape}")
        return x

    def _reconstruction_objective(self, u, x) -> tuple[float, np.ndarray]:
        r"""Value and exact gradient of :math:`\mathrm{mean}_i |\phi^{-1}(u_i) - x_i|^2`.

        The inverse is computed to tol 1e-12 (an :class:`InversionError` otherwise) and
        differentiated by the implicit function theorem.
        """
        u, _ = self._points(u, "u")
        x, _ = self._points(x)
        if u.shape != x.shape:
            raise ValueError(f"x must have the shape of u {u.shape}, got {x.shape}")
        xhat = self.inverse(u, tol=1e-12)
        n_samples = x.shape[0]
        jac, _ = self._run("jacobian", n_samples, xhat, _kernels.REG_DIVERGENCE)
        error = xhat - x
        # output adjoint -(D phi)^{-T} 2 (xhat - x) / N, one small solve per sample
        try:
            xbar = -np.linalg.solve(jac.transpose(0, 2, 1), (2.0 / n_samples) * error[:, :, None])
        except np.linalg.LinAlgError:
            raise InversionError("D phi is singular at an inverted point") from None
        slots = self._run("adjoint_gradient", n_samples, xhat, np.ascontiguousarray(xbar[:, :, 0]))
        return float(np.mean(np.sum(error * error, axis=1))), self._flat_gradient(*slots)


    def _stochastic_regulariser(self, x, regulariser, probes, coefficients):
        r"""Hutchinson estimates of R at fixed probes and the exact gradient of their mean.

        Parameters
        ----------
        x : ndarray, shape (N, n)
        regulariser : {"divergence", "logdet"}
        probes : ndarray, shape (N, P, n)
            Probe vectors v (drawn outside, e.g. by :class:`invlin.losses.Hutchinson`).
        coefficients : ndarray, shape (N, P, K)
            Log-det only: weight of :math:`v^T J_{g_k}^j v` (j = 1..K) per point and probe.

        Returns
        -------
        estimates : ndarray, shape (N, P)
            :math:`v^T D\phi(x) v` (divergence) or
            :math:`\sum_k \sum_j \mathrm{coef}_j\, v^T J_{g_k}(x_{k-1})^j v` (log-det).
        grad : ndarray, shape (n_parameters,)
            Exact gradient of ``estimates.mean()`` (the probes held fixed).
        """
        mode = {"divergence": _stochastic_kernels.DIVERGENCE,
                "logdet": _stochastic_kernels.LOGDET}[regulariser]
        n_points, n_probes, terms = coefficients.shape
        work = n_points * n_probes * max(terms, 1)
        est, *slots = self._run("regulariser", work, mode, x, probes, coefficients,
                                module=_stochastic_kernels)
        return est, self._flat_gradient(*slots)


def _require_logdet_defined(reg: np.ndarray) -> None:
    if np.isnan(reg).any():
        raise ValueError("log det undefined: some block Jacobian has non-positive determinant")
