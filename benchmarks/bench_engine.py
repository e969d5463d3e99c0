"""Speed of the Numba training engine against the same training step in PyTorch eager and JAX.

Run: ``python benchmarks/bench_engine.py [--repeats 30] [--quick] [--threads N] [--skip-startup]
[--skip-threading] [--clock wall|cpu] [--parallel-min-work N] [--json PATH]``.

Canonical problem (issues 4 and 12): a 2-D IResNet with 4 blocks of width 64, a batch of 512
points of the bimodal toy problem, float64, exact Jacobian; one projected Adam step with the
divergence loss and one with the log-det loss (z-form, weight 2 delta^2).

invlin's step is the step as a user runs it: ``invlin.train(model, problem, loss,
steps=STEPS, batch_size=512, ...)`` timed over STEPS steps and divided by STEPS, so it includes
the sampling of a fresh batch, input validation, the exact objective and gradient, Adam, the
spectral projection, the stopping-rule gradient norm and the invertibility certificate.

Baselines, each timed over STEPS steps on a fixed batch and divided by STEPS:

* PyTorch eager, float64: phi from ``torch.tanh`` and matrix products, the 2x2 Jacobian by
  ``torch.autograd.grad`` of each output component with ``create_graph=True`` (double backward
  for the gradient), the log-det by ``torch.linalg.slogdet`` of the product Jacobian,
  ``torch.optim.Adam`` with the same hyper-parameters, and the same projection (exact spectral
  norms by ``torch.linalg.matrix_norm``, rescaling W1, W2 of a block whose bound exceeds L).
* JAX (optional, when ``jax`` is installed; not a dependency of invlin): the whole step (loss,
  exact Jacobian by ``jax.jacfwd``, gradient, Adam and the projection) under one ``jax.jit``,
  float64.

All run in this process, interleaved (invlin, PyTorch, JAX, invlin, ...), each sample after a
busy pause of PAUSE seconds (the previous framework's worker threads stop spinning); each
reported speed-up is the median of the paired ratios t_baseline / t_invlin, with quartiles.

Also measured:

* Gflop/s of invlin's objective kernel (as the step runs it, on the team, and serial) and of
  its whole step (flops counted from the kernel's loops, :func:`canonical_flops`), as a
  fraction of the peak measured by a small FMA loop (:func:`fma_peak`: 64 independent
  multiply-add chains kept in vector registers): one core's peak, and the team's (its number of
  threads times one core's).
* Where invlin's step spends its time: the objective kernel, sampling, projection, Adam.
* Start-up: ``invlin warmup`` in a fresh process with an empty ``NUMBA_CACHE_DIR`` (cold:
  compilation) and again with the filled cache (warm).
* Parallel paths under load: the canonical objective on invlin's work-sharing team
  (``objective_parallel``) and on a ``prange`` driver over the same chunk body with Numba's
  threading layers (omp, workqueue), each against the serial objective, each in a fresh
  subprocess, while two busy-loop processes load the 2 cores.
* Time per step against the batch size (10^2 .. 10^5) and, for ``DiagonalNet`` (divergence
  objective on random data in the standard basis, plus Adam and projection), against the
  dimension (10 .. 10^4), with the time per unit of work normalised to the largest size, in
  wall time and in process CPU time.

The load average (``/proc/loadavg``) is recorded at the start and the end of every section.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from numba import njit

import invlin
from invlin.losses import Loss
from invlin.models import _iresnet_drivers as drivers
from invlin.models import _iresnet_numba as kernels
from invlin.models import iresnet as iresnet_module
from invlin._kernels.team import team_size
from invlin.models.diagonal_net import DiagonalNet
from invlin.models.iresnet import IResNet
from invlin.priors import GaussianMixture
from invlin.problem import LinearInverseProblem
from invlin.training import Adam

LEARNING_RATE = 1e-3
LIPSCHITZ = 0.9
BATCH = 512
BLOCKS, WIDTH, DIM = 4, 64, 2
#: Steps per timed sample (the per-step time is the sample's time divided by this; ``--steps``).
#: Long enough that the slow first steps after another framework's sample (caches refilled,
#: threads woken: about 1 ms for invlin, measured) and the per-call set-up of ``invlin.train``
#: (about 0.15 ms) are a few percent of invlin's sample; a user's training call runs thousands.
STEPS = 50
#: Seconds the calling thread busy-waits before each timed sample of the canonical comparison:
#: idle worker threads spin for a while after their work (PyTorch's OpenMP pool about 10 ms,
#: measured; XLA's; invlin's team 0.3 ms), and without the pause they take a core from the next
#: framework's sample. Busy, not asleep: after a sleep both virtual CPUs of the benchmark
#: machine run the next milliseconds up to 2x slower.
PAUSE = 0.01


def make_problem(delta: float = 0.3) -> LinearInverseProblem:
    """The bimodal toy problem of the IResNet tests."""
    prior = GaussianMixture([0.5, 0.5], [[1.5, 1.5], [-1.5, -1.5]],
                            [0.04 * np.eye(2), 0.04 * np.eye(2)])
    return LinearInverseProblem(np.array([[1.2, 0.3], [-0.2, 0.6]]), delta, prior)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (/proc/loadavg)."""
    return [float(v) for v in os.getloadavg()]


class TrainSteps:
    """STEPS steps of ``invlin.train`` on a model that keeps training from call to call."""

    def __init__(self, model, problem, regulariser, seed):
        self.model, self.problem, self.regulariser, self.seed = model, problem, regulariser, seed

    def __call__(self):
        self.seed += 1
        invlin.train(self.model, self.problem, self.regulariser, form="z", steps=STEPS,
                     batch_size=BATCH, learning_rate=LEARNING_RATE, seed=self.seed,
                     progress=False)


class TorchStep:
    """The same step in PyTorch eager (``invlin.adapters.torch.TorchIResNet``: autograd for
    the Jacobian terms) on a fixed batch."""

    def __init__(self, model: IResNet, regulariser: str, samples, weight: float):
        import torch

        from invlin.adapters.torch import TorchIResNet

        self.torch = torch
        self.module = TorchIResNet.from_invlin(model)
        self.optimiser = torch.optim.Adam(self.module.parameters(), lr=LEARNING_RATE)
        self.x = torch.tensor(samples.x)
        self.t = torch.tensor(samples.z)
        self.regulariser, self.weight = regulariser, weight

    def step(self):
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

    def __call__(self):
        for _ in range(STEPS):
            self.step()


class JaxStep:
    """The same step with the whole step (loss, exact Jacobian, gradient, Adam, projection)
    under one ``jax.jit``, float64, on a fixed batch."""

    def __init__(self, model: IResNet, regulariser: str, samples, weight: float):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        B = model.blocks
        W1, b1, W2, b2 = (np.array(a) for a in model._views(model.get_parameters()))
        params = tuple(jnp.asarray(a) for a in (W1, b1, W2, b2))
        beta1, beta2, eps = 0.9, 0.999, 1e-8

        def phi(p, x):
            w1, c1, w2, c2 = p
            for k in range(B):
                x = x + w2[k] @ jnp.tanh(w1[k] @ x + c1[k]) + c2[k]
            return x

        def loss(p, x, t):
            out = jax.vmap(lambda xi: phi(p, xi))(x)
            J = jax.vmap(jax.jacfwd(lambda xi: phi(p, xi)))(x)
            if regulariser == "logdet":
                R = jnp.linalg.slogdet(J)[1]
            else:
                R = jnp.trace(J, axis1=1, axis2=2)
            return jnp.mean(jnp.sum((out - t) ** 2, axis=1)) - weight * jnp.mean(R)

        def step(p, m, v, count, x, t):
            g = jax.grad(loss)(p, x, t)
            count = count + 1
            m = tuple(beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g))
            v = tuple(beta2 * vi + (1 - beta2) * gi * gi for vi, gi in zip(v, g))
            p = tuple(pi - LEARNING_RATE * (mi / (1 - beta1 ** count))
                      / (jnp.sqrt(vi / (1 - beta2 ** count)) + eps)
                      for pi, mi, vi in zip(p, m, v))
            w1, c1, w2, c2 = p
            bound = (jnp.linalg.norm(w1, 2, axis=(1, 2)) * jnp.linalg.norm(w2, 2, axis=(1, 2)))
            scale = jnp.where(bound > LIPSCHITZ, jnp.sqrt(LIPSCHITZ / bound), 1.0)
            p = (w1 * scale[:, None, None], c1, w2 * scale[:, None, None], c2)
            return p, m, v, count

        zeros = tuple(jnp.zeros_like(a) for a in params)
        self.state = (params, zeros, zeros, jnp.asarray(0.0))
        self.x, self.t = jnp.asarray(samples.x), jnp.asarray(samples.z)
        self._step = jax.jit(step)

    def __call__(self):
        state = self.state
        for _ in range(STEPS):
            state = self._step(*state, self.x, self.t)
        self.jax.block_until_ready(state)
        self.state = state


# The clock of every timing: wall time by default; ``--clock cpu`` uses the process CPU time,
# which on a shared, oversubscribed machine measures the work done rather than the waiting for a
# core (meaningful with --threads 1, where no thread spins while waiting for another).
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = CLOCK["wall"]


def _pause(seconds: float) -> None:
    """Busy-wait on the calling thread (see PAUSE)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _time(step) -> float:
    start = _clock()
    step()
    return _clock() - start


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _fma_chains(x, m, c, reps):
    """64 independent chains acc <- acc * m + c (a constant-length loop that LLVM unrolls into
    vector registers, so that the FMA units, not memory, bound it); returns their sum."""
    acc = np.empty(64)
    for i in range(64):
        acc[i] = x[i]
    for _ in range(reps):
        for i in range(64):
            acc[i] = acc[i] * m + c
    total = 0.0
    for i in range(64):
        total += acc[i]
    return total


def fma_peak(samples: int = 7, reps: int = 2_000_000) -> float:
    """Gflop/s of one core on :func:`_fma_chains` (best of ``samples``, process CPU time, so
    that waiting for a core on a loaded machine does not count)."""
    x = np.full(64, 0.5)
    _fma_chains(x, 0.999999, 1e-7, 10)
    best = 0.0
    for _ in range(samples):
        start = time.process_time()
        _fma_chains(x, 0.999999, 1e-7, reps)
        best = max(best, 2.0 * 64 * reps / (time.process_time() - start) / 1e9)
    return best


def canonical_flops(N: int, B: int, m: int, n: int, regulariser: str) -> float:
    """Floating-point operations of the objective kernel (:func:`drivers.objective_serial`).

    Counted from its loops, a multiply-add as 2: per sample, block and hidden unit the forward
    pass does 2n (pre-activation), 46 (tanh, see ``_tanh``), 4 (act', act''), 2n (output) and
    2n^2 (block Jacobian) operations, the reverse sweep 2n (adjoint of act), 2n^2 (adjoint of
    act'), 3, 2n^2 (the Jacobian term of the parameter adjoints), 1 + 4n (parameter adjoints)
    and 2n (input adjoint); per sample and block the Jacobian products add 4n^3 (divergence)
    or about 4n^3 (Gauss-Jordan log-det and inverse).
    """
    per_unit = (2 * n + 46 + 4 + 2 * n + 2 * n * n) + (2 * n + 2 * n * n + 3 + 2 * n * n
                                                      + 1 + 4 * n + 2 * n)
    per_block = 4 * n ** 3
    return float(N * B * (m * per_unit + per_block))


def _objective_kernel(model, samples, problem, regulariser, driver=None):
    """The objective kernel call that Loss.value_and_grad makes (its default driver, or the
    given one, e.g. ``drivers.objective_serial``)."""
    loss = Loss(regulariser, form="z")
    mode = {"divergence": kernels.REG_DIVERGENCE, "logdet": kernels.REG_LOGDET}[regulariser]
    weights = model._kernel_weights()
    driver = driver or model._kernel("objective", samples.x.shape[0])
    c = loss.resolved_weight(problem)
    M = np.zeros((model.dim, model.dim))
    return lambda: driver(*weights, model._act(), mode, c, samples.x, samples.z, M, False)


def _quartiles(values) -> dict:
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return {"median": float(q2), "quartiles": [float(q1), float(q3)]}


def canonical(repeats: int, seed: int, use_torch: bool, use_jax: bool) -> dict:
    """Paired, interleaved timing of the canonical step against the baselines."""
    problem = make_problem()
    samples = problem.sample(BATCH, np.random.default_rng(seed))
    results = {"load_average_at_start": load_average(), "steps_per_sample": STEPS,
               "pause_seconds": PAUSE}
    for regulariser in ("divergence", "logdet"):
        weight = Loss(regulariser, form="z").resolved_weight(problem)

        def fresh():
            return IResNet(DIM, BLOCKS, WIDTH, lipschitz=LIPSCHITZ, rng=seed)

        steps = {"invlin": TrainSteps(fresh(), problem, regulariser, seed)}
        if use_torch:
            steps["torch"] = TorchStep(fresh(), regulariser, samples, weight)
        if use_jax:
            steps["jax"] = JaxStep(fresh(), regulariser, samples, weight)
        for _ in range(2):  # warm-up: compilation, allocator, caches
            for step in steps.values():
                step()
        times = {name: [] for name in steps}
        for _ in range(repeats):
            for name, step in steps.items():
                _pause(PAUSE)
                times[name].append(_time(step) / STEPS)
        times = {name: np.array(t) for name, t in times.items()}
        row = {f"{name}_ms": _quartiles(1e3 * t) for name, t in times.items()}
        for name in steps:
            if name != "invlin":
                row[f"speedup_vs_{name}"] = _quartiles(times[name] / times["invlin"])
        # where invlin's step goes, and the flop rate
        model = fresh()
        kernel = _objective_kernel(model, samples, problem, regulariser)
        rng = np.random.default_rng(seed)
        adam = Adam(LEARNING_RATE)
        theta = model.get_parameters()
        grad = np.full_like(theta, 1e-3)

        def project():
            model.set_parameters(theta)
            model.project()

        parts = {"objective_kernel": kernel,
                 "objective_kernel_serial": _objective_kernel(model, samples, problem,
                                                              regulariser,
                                                              drivers.objective_serial),
                 "sampling": lambda: problem.sample(BATCH, rng),
                 "value_and_grad": lambda: Loss(regulariser, form="z").value_and_grad(
                     model, samples, problem),
                 "set_parameters_and_project": project,
                 "adam": lambda: adam.step(theta, grad)}
        row["parts_ms"] = {name: 1e3 * _median(part, repeats) for name, part in parts.items()}
        flops = canonical_flops(BATCH, BLOCKS, WIDTH, DIM, regulariser)
        row["kernel_mflop"] = flops / 1e6
        row["kernel_gflops"] = flops / (row["parts_ms"]["objective_kernel"] * 1e6)
        row["serial_kernel_gflops"] = flops / (row["parts_ms"]["objective_kernel_serial"] * 1e6)
        row["step_gflops"] = flops / (row["invlin_ms"]["median"] * 1e6)
        results[regulariser] = row
    results["load_average_at_end"] = load_average()
    return results


def _median(step, repeats: int) -> float:
    step()
    return float(np.median([_time(step) for _ in range(max(5, repeats))]))


def _median_wall_cpu(step, repeats: int) -> tuple[float, float]:
    """Median wall and process CPU seconds of ``step`` (CPU time: the work itself, which on a
    loaded machine scales with the problem while the waiting for a core does not)."""
    step()
    times = []
    for _ in range(max(5, repeats)):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall, cpu = np.median(np.array(times), axis=0)
    return float(wall), float(cpu)


def startup() -> dict:
    """Cold (empty cache) and warm ``invlin warmup``, each in a fresh subprocess."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        times = {"load_average_at_start": load_average()}
        runs = [("cold_warmup", ["-m", "invlin.cli", "warmup"]),
                ("warm_warmup", ["-m", "invlin.cli", "warmup"]),
                ("warm_import_and_first_train_step", ["-c", _FIRST_STEP])]
        for label, args in runs:
            wall, cpu = time.perf_counter(), _children_cpu()
            subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
            times[f"{label}_s"] = time.perf_counter() - wall
            # CPU seconds of the child: on a loaded machine the wall time also counts waiting
            times[f"{label}_cpu_s"] = _children_cpu() - cpu
        times["load_average_at_end"] = load_average()
    return times


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_FIRST_STEP = """
import numpy as np
import invlin
from invlin.models.iresnet import IResNet
from invlin.priors import GaussianMixture
prior = GaussianMixture([0.5, 0.5], [[1.5, 1.5], [-1.5, -1.5]], [0.04 * np.eye(2)] * 2)
problem = invlin.LinearInverseProblem(np.array([[1.2, 0.3], [-0.2, 0.6]]), 0.3, prior)
invlin.train(IResNet(2, 4, 64, rng=0), problem, "divergence", steps=1, batch_size=512, seed=0)
"""

_PARALLEL_PROBE = """
import json, sys, time
import numba
import numpy as np
from invlin.models import _iresnet_drivers as drivers
from invlin.models import _iresnet_numba as kernels
from invlin.models.iresnet import IResNet
variant = sys.argv[2]
model = IResNet(2, 4, 64, rng=0)
rng = np.random.default_rng(0)
x, t = rng.standard_normal((512, 2)), rng.standard_normal((512, 2))
w = model._kernel_weights()
M = np.zeros((2, 2))
args = (*w, 0, kernels.REG_DIVERGENCE, 0.18, x, t, M, kernels.DATA_EUCLIDEAN)

@numba.njit(parallel=True)
def prange_driver(W1T, b1, W2, b2, act, mode, c, x, t, M, kind, data, reg, g1, g2, g3, g4):
    # one iteration per chunk; each claims chunks from the shared counter until none is left
    claims = np.zeros(1, np.int64)
    for _ in numba.prange(g1.shape[0]):
        kernels._objective_chunks(W1T, b1, W2, b2, act, mode, c, x, t, M, kind, claims, data,
                                  reg, g1, g2, g3, g4)

def parallel():
    if variant == "team":
        return drivers._objective(True, *args)
    out = drivers._objective_outputs(w[0], x)
    prange_driver(*args, *out)
    return out

def serial():
    return drivers._objective(False, *args)

for a, b in zip(serial(), parallel()):
    assert np.array_equal(a, b)
times = {"serial": [], "parallel": []}
for _ in range(int(sys.argv[1])):
    for name, run in (("serial", serial), ("parallel", parallel)):
        start = time.perf_counter(); run(); times[name].append(time.perf_counter() - start)
layer = numba.threading_layer() if variant != "team" else None
print(json.dumps({"layer": layer, **times}))
"""

_BUSY = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"

#: The parallel variants compared under load: invlin's team, and prange on Numba's layers.
PARALLEL_VARIANTS = {"team": {}, "prange_omp": {"NUMBA_THREADING_LAYER": "omp"},
                     "prange_workqueue": {"NUMBA_THREADING_LAYER": "workqueue"}}


def parallel_under_load(repeats: int, busy: int = 2) -> dict:
    """Serial against parallel canonical objective, per parallel variant, each in a fresh
    subprocess, while ``busy`` busy-loop processes load the cores."""
    results = {"busy_processes": busy, "load_average_at_start": load_average()}
    loaders = [subprocess.Popen([sys.executable, "-c", _BUSY.format(seconds=600)])
               for _ in range(busy)]
    try:
        time.sleep(1.0)
        for variant, extra in PARALLEL_VARIANTS.items():
            env = dict(os.environ, **extra)
            out = subprocess.run([sys.executable, "-c", _PARALLEL_PROBE, str(repeats), variant],
                                 env=env, check=True, capture_output=True, text=True).stdout
            probe = json.loads(out.strip().splitlines()[-1])
            serial, parallel = np.array(probe["serial"]), np.array(probe["parallel"])
            results[variant] = {"layer_used": probe["layer"],
                                "serial_ms": _quartiles(1e3 * serial),
                                "parallel_ms": _quartiles(1e3 * parallel),
                                "parallel_over_serial": _quartiles(parallel / serial),
                                "parallel_worst_ms": float(1e3 * parallel.max())}
    finally:
        for loader in loaders:
            loader.kill()
            loader.wait()
    results["load_average_at_end"] = load_average()
    return results


def batch_sweep(repeats: int, seed: int, sizes) -> dict:
    """Milliseconds per invlin.train step against the batch size (canonical network)."""
    problem = make_problem()
    rows = []
    start_load = load_average()
    for n in sizes:
        row = {"batch": n}
        for regulariser in ("divergence", "logdet"):
            model = IResNet(DIM, BLOCKS, WIDTH, lipschitz=LIPSCHITZ, rng=seed)
            steps = max(1, 10_000 // n)

            def step():
                invlin.train(model, problem, regulariser, steps=steps, batch_size=n,
                             learning_rate=LEARNING_RATE, seed=seed, progress=False)

            samples = max(3, repeats // max(1, n // 1000))
            wall, cpu = _median_wall_cpu(step, samples)
            row[f"{regulariser}_ms"] = 1e3 * wall / steps
            row[f"{regulariser}_cpu_ms"] = 1e3 * cpu / steps
        rows.append(row)
    largest = rows[-1]
    for row in rows:
        for regulariser in ("divergence", "logdet"):
            for clock in ("ms", "cpu_ms"):
                per_sample = row[f"{regulariser}_{clock}"] / row["batch"]
                row[f"{regulariser}_{clock}_per_sample_vs_largest"] = (
                    per_sample / (largest[f"{regulariser}_{clock}"] / largest["batch"]))
    return {"rows": rows, "load_average_at_start": start_load,
            "load_average_at_end": load_average()}


def dimension_sweep(repeats: int, seed: int, dims, batch: int = BATCH) -> dict:
    """Milliseconds per DiagonalNet step (divergence objective, Adam, projection) against n."""
    rows = []
    rng = np.random.default_rng(seed)
    start_load = load_average()
    for n in dims:
        model = DiagonalNet(n, n_units=4)
        x, t = rng.standard_normal((batch, n)), rng.standard_normal((batch, n))
        adam = Adam(LEARNING_RATE)

        def step():
            _, grad = model._objective(x, t, None, "divergence", 0.18)
            model.set_parameters(adam.step(model.get_parameters(), grad))
            model.project()

        wall, cpu = _median_wall_cpu(step, max(3, repeats // 3))
        rows.append({"dim": n, "divergence_ms": 1e3 * wall, "divergence_cpu_ms": 1e3 * cpu})
    largest = rows[-1]
    for row in rows:
        for clock in ("ms", "cpu_ms"):
            row[f"{clock}_per_dim_x_batch_vs_largest"] = (
                (row[f"divergence_{clock}"] / row["dim"])
                / (largest[f"divergence_{clock}"] / largest["dim"]))
    return {"batch": batch, "rows": rows, "load_average_at_start": start_load,
            "load_average_at_end": load_average()}


def main(argv=None) -> dict:
    global _clock, STEPS, PAUSE
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
    parser.add_argument("--skip-threading", action="store_true",
                        help="no comparison of the parallel paths under load")
    parser.add_argument("--skip-sweeps", action="store_true", help="no batch/dimension sweeps")
    parser.add_argument("--no-jax", action="store_true", help="leave out the JAX baseline")
    parser.add_argument("--threads", type=int,
                        help="threads for Numba, PyTorch and JAX (default: their defaults)")
    parser.add_argument("--steps", type=int, default=STEPS,
                        help=f"steps per timed sample (default {STEPS})")
    parser.add_argument("--pause", type=float, default=PAUSE,
                        help=f"busy pause in seconds before each timed sample (default {PAUSE})")
    args = parser.parse_args(argv)
    _clock = CLOCK[args.clock]
    STEPS, PAUSE = args.steps, args.pause
    if args.parallel_min_work is not None:
        iresnet_module.PARALLEL_MIN_WORK = args.parallel_min_work
    if args.threads:
        # XLA reads its thread settings when jax is first imported
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_"
                                   f"eigen={'false' if args.threads == 1 else 'true'} "
                                   f"intra_op_parallelism_threads={args.threads}")
    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
    report = {"command": " ".join([os.path.basename(sys.executable)] + sys.argv),
              "clock": args.clock, "numba_threads": numba.get_num_threads(),
              "parallel_min_work": iresnet_module.PARALLEL_MIN_WORK,
              "load_average_at_start": load_average()}
    use_torch = use_jax = False
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        report["torch"] = torch.__version__
        report["torch_threads"] = torch.get_num_threads()
        use_torch = True
    except ImportError:
        report["torch"] = "skipped: torch not importable"
    if not args.no_jax:
        try:
            import jax

            report["jax"] = jax.__version__
            use_jax = True
        except ImportError:
            report["jax"] = "skipped: jax not importable (pip install jax)"
    report["fma_peak_gflops_per_core"] = fma_peak()
    report["canonical"] = canonical(args.repeats, args.seed, use_torch, use_jax)
    for regulariser in ("divergence", "logdet"):
        row = report["canonical"][regulariser]
        row["kernel_fraction_of_core_peak"] = (row["kernel_gflops"]
                                               / report["fma_peak_gflops_per_core"])
        # the kernel as the step runs it, on the team: against the peak of the team's cores
        row["kernel_fraction_of_team_peak"] = (row["kernel_gflops"]
                                               / (report["fma_peak_gflops_per_core"]
                                                  * team_size()))
        # one thread: against one core's peak
        row["serial_kernel_fraction_of_core_peak"] = (row["serial_kernel_gflops"]
                                                      / report["fma_peak_gflops_per_core"])
    report["team_size"] = team_size()
    if not args.skip_threading:
        report["parallel_under_load"] = parallel_under_load(args.repeats)
    if not args.skip_startup:
        report["startup"] = startup()
    if not args.skip_sweeps:
        sizes = (100, 1000, 10000) if args.quick else (100, 1000, 10000, 100000)
        dims = (10, 100, 1000) if args.quick else (10, 100, 1000, 10000)
        report["batch_sweep"] = batch_sweep(args.repeats, args.seed, sizes)
        report["dimension_sweep"] = dimension_sweep(args.repeats, args.seed, dims)
    report["load_average_at_end"] = load_average()
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return report



if __name__ == "__main__":
    main()
