"""PM and MAP per point: a prior given by its log-density (from_logpdf) against the built-in class.

Run: ``python benchmarks/bench_priors.py [--n 2000] [--repeats 5] [--seed 0]``.

The Student-t prior with nu degrees of freedom (scale 1) as :class:`invlin.priors.StudentT`
(closed-form log-density and derivatives) and as ``from_logpdf`` of its unnormalised
log-density -(nu + 1)/2 log(1 + t^2/nu) with no derivatives (numeric, Richardson-extrapolated).
``posterior_mean`` and ``map_estimate`` of y = x + delta eta run on the same n measurements
(drawn from the model) for both priors, side by side in one process, alternating the two over
``repeats`` rounds; the best time of each is reported per point, with the ratio
from_logpdf / built-in, and the agreement of the two results (max relative difference).
Construction of the from_logpdf prior (its normalisation rule) is timed separately.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from invlin.estimators import map_estimate, posterior_mean
from invlin.priors import StudentT, from_logpdf
from invlin.problem import LinearInverseProblem


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"n = {args.n} measurements, best of {args.repeats}")
    print(f"{'setting':>22} {'estimator':>9} {'built-in us/pt':>15} {'from_logpdf us/pt':>18} "
          f"{'ratio':>6} {'max rel diff':>12}")
    for nu, delta in [(5.0, 0.5), (1.0, 3.0)]:
        start = time.perf_counter()
        numeric = from_logpdf(lambda t, nu=nu: -(nu + 1) / 2 * np.log1p(t * t / nu))
        build = time.perf_counter() - start
        exact = StudentT(nu)
        y = exact.sample(args.n, rng) + delta * rng.standard_normal((args.n, 1))
        problems = [LinearInverseProblem([[1.0]], delta, p) for p in (exact, numeric)]
        for name, estimator in (("PM", posterior_mean), ("MAP", map_estimate)):
            for p in problems:  # warm-up (tail cuts are cached per prior)
                estimator(p, y[:8])
            results, times = [], []
            for p in problems:
                t, r = best_time(lambda p=p: estimator(p, y), args.repeats)
                times.append(t)
                results.append(r)
            diff = np.max(np.abs(results[0] - results[1]) / np.maximum(np.abs(results[0]), 1.0))
            print(f"{f'nu={nu:g}, delta={delta:g}':>22} {name:>9} {1e6 * times[0] / args.n:15.1f} "
                  f"{1e6 * times[1] / args.n:18.1f} {times[1] / times[0]:6.2f} {diff:12.1e}")
        print(f"{'':>22} from_logpdf construction: {1e3 * build:.1f} ms")


if __name__ == "__main__":
    main()
