"""A 2-D IResNet trained on the bimodal toy problem stays invertible; thread-count independence."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from invlin.models import _iresnet_drivers as drivers
from invlin.models import _iresnet_numba as kernels
from invlin.models.iresnet import PARALLEL_MIN_WORK, IResNet
from invlin.training import train

_spec = importlib.util.spec_from_file_location(
    "iresnet_cases", pathlib.Path(__file__).with_name("_iresnet_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


@pytest.mark.parametrize(
    ("loss", "form"),
    [("approximation", "z"), ("reconstruction", "z"), ("logdet", "z"), ("logdet", "z-weighted"),
     ("logdet", "y"), ("divergence", "z"), ("divergence", "y")],
)
def test_trained_iresnet_stays_invertible(loss, form):
    problem = cases.bimodal_problem(delta=0.3)
    model = IResNet(2, 4, 32, lipschitz=0.9, rng=0)
    result = train(model, problem, loss, form=form, steps=300, batch_size=128,
                   learning_rate=3e-3, seed=1, progress=False)
    # training made progress (the loss is a minibatch estimate: compare averages of 20 steps)
    assert np.mean(result.loss[-20:]) < np.mean(result.loss[:20])
    # the certified bound after the last projection: within the constraint, hence < 1
    assert model.lipschitz() <= 0.9
    samples = problem.sample(2000, np.random.default_rng(2))
    data = samples.y if form == "y" else samples.z
    for u in (model.forward(samples.x), data):
        inv = model.inverse(u, return_info=True)
        assert np.all(inv.converged)
        assert inv.residual.max() < 1e-10


_SCRIPT = """
import numpy as np
from invlin.models.iresnet import IResNet
rng = np.random.default_rng(7)
x, t = rng.standard_normal((4096, 2)), rng.standard_normal((4096, 2))
model = IResNet(2, 4, 64, rng=3)
out = []
for reg in (None, "logdet", "divergence"):
    value, grad = model._objective(x, t, None, reg, 0.18)
    out.append(np.concatenate([[value], grad]))
value, grad = model._reconstruction_objective(model.forward(x) + 0.01, x)
out.append(np.concatenate([[value], grad]))
out.append(model.inverse(t).ravel())
# same seed, same trained parameters: batch 4096 x 4 blocks x width 64 runs the parallel drivers
import importlib.util, pathlib
spec = importlib.util.spec_from_file_location("cases", {cases!r})
cases = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cases)
from invlin.training import train
for loss in ("divergence", "logdet", "reconstruction"):
    trained = IResNet(2, 4, 64, rng=3)
    train(trained, cases.bimodal_problem(), loss, steps=3, batch_size=4096, learning_rate=1e-2,
          seed=4, progress=False)
    out.append(trained.get_parameters())
np.save({path!r}, np.concatenate(out))
"""


def test_results_do_not_depend_on_the_thread_count(tmp_path):
    # 4096 x 4 x 64 reaches PARALLEL_MIN_WORK: the parallel drivers run
    assert 4096 * 4 * 64 >= PARALLEL_MIN_WORK
    results = []
    for threads in (1, 2):
        path = tmp_path / f"threads{threads}.npy"
        env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
        subprocess.run([sys.executable, "-c", _SCRIPT.format(path=str(path), cases=str(_spec.origin))], env=env,
                       check=True, timeout=600)
        results.append(np.load(path))
    np.testing.assert_array_equal(results[0], results[1])  # bitwise


def test_serial_and_parallel_drivers_agree_bitwise():
    model = IResNet(2, 3, 16, rng=5)
    rng = np.random.default_rng(6)
    x, t = rng.standard_normal((300, 2)), rng.standard_normal((300, 2))
    M = np.array([[2.0, 0.5], [0.5, 1.0]])
    w = (*model._kernel_weights(), model._act())
    for mode in (kernels.REG_NONE, kernels.REG_LOGDET, kernels.REG_DIVERGENCE):
        serial = drivers.objective_serial(*w, mode, 0.3, x, t, M, True)
        parallel = drivers.objective_parallel(*w, mode, 0.3, x, t, M, True)
        for a, b in zip(serial, parallel):
            np.testing.assert_array_equal(a, b)
    # many more chunks than threads: each thread of the team takes chunk after chunk
    xl, tl = rng.standard_normal((17 * 128, 2)), rng.standard_normal((17 * 128, 2))
    assert kernels.n_chunks(xl.shape[0]) == 17
    for mode in (kernels.REG_NONE, kernels.REG_LOGDET, kernels.REG_DIVERGENCE):
        for a, b in zip(drivers.objective_serial(*w, mode, 0.3, xl, tl, M, True),
                        drivers.objective_parallel(*w, mode, 0.3, xl, tl, M, True)):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(drivers.adjoint_gradient_serial(*w, x, t),
                    drivers.adjoint_gradient_parallel(*w, x, t)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(drivers.forward_serial(*w, x), drivers.forward_parallel(*w, x))
    for a, b in zip(drivers.jacobian_serial(*w, x, kernels.REG_DIVERGENCE),
                    drivers.jacobian_parallel(*w, x, kernels.REG_DIVERGENCE)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(drivers.inverse_serial(*w, t, 1e-13, 100, True),
                    drivers.inverse_parallel(*w, t, 1e-13, 100, True)):
        np.testing.assert_array_equal(a, b)
    probes = rng.standard_normal((300, 3, 2))
    np.testing.assert_array_equal(drivers.hutchinson_serial(*w, x, probes, 5, kernels.REG_LOGDET),
                                  drivers.hutchinson_parallel(*w, x, probes, 5, kernels.REG_LOGDET))


@pytest.mark.parametrize("regulariser", [None, "logdet", "divergence"])
def test_objective_tiles_cover_every_sample_once(regulariser):
    # above 128 * TILE samples a chunk holds more than one tile (here 157 samples: a full tile
    # and a remainder of 29); the result must equal the sample-weighted combination of
    # objectives over pieces small enough for a single tile (n = 3: the general dimension)
    model = IResNet(3, 2, 5, lipschitz=0.8, rng=8)
    rng = np.random.default_rng(9)
    n_samples = 20000
    assert kernels.chunk_size(n_samples) > kernels.TILE
    assert kernels.chunk_size(n_samples) % kernels.TILE != 0
    x, t = rng.standard_normal((n_samples, 3)), rng.standard_normal((n_samples, 3))
    value, grad = model._objective(x, t, None, regulariser, 0.4)
    pieces = [model._objective(x[i:i + 100], t[i:i + 100], None, regulariser, 0.4)
              for i in range(0, n_samples, 100)]
    combined_value = np.mean([v for v, _ in pieces])
    combined_grad = np.mean([g for _, g in pieces], axis=0)
    # means of 20000 O(1) per-sample terms summed in two orders: they differ by at most about
    # N eps = 4e-12 of the scale; a skipped or doubled sample would change them by ~1e-4
    scale = max(1.0, np.max(np.abs(combined_grad)))
    assert value == pytest.approx(combined_value, rel=1e-10)
    np.testing.assert_allclose(grad, combined_grad, rtol=0, atol=1e-10 * scale)
