"""Sample-trained iResNets on the Laplace prior against the slope-bounded divergence optimum.

Usage: `python experiments/laplace_slope_bounded.py [--blocks B] [--seeds 0,1,2,3,4]
[--activation softclip] [--width 1] [--start near-identity] [--radius 0.1] [--steps 10000]
[--batch 512] [--learning-rate 1e-2] [--out FILE.json]`

Laplace(0, 1), a = 1, delta = 0.5, the z-form divergence loss, IResNet(1, B, width) with
Lip(g_k) <= L = 0.8, Adam on fresh minibatches (learning rate decaying geometrically to 1/100 of
its start). Per seed: the distances (RMS over the central 98% of the data, in units of
d(PM, MAP)) of the learned inverse to the slope-bounded optimum (claim
``laplace-slope-bounded-divergence``, the projection onto slopes in [(1 - L)^B, (1 + L)^B]),
the PM and the MAP, and the dead-zone slope (the learned inverse's difference quotient over
[-kappa/2, kappa/2], kappa = delta^2/b) against the derived (1 + L)^(-B). docs/sparsity.md
("Sample-trained networks with slope bounds") quotes its rows.
"""

import argparse
import json
import time

import numpy as np

from invlin.models import IResNet
from invlin.prediction import evaluate
from invlin.priors import Laplace
from invlin.problem import LinearInverseProblem
from invlin.training import train
from invlin.verify.checks._discrimination import data_grid, references, rms
from theory import claims

L, A, DELTA, SCALE = 0.8, 1.0, 0.5, 1.0
KAPPA = DELTA**2 / SCALE  # the MAP's threshold: the dead zone is |z| < kappa


def near_identity_start(model, radius=0.1):
    """Set every unit of ``model`` (a 1-D IResNet) centred at 0 (b1 = 0) with the active window
    |x| < radius (W1 = +-1/(radius sqrt(m)), signs from the model's own initialisation), W2
    aligned with W1 and the branch at its Lipschitz bound: with the soft clip a block of one
    unit starts as x + L clip(x, -radius, radius), near the identity. The radius 0.1 is of the
    order of the dead zone kappa = 0.25, not one of the theory's breakpoints."""
    theta = model.get_parameters()
    W1, b1, W2, b2 = model._views(theta)
    sign = np.where(W1[:, :, 0] < 0.0, -1.0, 1.0)
    scale = 1.0 / np.sqrt(model.width)
    W1[:, :, 0] = sign * scale / radius
    b1[...] = 0.0
    W2[:, 0, :] = sign * scale * model.lipschitz_bound * radius
    b2[...] = 0.0
    model.set_parameters(theta)
    model.project()
    return model


def dead_zone_slope(model):
    """The learned inverse's difference quotient over [-kappa/2, kappa/2]."""
    ends = model.inverse(np.array([[-KAPPA / 2], [KAPPA / 2]]))[:, 0]
    return float((ends[1] - ends[0]) / KAPPA)


def run(blocks, seed, *, activation="softclip", width=1, start="near-identity", radius=0.1,
        steps=10000, batch=512, learning_rate=1e-2):
    """Train one network; return its row (distances in units of d(PM, MAP), slopes)."""
    prior = Laplace(0.0, SCALE)
    problem = LinearInverseProblem([[A]], DELTA, prior)
    data = data_grid(prior, A, DELTA, "z", np.random.default_rng(0))
    pm, x_map = references(prior, A, DELTA, "z", data)
    optimum = evaluate(claims.get("laplace-slope-bounded-divergence").prediction["inverse_z"],
                       z=data, H=(1 + L) ** blocks, a=A, b=SCALE, delta=DELTA)
    unit = rms(pm, x_map)
    started = time.perf_counter()
    model = IResNet(1, blocks, width, lipschitz=L, activation=activation, rng=seed)
    if start == "near-identity":
        near_identity_start(model, radius)
    train(model, problem, "divergence", form="z", steps=steps, batch_size=batch,
          learning_rate=learning_rate, final_learning_rate=learning_rate / 100, seed=seed,
          progress=False)
    learned = model.inverse(data[:, None])[:, 0]
    slope, derived = dead_zone_slope(model), (1 + L) ** -blocks
    return {"blocks": blocks, "seed": seed, "activation": activation, "width": width,
            "start": start, "radius": radius, "steps": steps, "batch": batch,
            "learning_rate": learning_rate,
            "d_optimum": rms(learned, optimum) / unit, "d_pm": rms(learned, pm) / unit,
            "d_map": rms(learned, x_map) / unit, "slope": slope, "derived_slope": derived,
            "slope_error": slope / derived - 1, "seconds": time.perf_counter() - started}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--activation", default="softclip")
    parser.add_argument("--width", type=int, default=1)
    parser.add_argument("--start", choices=["near-identity", "default"], default="near-identity")
    parser.add_argument("--radius", type=float, default=0.1,
                        help="window of the near-identity start")
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    parser.add_argument("--out", help="write the rows as JSON to this file")
    args = parser.parse_args(argv)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        row = run(args.blocks, seed, activation=args.activation, width=args.width,
                  start=args.start, radius=args.radius, steps=args.steps, batch=args.batch,
                  learning_rate=args.learning_rate)
        rows.append(row)
        print(f"B={row['blocks']} seed={seed} d(optimum)={row['d_optimum']:.3f} "
              f"d(PM)={row['d_pm']:.3f} d(MAP)={row['d_map']:.3f} slope={row['slope']:.4f} "
              f"derived={row['derived_slope']:.4f} ({100 * row['slope_error']:+.1f}%) "
              f"{row['seconds']:.1f} s", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
