"""Digest of trained parameters: the check that a refactoring left training bit-identical.

Trains the canonical network of ``benchmarks/bench_engine.py`` (its problem; IResNet 2 x 4 x 64, Lip 0.9,
batch 512) for 50 steps with the divergence, log-det and reconstruction losses, and a
DiagonalNet (8 units, L = 0.8) for 50 divergence steps, and prints the SHA-256 of each
parameter vector. Run it on two checkouts and compare the lines::

    PYTHONPATH=/path/to/old python scripts/training_digest.py
    PYTHONPATH=/path/to/new python scripts/training_digest.py

Equal digests mean bit-identical parameters on this machine (the kernels' results do not depend
on the thread count, so they are reproducible run to run). ``--ulp-control`` trains with the
learning rate one ulp above 1e-2: every digest must change (the comparison can fail).
"""

import argparse
import hashlib
import pathlib

import numpy as np

import invlin
from invlin.models import DiagonalNet, IResNet
from invlin.priors import GaussianMixture

STEPS = 50


def make_problem() -> invlin.LinearInverseProblem:
    """The canonical problem of benchmarks/bench_engine.py (written out here, so that the
    script runs unchanged against any checkout)."""
    prior = GaussianMixture([0.5, 0.5], [[1.5, 1.5], [-1.5, -1.5]],
                            [0.04 * np.eye(2), 0.04 * np.eye(2)])
    return invlin.LinearInverseProblem(np.array([[1.2, 0.3], [-0.2, 0.6]]), 0.3, prior)


def digest(model) -> str:
    return hashlib.sha256(model.get_parameters().tobytes()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ulp-control", action="store_true",
                        help="learning rate one ulp above 1e-2 (the digests must change)")
    args = parser.parse_args()
    rate = np.nextafter(1e-2, 1.0) if args.ulp_control else 1e-2
    print(f"invlin from {pathlib.Path(invlin.__file__).parent}")
    problem = make_problem()
    for loss in ("divergence", "logdet", "reconstruction"):
        model = IResNet(2, 4, 64, lipschitz=0.9, rng=0)
        invlin.train(model, problem, loss, steps=STEPS, batch_size=512, seed=0,
                     learning_rate=rate, progress=False)
        print(f"IResNet {loss:15s} {digest(model)}")
    diagonal = invlin.LinearInverseProblem.diagonal([1.0, 0.5], 0.3, problem.prior)
    model = DiagonalNet(diagonal.right_singular_vectors, 8, lipschitz=0.8)
    invlin.train(model, diagonal, "divergence", steps=STEPS, batch_size=512, seed=0,
                 learning_rate=rate, progress=False)
    print(f"DiagonalNet divergence  {digest(model)}")


if __name__ == "__main__":
    main()
