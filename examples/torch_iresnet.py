"""A user's PyTorch i-ResNet, trained with the divergence loss, measured against PM and MAP.

Run ``python examples/torch_iresnet.py`` (needs torch). It trains a float64 PyTorch i-ResNet
(invlin.adapters.torch.TorchIResNet: plain torch.nn.Module code a user could have written) on
the 2-D log-concave toy problem with the paper's divergence loss in z-form,

    L(phi) = mean_i |phi(x_i) - A^T y_i|^2 - 2 delta^2 mean_i div phi(x_i),

whose minimiser's inverse is the MAP estimate (claim ``divergence-z-map``), then

1. measures the trained inverse with ``invlin.evaluate`` (distances to PM, MAP and truth with
   standard errors, discrimination ratio, forward error), and
2. cross-checks: the same weights loaded into invlin's own ``IResNet`` give the same numbers
   to rounding.

From the command line, the same evaluation (the module-level ``inverse`` trains on first use):

    invlin evaluate examples/torch_iresnet.py:inverse --problem log-concave --delta 0.5
"""

from __future__ import annotations

import numpy as np

PROBLEM, DELTA = "log-concave", 0.5
ARCHITECTURE = {"dim": 2, "blocks": 2, "width": 8, "lipschitz": 0.9}
TRAINING = {"steps": 1500, "batch_size": 256, "learning_rate": 1e-2, "seed": 0}
TEST = {"n": 2000, "seed": 1}


def train_module(steps: int = TRAINING["steps"], seed: int = TRAINING["seed"]):
    """Train the PyTorch i-ResNet with the divergence loss (z-form, weight 2 delta^2)."""
    import torch

    from invlin.adapters.torch import TorchIResNet
    from invlin.named_problems import named_problem

    problem = named_problem(PROBLEM, DELTA)
    # a 2-D network with 8 hidden units: thread synchronisation costs more than it saves
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    module = TorchIResNet(**ARCHITECTURE)
    with torch.no_grad():  # small random initial weights, seeded
        for p in (module.W1, module.W2):
            p.normal_(0.0, 0.3)
    module.project()
    optimiser = torch.optim.Adam(module.parameters(), lr=TRAINING["learning_rate"])
    rng = np.random.default_rng(seed)
    weight = 2.0 * DELTA**2
    for _ in range(steps):
        batch = problem.sample(TRAINING["batch_size"], rng)
        x, z = torch.from_numpy(batch.x), torch.from_numpy(batch.z)
        optimiser.zero_grad()
        xr = x.clone().requires_grad_(True)
        loss = ((module(xr) - z) ** 2).sum(1).mean() - weight * module.divergence(xr).mean()
        loss.backward()
        optimiser.step()
        module.project()
    return module


_TRAINED = {}


def inverse(z: np.ndarray) -> np.ndarray:
    """The trained inverse as a NumPy batch function (trains once, on first use)."""
    from invlin.adapters.torch import numpy_inverse

    if "module" not in _TRAINED:
        _TRAINED["module"] = train_module()
    return numpy_inverse(_TRAINED["module"])(z)


def main() -> None:
    import invlin
    from invlin.named_problems import named_problem

    problem = named_problem(PROBLEM, DELTA)
    module = train_module()
    _TRAINED["module"] = module
    with_torch = invlin.evaluate(module, problem, **TEST, forward=module)
    model = module.to_invlin()
    with_invlin = invlin.evaluate(lambda t: model.inverse(t), problem, **TEST,
                                  forward=model.forward)
    print(f"{'':22s}{'PyTorch module':>18s}{'invlin IResNet':>18s}")
    for key in ("to_map", "to_pm", "to_truth", "pm_to_map", "ratio", "forward_error"):
        a, b = getattr(with_torch, key), getattr(with_invlin, key)
        print(f"{key:22s}{a:18.12g}{b:18.12g}")
    ratio, se = with_torch.ratio, with_torch.ratio_se
    verdict = ("nearer the MAP, as the divergence loss predicts" if ratio + 2 * se < 1 else
               "nearer the PM: the training error exceeds the PM-MAP distance (train longer)"
               if ratio - 2 * se > 1 else "PM and MAP not told apart at 2 standard errors")
    print(f"ratio RMS(inv-MAP)/RMS(inv-PM) = {ratio:.3f} +- {se:.3f}: {verdict}")


if __name__ == "__main__":
    main()
