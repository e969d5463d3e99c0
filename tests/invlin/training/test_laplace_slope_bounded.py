"""Sample-trained iResNets on the Laplace prior learn the slope-bounded divergence optimum.

Laplace(0, 1), a = 1, delta = 0.5, z-form divergence loss, one iResNet block with Lip(g) <= 0.8,
trained with Adam on fresh samples (5 seeds). Prediction (claim
``laplace-slope-bounded-divergence``): the L2(p) projection of phi* onto slopes in
[1 - L, 1 + L], whose inverse is a leaky soft threshold. The distances are RMS over the central
98% of the data; the learned inverse must be nearer that optimum than the soft threshold (MAP)
and than the PM by >= 5 standard errors of the mean difference over the seeds.

Measured (seed 0..4, 3000 steps): d(learned, optimum) = 0.31-0.35, d(learned, PM) = 0.43-0.46,
d(learned, MAP) = 0.80-0.84 (units of d(PM, MAP)); the learned dead-zone slope 0.597-0.613
against the derived 1/(1 + L) = 0.556 (+7% to +10%: an iResNet block's Lipschitz projection
bounds g' by the product of spectral norms, so its slope profile can touch 1 + L only at a point,
not on an interval; see docs/sparsity.md).

With the soft-clip activation (a smooth clipped identity, which lets a block hold slope 1 + L on
an interval) and B = 1, 2 blocks of one unit, the learned dead-zone slope matches the derived
(1 + L)^(-B) to 10% (the issue's tolerance) for every seed, and the learned inverse is nearer the
slope-bounded optimum (the projection onto slopes in [(1 - L)^B, (1 + L)^B]) than the MAP and
the PM by >= 5 standard errors. Measured (seeds 0..4): B = 1: slope +0.0% to +0.2%,
d(learned, optimum) 0.139-0.147, d(PM) 0.552-0.558, d(MAP) 0.664-0.666; B = 2: slope +1.9% to
+4.5%, d(optimum) 0.070-0.109, d(PM) 0.797-0.835, d(MAP) 0.319-0.323. B = 4 is not met (see
docs/sparsity.md): the test records it as an expected failure.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

from invlin.models import IResNet
from invlin.prediction import evaluate
from invlin.priors import Laplace
from invlin.problem import LinearInverseProblem
from invlin.training import train
from invlin.verify.checks._discrimination import data_grid, references, rms
from theory import claims

# the experiment script's near-identity start and dead-zone slope (one definition of each)
_spec = importlib.util.spec_from_file_location(
    "laplace_slope_bounded",
    pathlib.Path(__file__).parents[3] / "experiments" / "laplace_slope_bounded.py")
experiment = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(experiment)

L, A, DELTA, SCALE = 0.8, 1.0, 0.5, 1.0
SEEDS = range(5)


def _references(blocks):
    """The data grid (z), the PM, the MAP and the slope-bounded optimum for B blocks, whose
    slopes lie in [(1 - L)^B, (1 + L)^B] (only the upper bound is active here)."""
    prior = Laplace(0.0, SCALE)
    data = data_grid(prior, A, DELTA, "z", np.random.default_rng(0))
    pm, x_map = references(prior, A, DELTA, "z", data)
    optimum = evaluate(claims.get("laplace-slope-bounded-divergence").prediction["inverse_z"],
                       z=data, H=(1 + L) ** blocks, a=A, b=SCALE, delta=DELTA)
    return prior, data, pm, x_map, optimum


def _nearer_by_five_standard_errors(rows):
    """Columns of ``rows``: d(learned, optimum), d(learned, PM), d(learned, MAP), one row per
    seed; the optimum must be nearer than each of the others by >= 5 standard errors of the
    mean difference over the seeds."""
    for other in (1, 2):
        margin = rows[:, other] - rows[:, 0]
        standard_error = margin.std(ddof=1) / np.sqrt(len(margin))
        assert margin.mean() >= 5 * standard_error, (other, rows)


@pytest.mark.slow
def test_one_block_iresnet_is_nearer_the_slope_bounded_optimum():
    prior, data, pm, x_map, optimum = _references(1)
    problem = LinearInverseProblem([[A]], DELTA, prior)
    rows = []
    for seed in SEEDS:
        model = IResNet(1, 1, 16, lipschitz=L, rng=seed)
        train(model, problem, "divergence", form="z", steps=3000, batch_size=512,
              learning_rate=1e-2, final_learning_rate=1e-4, seed=seed, progress=False)
        learned = model.inverse(data[:, None])[:, 0]
        rows.append([rms(learned, optimum), rms(learned, pm), rms(learned, x_map)])
    _nearer_by_five_standard_errors(np.array(rows))


@pytest.mark.slow
@pytest.mark.parametrize("blocks", [1, 2, pytest.param(4, marks=pytest.mark.xfail(
    strict=True, raises=AssertionError,
    reason="B = 4: Adam on samples stops at a learned slope about 1.9x the derived one "
           "(docs/sparsity.md); the class holds the optimum"))])
def test_softclip_iresnet_dead_zone_slope_is_the_derived_one(blocks):
    prior, data, pm, x_map, optimum = _references(blocks)
    problem = LinearInverseProblem([[A]], DELTA, prior)
    derived = (1 + L) ** -blocks
    rows, slopes = [], []
    for seed in SEEDS:
        # B blocks of one soft-clip unit, each started as x + L clip(x, -0.1, 0.1)
        model = experiment.near_identity_start(
            IResNet(1, blocks, 1, lipschitz=L, activation="softclip", rng=seed))
        train(model, problem, "divergence", form="z", steps=10000, batch_size=512,
              learning_rate=1e-2, final_learning_rate=1e-4, seed=seed, progress=False)
        learned = model.inverse(data[:, None])[:, 0]
        rows.append([rms(learned, optimum), rms(learned, pm), rms(learned, x_map)])
        slopes.append(experiment.dead_zone_slope(model))
    slopes = np.array(slopes)
    # the tolerance, 10%, for every seed (measured: within 0.2% for B = 1, 1.9-4.5% for
    # B = 2, a seed-to-seed spread of 0.2% and 2.6%)
    assert np.all(np.abs(slopes / derived - 1) <= 0.10), slopes
    # negative control: the slope of one block fewer, (1 + L)^-(B - 1), is off by far more
    assert np.all(np.abs(slopes / (derived * (1 + L)) - 1) > 0.10), slopes
    _nearer_by_five_standard_errors(np.array(rows))
