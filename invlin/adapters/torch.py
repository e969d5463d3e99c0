"""PyTorch adapters: a float64 i-ResNet with invlin's parameter layout, and a NumPy wrapper.

Needs the optional dependency torch (``pip install "invlin[torch]"``); importing this module
without it raises ``ImportError`` with that command.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover - exercised only where torch is absent
    raise ImportError('invlin.adapters.torch needs the optional dependency torch: '
                      'pip install "invlin[torch]"  (or: pip install torch)') from None

from invlin._validation import positive_int, positive_scalar
from invlin.models._iresnet_numba import SOFTCLIP_SHARPNESS


def _softclip(h):
    """The soft clip of :class:`invlin.models.IResNet` (softplus by ``logaddexp``: exact, unlike
    ``torch.nn.functional.softplus``, which is linear beyond its threshold)."""
    zero = torch.zeros_like(h)
    beta = SOFTCLIP_SHARPNESS
    return (torch.logaddexp(zero, beta * (h + 1.0)) - torch.logaddexp(zero, beta * (h - 1.0))) \
        / beta - 1.0


_ACTIVATIONS = {"tanh": torch.tanh, "softplus": torch.nn.functional.softplus,
                "softclip": _softclip}


class TorchIResNet(torch.nn.Module):
    r"""The i-ResNet phi = block_B o ... o block_1, block_k(x) = x + g_k(x), in PyTorch (float64).

    ``g_k(x) = W2_k act(W1_k x + b1_k) + b2_k`` exactly as :class:`invlin.models.IResNet`, with
    parameters ``W1 (B, m, n)``, ``b1 (B, m)``, ``W2 (B, n, m)``, ``b2 (B, n)``; the flat vector
    of :meth:`get_parameters` is invlin's layout (W1, b1, W2, b2, each C-ordered), so the same
    weights move between the two implementations.

    Parameters
    ----------
    dim, blocks, width : int
        n, B and the hidden width m.
    lipschitz : float, default 0.9
        Bound L in (0, 1) on Lip(g_k), enforced by :meth:`project`.
    activation : {"tanh", "softplus", "softclip"}
    """

    def __init__(self, dim: int, blocks: int, width: int, *, lipschitz: float = 0.9,
                 activation: str = "tanh"):
        super().__init__()
        self.dim, self.blocks, self.width = (positive_int(dim, "dim"),
                                             positive_int(blocks, "blocks"),
                                             positive_int(width, "width"))
        self.lipschitz_bound = positive_scalar(lipschitz, "lipschitz")
        if self.lipschitz_bound >= 1.0:
            raise ValueError(f"lipschitz must be < 1, got {lipschitz}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(_ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        B, m, n = self.blocks, self.width, self.dim
        f64 = torch.float64
        self.W1 = torch.nn.Parameter(torch.zeros(B, m, n, dtype=f64))
        self.b1 = torch.nn.Parameter(torch.zeros(B, m, dtype=f64))
        self.W2 = torch.nn.Parameter(torch.zeros(B, n, m, dtype=f64))
        self.b2 = torch.nn.Parameter(torch.zeros(B, n, dtype=f64))

    # -- parameters in invlin's layout ------------------------------------------------------
    def _flat(self):
        return (self.W1, self.b1, self.W2, self.b2)

    def get_parameters(self) -> np.ndarray:
        """The flat float64 parameter vector in :class:`invlin.models.IResNet`'s layout."""
        return np.concatenate([p.detach().numpy().ravel() for p in self._flat()])

    def set_parameters(self, theta) -> None:
        theta = np.asarray(theta, dtype=np.float64)
        sizes = np.cumsum([0] + [p.numel() for p in self._flat()])
        if theta.shape != (sizes[-1],):
            raise ValueError(f"theta must have shape ({sizes[-1]},), got {theta.shape}")
        with torch.no_grad():
            for i, p in enumerate(self._flat()):
                p.copy_(torch.from_numpy(theta[sizes[i]:sizes[i + 1]].reshape(p.shape)))

    def flat_gradient(self) -> np.ndarray:
        """The accumulated ``.grad`` of the parameters as one flat vector (invlin's layout)."""
        return np.concatenate([p.grad.numpy().ravel() for p in self._flat()])

    @classmethod
    def from_invlin(cls, model) -> "TorchIResNet":
        """A module with the architecture and the weights of an :class:`invlin.models.IResNet`."""
        module = cls(model.dim, model.blocks, model.width, lipschitz=model.lipschitz_bound,
                     activation=model.activation)
        module.set_parameters(model.get_parameters())
        return module

    def to_invlin(self):
        """An :class:`invlin.models.IResNet` with this module's architecture and weights."""
        from invlin.models import IResNet

        model = IResNet(self.dim, self.blocks, self.width, lipschitz=self.lipschitz_bound,
                        activation=self.activation, rng=0)
        model.set_parameters(self.get_parameters())
        return model

    # -- the map ----------------------------------------------------------------------------
    def residual(self, k: int, x):
        """g_k(x) for a batch (N, n)."""
        return _ACTIVATIONS[self.activation](x @ self.W1[k].T + self.b1[k]) @ self.W2[k].T \
            + self.b2[k]

    def forward(self, x):
        for k in range(self.blocks):
            x = x + self.residual(k, x)
        return x

    def forward_and_jacobian(self, x):
        """phi(x) and D phi(x_i) (N, n, n) from one forward pass; the Jacobian by autograd,
        one row per output component, differentiable (``create_graph``)."""
        x = x if x.requires_grad else x.clone().requires_grad_(True)
        out = self.forward(x)
        rows = [torch.autograd.grad(out[:, i].sum(), x, create_graph=True)[0]
                for i in range(self.dim)]
        return out, torch.stack(rows, dim=1)

    def jacobian(self, x):
        """D phi(x_i), shape (N, n, n) (see :meth:`forward_and_jacobian`)."""
        return self.forward_and_jacobian(x)[1]

    def divergence(self, x):
        """Exact div phi(x_i) = tr D phi(x_i)."""
        return torch.diagonal(self.jacobian(x), dim1=1, dim2=2).sum(-1)

    def logdet(self, x):
        """Exact log det D phi(x_i)."""
        return torch.linalg.slogdet(self.jacobian(x))[1]

    @torch.no_grad()
    def inverse(self, u, *, tol: float = 1e-13, max_iter: int = 10000):
        r"""phi^{-1}(u) by the fixed-point iteration y <- t - g_k(y), blocks in reverse order.

        Each block's iteration is a contraction of rate <= L; it stops when every point's step
        is <= ``tol`` (then its error is <= tol L / (1 - L)).
        """
        y = u
        for k in reversed(range(self.blocks)):
            t, z = y, y
            for _ in range(max_iter):
                new = t - self.residual(k, z)
                step = torch.linalg.vector_norm(new - z, dim=1).max()
                z = new
                if step <= tol:
                    break
            else:
                raise RuntimeError(f"block {k} inversion did not reach tol={tol} in "
                                   f"{max_iter} iterations")
            y = z
        return y

    @torch.no_grad()
    def project(self) -> None:
        """Rescale W1_k, W2_k by sqrt(L / bound) where ||W1_k||_2 ||W2_k||_2 exceeds L."""
        for k in range(self.blocks):
            bound = torch.linalg.matrix_norm(self.W1[k], 2) * torch.linalg.matrix_norm(
                self.W2[k], 2)
            if bound > self.lipschitz_bound:
                scale = torch.sqrt(self.lipschitz_bound / bound) * (1.0 - 1e-12)
                self.W1[k].mul_(scale)
                self.W2[k].mul_(scale)


def numpy_inverse(module, method: str | None = None):
    """Wrap a ``torch.nn.Module`` as a NumPy batch function ``t -> module.<method>(t)``.

    Parameters
    ----------
    module : torch.nn.Module
    method : str, optional
        The method mapping data to reconstructions: default ``"inverse"`` if the module has
        one (an invertible network trained in the forward direction), else ``"forward"`` (a
        network that reconstructs directly).

    Returns
    -------
    callable
        ndarray (N, k) -> ndarray (N, n), float64; computed without gradients, in the
        module's dtype (float64 input is converted to it and the result back).
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if method is None:
        method = "inverse" if callable(getattr(module, "inverse", None)) else "forward"
    function = getattr(module, method, None)
    if not callable(function):
        raise ValueError(f"{type(module).__name__} has no method {method!r}")
    dtype = next((p.dtype for p in module.parameters()), torch.float64)

    def apply(data: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            result = function(torch.as_tensor(np.asarray(data), dtype=dtype))
        return result.detach().to(torch.float64).numpy()

    return apply
