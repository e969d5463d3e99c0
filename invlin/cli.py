"""The ``invlin`` command line: ``check``, ``report``, ``warmup``, ``sweep`` and ``evaluate``.

Exit codes: 0 when every selected claim passes (SKIP counts as not failing), 1 when any claim is
FAIL or ERROR (``sweep``: any ERROR cell), 2 on a usage error (bad option, unknown claim id,
unwritable output directory, bad sweep config, missing optional dependency).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from invlin import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _add_run_options(parser: argparse.ArgumentParser, *, default_jobs: int) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="smaller sample sizes and fewer training steps (tolerances scaled)")
    parser.add_argument("--seed", type=_non_negative_int, default=0, metavar="N",
                        help="seed of all randomness (default: 0)")
    parser.add_argument("--jobs", type=_positive_int, default=default_jobs, metavar="N",
                        help=f"worker processes; results do not depend on it (default: {default_jobs})")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="derive every symbolic result afresh instead of loading it from "
                             "the derivation cache (keyed by the source of theory/), and store "
                             "nothing")
    _add_dask_option(parser)


def _add_dask_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dask", metavar="ADDRESS",
                        help="run on a Dask cluster instead of local processes: a scheduler "
                             "address (tcp://host:8786) or local:N to start N local worker "
                             "processes (needs the extra: pip install 'invlin[dask]')")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invlin",
        description="Check the theory of invertible networks as Bayesian point estimators.",
    )
    parser.add_argument("--version", action="version", version=f"invlin {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check", help="check every claim symbolically and numerically; print a table",
        description="Run each claim's symbolic check and numeric checks. Exit 0 if all selected "
                    "claims pass, 1 if any FAIL or ERROR, 2 on a usage error.")
    _add_run_options(check, default_jobs=_default_jobs())
    check.add_argument("--claim", dest="claims", action="extend", nargs="+", metavar="ID",
                       help="check only these claim ids (repeatable)")
    check.add_argument("--json", metavar="FILE", help="also write the results as JSON "
                       "(schema: docs/results-schema.json)")

    report = commands.add_parser(
        "report", help="write report.md, report.html, results.json, verdict.tex and figures",
        description="Verify every claim, run the studies, and write a Markdown report, a "
                    "self-contained HTML report (both open with the verdict), results.json, "
                    "the verdict table in LaTeX (verdict.tex) and PNG figures.")
    report.add_argument("--out", default="invlin-report", metavar="DIR",
                        help="output directory (default: ./invlin-report)")
    _add_run_options(report, default_jobs=_default_jobs())

    commands.add_parser("warmup", help="compile and cache all Numba kernels and derivations",
                        description="Call every model's kernels once on tiny inputs so that "
                                    "Numba compiles them into its on-disk cache, and derive "
                                    "every claim's symbolic result into the derivation cache.")
    _add_sweep_parser(commands)
    _add_evaluate_parser(commands)
    return parser


def _add_sweep_parser(commands) -> None:
    sweep = commands.add_parser(
        "sweep", help="run a parameter sweep from a TOML config (resumable)",
        description="Train and evaluate every cell of a sweep config (docs/sweeps.md). "
                    "Finished cells are stored in OUT/cells, so a rerun resumes; the table is "
                    "written to OUT/table (table.csv, table.jsonl, figures). Exit 1 if any "
                    "cell is ERROR.")
    sweep.add_argument("config", metavar="CONFIG.toml", help="sweep configuration")
    sweep.add_argument("--out", default="invlin-sweep", metavar="DIR",
                       help="output directory (default: ./invlin-sweep)")
    sweep.add_argument("--jobs", type=_positive_int, default=_default_jobs(), metavar="N",
                       help=f"local worker processes (default: {_default_jobs()})")
    _add_dask_option(sweep)


def _add_evaluate_parser(commands) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="measure a trained inverse against the exact PM and MAP",
        description="Apply INVERSE (module:callable or path/to/file.py:callable; a NumPy batch "
                    "function or a torch.nn.Module) to a test set of a named problem and print "
                    "its distances to the posterior mean, the MAP and the truth.")
    evaluate.add_argument("inverse", metavar="INVERSE", help="module:callable")
    evaluate.add_argument("--problem", required=True, metavar="NAME",
                          help="log-concave, bimodal or gaussian (invlin.named_problems)")
    evaluate.add_argument("--delta", required=True, type=float, metavar="D",
                          help="noise level the inverse was trained for")
    evaluate.add_argument("--n", type=_positive_int, default=2000, metavar="N",
                          help="test points (default: 2000)")
    evaluate.add_argument("--seed", type=_non_negative_int, default=0, metavar="N",
                          help="seed of the test set (default: 0)")
    evaluate.add_argument("--form", choices=("z", "y"), default="z",
                          help="data the inverse receives: z = A^T y (default) or y")
    evaluate.add_argument("--forward", metavar="FORWARD",
                          help="module:callable of the forward map (reports the forward error)")
    evaluate.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")


def _run_options(args) -> list[str]:
    options = ["--quick"] if args.quick else []
    options += [] if args.cache else ["--no-cache"]
    options += ["--dask", args.dask] if args.dask else []
    return options + ["--seed", str(args.seed), "--jobs", str(args.jobs)]


class _UsageError(Exception):
    """An executor that cannot be started (missing extra, bad --dask address)."""


def _executor(args):
    from invlin.execution import make_executor

    try:
        return make_executor(jobs=args.jobs, dask=args.dask)
    except (ImportError, ValueError, OSError) as exc:
        raise _UsageError(str(exc)) from None


def _check(args) -> int:
    from invlin.report.environment import command_line
    from invlin.report.results import results_document, write_json
    from invlin.report.terminal import claims_table
    from invlin.verify.runner import load_claims, select_claims, verify

    claims = load_claims()
    try:
        select_claims(claims, args.claims)
    except ValueError as exc:
        print(f"invlin check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    start = time.perf_counter()
    try:
        with _executor(args) as executor:
            records = verify(args.claims, quick=args.quick, seed=args.seed, jobs=args.jobs,
                             progress=None, executor=executor, cache=args.cache)
    except _UsageError as exc:
        print(f"invlin check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    seconds = time.perf_counter() - start
    print(claims_table(records))
    print(f"total {seconds:.1f}s")
    if args.json:
        argv = ["check", *_run_options(args)] + (["--claim", *args.claims] if args.claims else [])
        document = results_document(records, command=command_line(argv), quick=args.quick,
                                    seed=args.seed, jobs=args.jobs, claim_ids=args.claims,
                                    timings={"total_seconds": seconds, "verify_seconds": seconds})
        print(f"results written to {write_json(document, args.json)}")
    return EXIT_FAILED if any(r.status in ("FAIL", "ERROR") for r in records) else EXIT_OK


def _report(args) -> int:
    from invlin._atomic import OutputDirectoryError
    from invlin.report.build import write_report
    from invlin.report.environment import command_line

    command = command_line(["report", "--out", args.out, *_run_options(args)])
    try:
        with _executor(args) as executor:
            document = write_report(args.out, quick=args.quick, seed=args.seed, jobs=args.jobs,
                                    command=command, progress=None, executor=executor,
                                    cache=args.cache)
    except (OutputDirectoryError, _UsageError) as exc:
        print(f"invlin report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    s = document["summary"]
    for claim in document["claims"]:
        if claim["status"] != "PASS":
            print(f"{claim['status']} {claim['id']}: {claim['reason']}")
    for study in document["studies"]:
        print(f"study {study['name']}: {study['status']} ({study['seconds']:.1f}s)")
    print(f"{s['PASS']} PASS, {s['FAIL']} FAIL, {s['ERROR']} ERROR, {s['SKIP']} SKIP of "
          f"{len(document['claims'])} claims in {document['timings']['total_seconds']:.1f}s")
    print(f"report written to {os.path.join(args.out, 'report.html')} (and report.md, "
          f"results.json, verdict.tex, figures/)")
    failed = s["FAIL"] + s["ERROR"] + sum(st["status"] != "OK" for st in document["studies"])
    return EXIT_FAILED if failed else EXIT_OK


def _warmup(args) -> int:
    from invlin.verify.derivations import fill_cache
    from invlin.warmup import warmup

    start = time.perf_counter()
    for name, seconds in warmup():
        print(f"{name:40s} {seconds:6.2f}s")
    kernels = time.perf_counter() - start
    print(f"kernels compiled and cached in {kernels:.1f}s")
    derived, loaded, directory = fill_cache()
    print(f"symbolic results: {derived} derived, {loaded} already cached, in "
          f"{time.perf_counter() - start - kernels:.1f}s ({directory})")
    return EXIT_OK


def _sweep(args) -> int:
    from invlin._atomic import OutputDirectoryError
    from invlin.sweep import load_config, run

    try:
        config = load_config(args.config)
        with _executor(args) as executor:
            start = time.perf_counter()
            result = run(config, out=args.out, executor=executor, progress=None)
    except (ValueError, OSError, _UsageError) as exc:
        kind = "cannot write" if isinstance(exc, OutputDirectoryError) else "error"
        print(f"invlin sweep: {kind}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"sweep {result.name}: {len(result.rows)} cells ({result.n_computed} computed, "
          f"{result.n_loaded} loaded from {os.path.join(args.out, 'cells')}), "
          f"{result.n_errors} ERROR, {time.perf_counter() - start:.1f}s")
    for row in result.rows:
        if row["status"] == "ERROR":
            print(f"ERROR cell {row['cell']}: {row['error'].strip().splitlines()[-1]}")
    print(f"table written to {os.path.join(args.out, 'table')} (table.csv, table.jsonl)")
    return EXIT_FAILED if result.n_errors else EXIT_OK


def _evaluate(args) -> int:
    import json

    from invlin.evaluation import evaluate
    from invlin.named_problems import named_problem

    try:
        problem = named_problem(args.problem, args.delta)
        inverse = _load_object(args.inverse)
        forward = _load_object(args.forward) if args.forward else None
        found = evaluate(inverse, problem, n=args.n, seed=args.seed, form=args.form,
                         forward=forward)
    except (ImportError, AttributeError, ValueError, TypeError, OSError) as exc:
        print(f"invlin evaluate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"problem {args.problem}, delta={args.delta:g}, {args.n} test points (seed "
          f"{args.seed}), data {args.form}")
    for name, label in (("to_map", "RMS distance to MAP"), ("to_pm", "RMS distance to PM"),
                        ("to_truth", "RMS distance to truth")):
        print(f"{label:28s}{getattr(found, name):.6g} +- {getattr(found, name + '_se'):.2g}")
    print(f"{'RMS PM - MAP (scale)':28s}{found.pm_to_map:.6g}")
    print(f"{'ratio to MAP / to PM':28s}{found.ratio:.4f} +- {found.ratio_se:.2g}")
    if found.forward_error is not None:
        print(f"{'forward error':28s}{found.forward_error:.3g}")
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"problem": args.problem, "delta": args.delta, **found.to_dict()}, file,
                      indent=2)
    return EXIT_OK


def _load_object(spec: str):
    """The object ``attr`` of ``module:attr`` or ``path/to/file.py:attr``."""
    import importlib
    import importlib.util

    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected module:callable or path/to/file.py:callable, got {spec!r}")
    if module_name.endswith(".py"):
        if not os.path.isfile(module_name):
            raise ValueError(f"no such file: {module_name!r}")
        loader_spec = importlib.util.spec_from_file_location(
            os.path.splitext(os.path.basename(module_name))[0], module_name)
        module = importlib.util.module_from_spec(loader_spec)
        loader_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    return {"check": _check, "report": _report, "warmup": _warmup, "sweep": _sweep,
            "evaluate": _evaluate}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
