"""Mutation run: do the theorem checks notice a wrong formula?

Applies each mutation of ``MUTATIONS`` (a deliberate error in a formula of ``theory/`` or in a
loss of ``invlin/losses``) to a private copy of the source tree, runs ``invlin check --quick`` on
the claims the mutation should break and, only where every one of those checks still PASSes,
the mutation's tests (``Mutation.tests``; by default the test module that mirrors the mutated
file). A mutation SURVIVES when both the checks and the tests miss it. A verification toolkit
whose checks and tests pass with a wrong formula verifies nothing: the goal is 0 survivors, and
CI fails on a survivor (``.ci/run``).

The user's working tree is never modified: the tree (``invlin``, ``theory``, ``tests`` and the
pytest configuration) is copied once into a temporary directory (its Numba kernels compile there
once; mutations touch no kernel module, so the cache stays valid), each mutation edits the copy
and is reverted before the next.

Usage::

    python scripts/mutation_run.py            # all mutations, their own claims
    python scripts/mutation_run.py --all-claims   # every mutation against every claim (slow)
    python scripts/mutation_run.py --only theory-paper-weight-halved

Exit status 0 when no mutation survives, 1 otherwise, 2 on a usage or setup error.

Equivalent mutants (errors that change no result, e.g. scaling one block of a gradient, which
moves no stationary point) are not in the list: a survivor must be a real gap in the checks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    """One deliberate error: replace ``old`` (which must occur exactly once) by ``new``.

    ``claims`` are the checks that should break; ``tests`` the test modules run where they do
    not (default: ``tests/<package>/.../test_<module>.py`` mirroring ``path``).
    """

    id: str
    path: str
    old: str
    new: str
    claims: tuple
    what: str
    tests: tuple = ()

    def test_paths(self) -> tuple:
        if self.tests:
            return self.tests
        path = Path(self.path)
        return (str(Path("tests", *path.parts[:-1], f"test_{path.name}")),)


MUTATIONS = (
    Mutation("theory-paper-weight-halved", "theory/symbols.py",
             "PAPER_WEIGHT = 2 * delta**2", "PAPER_WEIGHT = delta**2",
             ("logdet-y-gain", "divergence-z-map", "logdet-y-first-order-pm"),
             "the paper's weight c = 2 delta^2 halved", tests=("tests/theory/test_scalar.py",)),
    Mutation("theory-z-weighted-metric", "theory/scalar.py",
             'return S.a**-2 if form == "z-weighted"', 'return S.a**-1 if form == "z-weighted"',
             ("logdet-z-weighted-first-order", "approximation-gain"),
             "the z-weighted metric 1/a^2 replaced by 1/a"),
    Mutation("theory-logdet-regulariser-halved", "theory/scalar.py",
             "value -= c * sp.log(k)", "value -= c * sp.log(k) / 2",
             ("logdet-y-gain", "logdet-z-unweighted"),
             "the log-det regulariser of the expected loss halved"),
    Mutation("theory-divergence-regulariser-halved", "theory/scalar.py",
             "value -= c * k\n", "value -= c * k / 2\n",
             ("divergence-z-map", "divergence-y-not-map"),
             "the divergence regulariser of the expected loss halved"),
    Mutation("theory-noise-doubled", "theory/scalar.py",
             "y = S.a * S.x + S.eta", "y = S.a * S.x + 2 * S.eta",
             ("reconstruction-gain-is-pm", "logdet-y-gain"),
             "the measurement noise of the scalar model doubled"),
    Mutation("theory-clip-dropped", "theory/scalar.py",
             "return sp.Min(sp.Max(gain, 1 - bound), 1 + bound)", "return gain",
             ("lipschitz-clipping", "lipschitz-approximation-filter"),
             "the Lipschitz clip of the optimal gain dropped"),
    Mutation("theory-map-prior-halved", "theory/scalar.py",
             "S.x**2 / (2 * S.s**2))", "S.x**2 / (4 * S.s**2))",
             ("divergence-y-not-map", "gaussian-pm-equals-map"),
             "the prior term of the scalar MAP objective halved"),
    Mutation("theory-divergence-minimiser-weight", "theory/function_space.py",
             "integrand = M * (value - T * var) ** 2 + c * value * score_value",
             "integrand = M * (value - T * var) ** 2 + 2 * c * value * score_value",
             ("divergence-stein-identity", "divergence-invertibility",
              "diagonal-marginal-divergence", "divergence-z-map"),
             "the Stein step of the function-space divergence minimiser with weight 2c"),
    Mutation("theory-pm-operator-noise", "theory/linear.py",
             "W = Sigma * A.T * (A * Sigma * A.T + S.delta**2 * sp.eye(A.rows)).inv()",
             "W = Sigma * A.T * (A * Sigma * A.T + 2 * S.delta**2 * sp.eye(A.rows)).inv()",
             ("gaussian-pm-equals-map", "linear-reconstruction-operator"),
             "the Gaussian PM operator with the noise variance doubled"),
    Mutation("theory-map-operator-prior", "theory/linear.py",
             "H = (A.T * A + S.delta**2 * Sigma.inv()).inv()",
             "H = (A.T * A + S.delta**2 / 2 * Sigma.inv()).inv()",
             ("gaussian-pm-equals-map", "linear-divergence-operator"),
             "the Gaussian MAP operator with the prior precision halved"),
    Mutation("losses-default-weight-halved", "invlin/losses/loss.py",
             "self.weight if self.weight is not None else 2.0 * problem.delta**2",
             "self.weight if self.weight is not None else problem.delta**2",
             ("logdet-y-first-order-pm", "divergence-z-map", "reconstruction-gain-is-pm"),
             "the losses' default weight 2 delta^2 halved"),
    Mutation("losses-metric-dropped", "invlin/losses/loss.py",
             'return problem.normal_operator_inverse() if self.form == "z-weighted" else None',
             "return None",
             ("logdet-z-weighted-first-order", "approximation-gain"),
             "the z-weighted data-term metric (A^T A)^-1 dropped from the losses"),
    Mutation("losses-population-noise-covariance", "invlin/losses/population.py",
             "cov_t = b_op @ sigma @ b_op.T + delta2 * c_op @ c_op.T",
             "cov_t = b_op @ sigma @ b_op.T + 0.5 * delta2 * c_op @ c_op.T",
             ("linear-reconstruction-operator", "reconstruction-gain-is-pm"),
             "the noise covariance in the population reconstruction gradient halved",
             tests=("tests/invlin/losses/test_loss.py",)),
    Mutation("losses-population-data-term", "invlin/losses/population.py",
             "grad_matrix = 2.0 * metric @ (diff @ second_moment + np.outer(bias, mu))",
             "grad_matrix = 2.0 * metric @ (diff @ second_moment - np.outer(bias, mu))",
             ("linear-divergence-operator", "linear-logdet-operator"),
             "a sign error in the matrix gradient of the population data term",
             tests=("tests/invlin/losses/test_loss.py",)),
    Mutation("theory-pm-series-tweedie-weight", "theory/higher_order.py",
             "pm = (_T0 * S.a + _EPS * score_y) / S.a",
             "pm = (_T0 * S.a + _EPS * score_y * (1 + _EPS)) / S.a",
             ("pm-map-fourth-order", "logdet-inverse-pm-fourth-order"),
             "Tweedie's delta^2 (log p_Y)' term of the PM series off at order delta^4"),
    Mutation("theory-map-series-prior-weight", "theory/higher_order.py",
             "objective = (S.a * (_T0 + w) - data) ** 2 / 2 - _EPS * _jet(w, 2 * order + 1)",
             "objective = (S.a * (_T0 + w) - data) ** 2 / 2 - _EPS * (1 + _EPS) * _jet(w, 2 * order + 1)",
             ("pm-map-fourth-order", "logdet-inverse-fourth-order"),
             "the MAP series' prior term off at order delta^4"),
    Mutation("theory-logdet-series-weight", "theory/higher_order.py",
             "(T * psi - data) * slope - weight / (2 * M) * q_term",
             "(T * psi - data) * slope - weight / (2 * M) * q_term * (1 + _EPS)",
             ("logdet-inverse-fourth-order", "logdet-inverse-pm-fourth-order"),
             "the log-det Euler-Lagrange weight of the series off at order delta^4"),
    Mutation("losses-quadrature-noise-variance", "invlin/losses/quadrature.py",
             "return diag, delta2 * diag, metric", "return diag, 2 * delta2 * diag, metric",
             ("reconstruction-gain-is-pm", "divergence-z-map"),
             "the quadrature loss's z-form noise variance doubled"),
    Mutation("losses-quadrature-logdet-regulariser", "invlin/losses/quadrature.py",
             "g_slope = -c * rule.w / slopes", "g_slope = -0.5 * c * rule.w / slopes",
             ("logdet-y-first-order-pm", "logdet-euler-lagrange"),
             "the gradient of the quadrature loss's log-det regulariser halved"),
    Mutation("priors-mixture-upper-tail-mass-zero", "invlin/priors/gaussian_mixture.py",
             "float(self._weights @ ndtr(-(hi - means) / stds)))",
             "0.0 * float(self._weights @ ndtr(-(hi - means) / stds)))",
             ("divergence-z-map",),
             "a tail bound that is no bound: the mixture's upper tail mass declared zero"),
    Mutation("losses-quadrature-heavy-tail-panels-dropped", "invlin/losses/quadrature.py",
             "    if hi - lo <= HEAVY_RATIO * (c_hi - c_lo):\n        return None",
             "    if True:\n        return None",
             ("reconstruction-gain-is-pm",),
             "heavy tails (Student-t) integrated on uniform panels over their whole cut"),
    Mutation("priors-numeric-score-step", "invlin/priors/from_logpdf.py",
             "table.append((self._l(t + h) - self._l(t - h)) / (2 * h))",
             "table.append((self._l(t + h) - self._l(t - h)) / h)",
             ("divergence-z-map",),
             "the numeric score of from_logpdf divided by the step instead of twice the step"),
    Mutation("estimators-dispatch-mixture-as-gaussian", "invlin/estimators/_gaussian_posterior.py",
             "return components is not None and components.weights.shape[0] == 1",
             "return components is not None",
             ("divergence-z-map",),
             "the protocol dispatch takes any Gaussian-component prior for a Gaussian (MAP)",
             tests=("tests/invlin/estimators/test_map_estimate.py",)),
    # -- the Laplace (sparsity) prior (theory/laplace.py, invlin/priors/_laplace.py) ----------
    Mutation("laplace-threshold-a-not-squared", "theory/laplace.py",
             "return delta**2 / (a**2 * b)", "return delta**2 / (a * b)",
             ("laplace-map-soft-threshold", "laplace-posterior-mean"),
             "the soft threshold delta^2/(a^2 b) with a instead of a^2"),
    Mutation("laplace-jump-doubled", "theory/laplace.py",
             "return sp.simplify(weight / (2 * scalar.metric(form) * b))",
             "return sp.simplify(weight / (scalar.metric(form) * b))",
             ("laplace-divergence-inverse-map", "laplace-slope-bounded-divergence"),
             "the divergence optimum's half-jump kappa = c/(2 M b) doubled"),
    Mutation("laplace-dead-zone-slope-squared", "theory/laplace.py",
             "return sp.Piecewise((data / upper, sp.Abs(data) <= edge)",
             "return sp.Piecewise((data / upper**2, sp.Abs(data) <= edge)",
             ("laplace-slope-bounded-divergence",),
             "the slope-bounded inverse's dead-zone slope 1/H replaced by 1/H^2"),
    Mutation("laplace-zone-edge-halved", "theory/laplace.py",
             "return jump(form, weight) / (upper - target_coefficient(form))",
             "return jump(form, weight) / (upper - target_coefficient(form)) / 2",
             ("laplace-slope-bounded-divergence",),
             "the leaky zone's edge x0 = kappa/(H - T) halved"),
    Mutation("laplace-logdet-profile-rate", "theory/laplace.py",
             "return 1 - sp.exp(-xi)", "return 1 - sp.exp(-2 * xi)",
             ("laplace-logdet-euler-lagrange",),
             "the log-det layer profile 1 - exp(-xi) with rate 2"),
    Mutation("laplace-logdet-inverse-rate", "theory/laplace.py",
             "(1 - sp.exp(-rate * sp.Abs(t)))", "(1 - sp.exp(-2 * rate * sp.Abs(t)))",
             ("laplace-logdet-euler-lagrange",),
             "the log-det leading-order inverse with twice the layer rate"),
    Mutation("laplace-layer-gap-doubled", "theory/laplace.py",
             "ratio = 2 * mills(-xi - eps) / (mills(xi - eps) + mills(-xi - eps))",
             "ratio = 4 * mills(-xi - eps) / (mills(xi - eps) + mills(-xi - eps))",
             ("laplace-pm-map-gap",),
             "the PM - MAP layer ratio 2 R(beta)/(R(alpha) + R(beta)) doubled"),
    Mutation("laplace-pm-weight-squared", "invlin/priors/_laplace.py",
             "w_alpha = 1.0 / (1.0 + np.exp(-difference))",
             "w_alpha = 1.0 / (1.0 + np.exp(-2 * difference))",
             ("laplace-posterior-mean", "laplace-pm-map-gap"),
             "the Laplace PM's weight R(alpha)/(R(alpha) + R(beta)) with R(alpha)^2, R(beta)^2",
             tests=("tests/invlin/priors/test_laplace.py",)),
    Mutation("laplace-log-mills-constant-sign", "invlin/priors/_laplace.py",
             "+ 0.5 * np.maximum(u, 0.0) ** 2 + _HALF_LOG_TWO_PI",
             "+ 0.5 * np.maximum(u, 0.0) ** 2 - _HALF_LOG_TWO_PI",
             ("laplace-posterior-mean",),
             "log R(u) for u >= 0 with -log sqrt(2 pi) instead of +",
             tests=("tests/invlin/priors/test_laplace.py",)),
    Mutation("laplace-map-threshold-a-not-squared", "invlin/priors/_laplace.py",
             "tau = delta**2 / (a**2 * scale)", "tau = delta**2 / (a * scale)",
             ("laplace-map-soft-threshold",),
             "invlin's soft threshold with a instead of a^2",
             tests=("tests/invlin/priors/test_laplace.py",)),
)


def _copy_tree(destination: Path) -> None:
    for name in ("invlin", "theory", "tests"):
        shutil.copytree(ROOT / name, destination / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    for name in ("pyproject.toml", "conftest.py"):
        shutil.copy2(ROOT / name, destination / name)


def _run_tests(tree: Path, tests) -> tuple[bool, str]:
    """Run ``tests`` (paths relative to the tree) on the tree; return (all passed, summary)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    argv = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p",
            "no:cacheprovider", *tests]
    run = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True,
                         timeout=3600)
    lines = run.stdout.strip().splitlines()
    return run.returncode == 0, (lines[-1] if lines else run.stderr.strip()[-200:])


def _run_checks(tree: Path, claims, out: Path, seed: int) -> dict:
    """Run ``invlin check --quick`` in ``tree``; return {claim id: status} (or raise)."""
    # the derivation cache in the private tree: every mutation is a new source key anyway
    env = dict(os.environ, PYTHONPATH=str(tree), INVLIN_CACHE_DIR=str(tree / ".cache"))
    argv = [sys.executable, "-c", "import sys; from invlin.cli import main; "
            "sys.exit(main(sys.argv[1:]))", "check", "--quick", "--seed", str(seed),
            "--json", str(out)]
    if claims:
        argv += ["--claim", *claims]
    run = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True,
                         timeout=3600)
    if not out.is_file():
        return {"(run)": f"ERROR: {run.stderr.strip().splitlines()[-1:]}"}
    document = json.loads(out.read_text())
    out.unlink()
    return {claim["id"]: claim["status"] for claim in document["claims"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutations")
    parser.add_argument("--all-claims", action="store_true",
                        help="check every claim for every mutation (slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args(argv)
    mutations = [m for m in MUTATIONS if not args.only or m.id in args.only]
    if args.only and len(mutations) != len(args.only):
        print(f"unknown mutation ids: {sorted(set(args.only) - {m.id for m in MUTATIONS})}",
              file=sys.stderr)
        return 2
    if args.list:
        for m in mutations:
            print(f"{m.id:40s} {m.path}: {m.what}")
        return 0
    with tempfile.TemporaryDirectory(prefix="invlin-mutation-") as tmp:
        tree = Path(tmp)
        _copy_tree(tree)
        for m in mutations:  # stale mutations are setup errors, found before any run
            count = (tree / m.path).read_text().count(m.old)
            if count != 1:
                print(f"mutation {m.id}: the text to replace occurs {count} times in {m.path} "
                      "(expected once): update MUTATIONS", file=sys.stderr)
                return 2
            missing = [t for t in m.test_paths() if not (tree / t.split("::")[0]).exists()]
            if missing:
                print(f"mutation {m.id}: no test module {missing}: set Mutation.tests",
                      file=sys.stderr)
                return 2
        out = tree / "results.json"
        claims = sorted({c for m in mutations for c in m.claims})
        start = time.perf_counter()
        baseline = _run_checks(tree, None if args.all_claims else claims, out, args.seed)
        print(f"baseline ({time.perf_counter() - start:.0f} s, includes compiling): "
              f"{sum(s == 'PASS' for s in baseline.values())} of {len(baseline)} claims PASS")
        if any(s != "PASS" for s in baseline.values()):
            print(f"the unmutated tree does not pass: {baseline}", file=sys.stderr)
            return 2
        survivors, by_tests = [], []
        print(f"{'mutation':40s} {'result':17s} {'seconds':>7s}  what noticed it")
        for m in mutations:
            path = tree / m.path
            original = path.read_text()
            path.write_text(original.replace(m.old, m.new))
            try:
                start = time.perf_counter()
                statuses = _run_checks(tree, None if args.all_claims else m.claims, out,
                                       args.seed)
                broken = {cid: s for cid, s in statuses.items() if s != "PASS"}
                if broken:
                    result = "killed by checks"
                    noticed = ", ".join(f"{cid} {s}" for cid, s in broken.items())
                else:
                    passed, summary = _run_tests(tree, m.test_paths())
                    result = "SURVIVED" if passed else "killed by tests"
                    noticed = f"checks all PASS; {' '.join(m.test_paths())}: {summary}"
            finally:
                path.write_text(original)
            if result == "SURVIVED":
                survivors.append(m.id)
            elif result == "killed by tests":
                by_tests.append(m.id)
            print(f"{m.id:40s} {result:17s} {time.perf_counter() - start:7.1f}  {noticed}")
        killed = len(mutations) - len(survivors)
        print(f"\n{killed} of {len(mutations)} mutations killed ({killed - len(by_tests)} by "
              f"the checks, {len(by_tests)} by the tests), {len(survivors)} survived"
              + (f": {survivors}" if survivors else ""))
        return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
