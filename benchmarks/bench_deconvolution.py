"""Cost of the deconvolution pipeline against d: fast DCT basis vs a dense basis matrix.

Run: ``python benchmarks/bench_deconvolution.py [--dims 100 1000 10000] [--dense-max 2000]
[--batch 64] [--repeats 5] [--seed 0]``.

For each d: seconds per training step (sample a minibatch, loss and exact gradient; best and
median of ``repeats`` after a warm-up) and the peak memory of one step (tracemalloc) for each
loss of the study ``invlin.studies.deconvolution``, with the DiagonalNet in the fast DCT basis;
the per-measurement time of the exact per-component PM and MAP; and, up to ``--dense-max``, the
same DiagonalNet step with the basis given as a dense d x d matrix, measured in the same run, so
that the ratio dense / fast shows the d^2 against d log d growth. The log-log slopes over d are
printed at the end (d log d gives ~1.1 over 10^2..10^4, d^2 gives 2). Timing on a shared
machine is noisy: the best of the repeats is the least disturbed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from invlin.estimators import componentwise_map, componentwise_posterior_mean
from invlin._metrics import loglog_slope
from invlin.studies._step_cost import step_cost
from invlin.studies.deconvolution import LOSSES, make_model, make_problem

DELTA = 0.05


def _per_measurement(estimator, problem, y) -> float:
    start = time.perf_counter()
    estimator(problem, y)
    return (time.perf_counter() - start) / y.shape[0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--dense-max", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    print(f"{'d':>6} {'loss':>15} {'ms/step best':>13} {'median':>9} {'peak MiB':>9} "
          f"{'dense ms/step':>14} {'dense/fast':>10}")
    for dim in args.dims:
        problem = make_problem(dim, DELTA)
        for loss, form, _ in LOSSES:
            fast = step_cost(make_model(problem, form), problem, loss, form=form,
                             batch_size=args.batch, repeats=args.repeats, seed=args.seed)
            dense = None
            if dim <= args.dense_max:
                dense = step_cost(make_model(problem, form, basis=problem.basis.matrix()), problem, loss, form=form, batch_size=args.batch,
                                  repeats=args.repeats, seed=args.seed)
            rows.append((dim, loss, fast, dense))
            dense_text = (f"{1e3 * dense['seconds_min']:14.3g} "
                          f"{dense['seconds_min'] / fast['seconds_min']:10.3g}"
                          if dense else f"{'-':>14} {'-':>10}")
            print(f"{dim:6d} {loss:>15} {1e3 * fast['seconds_min']:13.3g} "
                  f"{1e3 * fast['seconds']:9.3g} {fast['peak_bytes'] / 2**20:9.3g} {dense_text}",
                  flush=True)
        y = problem.sample(8, np.random.default_rng(args.seed)).y
        print(f"{dim:6d} {'per measurement':>15}  PM {1e3 * _per_measurement(componentwise_posterior_mean, problem, y):.3g} ms, "
              f"MAP {1e3 * _per_measurement(componentwise_map, problem, y):.3g} ms", flush=True)
    if len(args.dims) > 1:
        for loss, _, _ in LOSSES:
            sub = [row for row in rows if row[1] == loss]
            dims = [row[0] for row in sub]
            print(f"slope over d ({loss}): time {loglog_slope(dims, [r[2]['seconds_min'] for r in sub]):.3g}, "
                  f"memory {loglog_slope(dims, [r[2]['peak_bytes'] for r in sub]):.3g}")


if __name__ == "__main__":
    main()
