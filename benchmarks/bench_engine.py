"""Speed of the Numba training engine against the same training step in PyTorch eager.

Run: ``python benchmarks/bench_engine.py [--repeats 30] [--quick] [--threads N] [--skip-startup]
[--clock wall|cpu] [--parallel-min-work N] [--json PATH]``.

Canonical problem (issue 4): a 2-D IResNet with 4 blocks of width 64, a batch of 512 points of
the bimodal toy problem, float64, exact Jacobian; one Adam step (objective value and exact
gradient, Adam update, spectral projection) with the divergence loss and one with the log-det
loss (z-form, weight 2 delta^2).

Baseline: the same step in PyTorch eager, float64, same initial parameters and batch: phi built
from ``torch.tanh`` and matrix products, the 2x2 Jacobian by ``torch.autograd.grad`` of each
output component with ``create_graph=True`` (double backward for the gradient), the log-det by
``torch.linalg.slogdet`` of the product Jacobian, ``torch.optim.Adam`` with the same
hyper-parameters, and the same projection (exact spectral norms by ``torch.linalg.matrix_norm``,
rescaling W1, W2 of a block whose bound exceeds L). Both run in this process, interleaved
(Numba step, PyTorch step, Numba step, ...); the reported speed-up is the median of the paired
ratios t_torch / t_numba.

Also measured: start-up with an empty Numba cache (cold: compilation) and with a filled one
(warm), each in a fresh subprocess with ``NUMBA_CACHE_DIR`` pointing to a new temporary
directory; time per step against the batch size (10^2 .. 10^5); and, for ``DiagonalNet``
(divergence objective on random data in the standard basis, plus Adam and projection), time per
step against the dimension (10 .. 10^4).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from invlin.losses import Loss
from invlin.models.diagonal_net import DiagonalNet
from invlin.models import iresnet as iresnet_module
from invlin.models.iresnet import IResNet
from invlin.priors import GaussianMixture
from invlin.problem import LinearInverseProblem
from invlin.training import Adam

LEARNING_RATE = 1e-3
LIPSCHITZ = 0.9


def make_problem(delta: float = 0.3) -> LinearInverseProblem:
    """The bimodal toy problem of the IResNet tests."""
    prior = GaussianMixture([0.5, 0.5], [[1.5, 1.5], [-1.5, -1.5]],
                            [0.04 * np.eye(2), 0.04 * np.eye(2)])
    return LinearInverseProblem(np.array([[1.2, 0.3], [-0.2, 0.6]]), delta, prior)


class NumbaStep:
    """One projected-Adam step of invlin's engine on a fixed batch."""

    def __init__(self, model, loss, samples, problem):
        self.model, self.loss, self.samples, self.problem = model, loss, samples, problem
        self.adam = Adam(LEARNING_RATE)

    def __call__(self):
        model = self.model
        _, grad = self.loss.value_and_grad(model, self.samples, self.problem)
        model.set_parameters(self.adam.step(model.get_parameters(), grad))
        model.project()


class TorchStep:
    """The same step in PyTorch eager (``invlin.adapters.torch.TorchIResNet``: autograd for
    the Jacobian terms)."""

    def __init__(self, model: IResNet, regulariser: str, samples, weight: float):
        import torch

        from invlin.adapters.torch import TorchIResNet

        self.torch = torch
        self.module = TorchIResNet.from_invlin(model)
        self.optimiser = torch.optim.Adam(self.module.parameters(), lr=LEARNING_RATE)
        self.x = torch.tensor(samples.x)
        self.t = torch.tensor(samples.z)
        self.regulariser, self.weight = regulariser, weight

    def __call__(self):
        module = self.module
        self.optimiser.zero_grad()
        out, J = module.forward_and_jacobian(self.x.clone().requires_grad_(True))
        if self.regulariser == "logdet":
            R = self.torch.linalg.slogdet(J)[1]
        else:
            R = self.torch.diagonal(J, dim1=1, dim2=2).sum(-1)
        value = ((out - self.t) ** 2).sum(1).mean() - self.weight * R.mean()
        value.backward()
        self.optimiser.step()
        module.project()


# The clock of every timing: wall time by default; ``--clock cpu`` uses the process CPU time,
# which on a shared, oversubscribed machine measures the work done rather than the waiting for a
# core (meaningful with --threads 1, where no thread spins while waiting for another).
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = CLOCK["wall"]


def _time(step) -> float:
    start = _clock()
    step()
    return _clock() - start


def canonical(repeats: int, seed: int) -> dict:
    """Paired, interleaved timing of the canonical step against PyTorch."""
    problem = make_problem()
    samples = problem.sample(512, np.random.default_rng(seed))
    results = {}
    for regulariser in ("divergence", "logdet"):
        loss = Loss(regulariser, form="z")
        numba_step = NumbaStep(IResNet(2, 4, 64, lipschitz=LIPSCHITZ, rng=seed), loss, samples,
                               problem)
        torch_step = TorchStep(IResNet(2, 4, 64, lipschitz=LIPSCHITZ, rng=seed), regulariser,
                               samples, loss.resolved_weight(problem))
        for _ in range(3):  # warm-up: compilation, allocator, caches
            numba_step()
            torch_step()
        t_numba, t_torch = [], []
        for _ in range(repeats):
            t_numba.append(_time(numba_step))
            t_torch.append(_time(torch_step))
        t_numba, t_torch = np.array(t_numba), np.array(t_torch)
        work = 512 * 4 * 64
        results[regulariser] = {
            "numba_driver": "parallel" if work >= iresnet_module.PARALLEL_MIN_WORK else "serial",
            "numba_median_ms": 1e3 * float(np.median(t_numba)),
            "torch_median_ms": 1e3 * float(np.median(t_torch)),
            "speedup_median_of_paired_ratios": float(np.median(t_torch / t_numba)),
            "speedup_quartiles": [float(q) for q in np.percentile(t_torch / t_numba, [25, 75])],
        }
    return results


_STARTUP = """
import time
start = time.perf_counter()
import numpy as np
from invlin.models import iresnet as iresnet_module
from invlin.models.iresnet import IResNet
model = IResNet(2, 4, 64, rng=0)
rng = np.random.default_rng(0)
for n in (100, 4096):  # 100 x 4 x 64 runs the serial drivers, 4096 x 4 x 64 the parallel ones
    x, t = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    for reg in (None, "logdet", "divergence"):
        model._objective(x, t, None, reg, 0.18)
    model._reconstruction_objective(t, x)
    model.jacobian(x)
    model.logdet(x)
print(time.perf_counter() - start)
"""


def startup() -> dict:
    """Cold (empty cache) and warm start-up, each in a fresh subprocess."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        times = {}
        for label in ("cold", "warm"):
            wall = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", _STARTUP], env=env, check=True,
                                 capture_output=True, text=True).stdout
            times[f"{label}_process_s"] = time.perf_counter() - wall
            times[f"{label}_in_process_s"] = float(out.strip().splitlines()[-1])
    return times


def _median_step(step, repeats: int) -> float:
    step()
    return 1e3 * float(np.median([_time(step) for _ in range(repeats)]))


def batch_sweep(repeats: int, seed: int, sizes) -> list:
    """Milliseconds per Numba step against the batch size (canonical network)."""
    problem = make_problem()
    rows = []
    for n in sizes:
        samples = problem.sample(n, np.random.default_rng(seed))
        row = {"batch": n}
        for regulariser in ("divergence", "logdet"):
            step = NumbaStep(IResNet(2, 4, 64, lipschitz=LIPSCHITZ, rng=seed),
                             Loss(regulariser, form="z"), samples, problem)
            row[f"{regulariser}_ms"] = _median_step(step, max(3, repeats // max(1, n // 1000)))
        rows.append(row)
    return rows


def dimension_sweep(repeats: int, seed: int, dims, batch: int = 512) -> list:
    """Milliseconds per DiagonalNet step (divergence objective, Adam, projection) against n."""
    rows = []
    rng = np.random.default_rng(seed)
    for n in dims:
        model = DiagonalNet(n, n_units=4)
        x, t = rng.standard_normal((batch, n)), rng.standard_normal((batch, n))
        adam = Adam(LEARNING_RATE)

        def step():
            _, grad = model._objective(x, t, None, "divergence", 0.18)
            model.set_parameters(adam.step(model.get_parameters(), grad))
            model.project()

        rows.append({"dim": n, "divergence_ms": _median_step(step, max(3, repeats // 3))})
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smaller sweeps")
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--clock", choices=sorted(CLOCK), default="wall",
                        help="wall time, or process CPU time (use with --threads 1)")
    parser.add_argument("--parallel-min-work", type=int,
                        help="override IResNet's PARALLEL_MIN_WORK (e.g. 1 forces the parallel "
                             "drivers)")
    parser.add_argument("--skip-startup", action="store_true", help="no cold/warm start-up")
    parser.add_argument("--threads", type=int,
                        help="threads for both Numba and PyTorch (default: their defaults)")
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCK[args.clock]
    if args.parallel_min_work is not None:
        iresnet_module.PARALLEL_MIN_WORK = args.parallel_min_work
    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
    report = {"clock": args.clock, "numba_threads": numba.get_num_threads(),
              "parallel_min_work": iresnet_module.PARALLEL_MIN_WORK,
              "numba_threading_layer": None,
              "load_average_at_start": os.getloadavg()}
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        report["torch"] = torch.__version__
        report["torch_threads"] = torch.get_num_threads()
        report["canonical"] = canonical(args.repeats, args.seed)
    except ImportError:
        report["canonical"] = "skipped: torch not importable"
    report["numba_threading_layer"] = numba.threading_layer()
    if not args.skip_startup:
        report["startup"] = startup()
    sizes = (100, 1000, 10000) if args.quick else (100, 1000, 10000, 100000)
    dims = (10, 100, 1000) if args.quick else (10, 100, 1000, 10000)
    report["batch_sweep"] = batch_sweep(args.repeats, args.seed, sizes)
    report["dimension_sweep"] = dimension_sweep(args.repeats, args.seed, dims)
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == "__main__":
    main()
