"""The ``invlin`` command line: ``check``, ``report`` and ``warmup``.

Exit codes: 0 when every selected claim passes (SKIP counts as not failing), 1 when any claim is
FAIL or ERROR, 2 on a usage error (bad option, unknown claim id).
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
        "report", help="write report.md, report.html, results.json and figures",
        description="Verify every claim, run the studies, and write a Markdown report, a "
                    "self-contained HTML report, results.json and PNG figures.")
    report.add_argument("--out", default="invlin-report", metavar="DIR",
                        help="output directory (default: ./invlin-report)")
    _add_run_options(report, default_jobs=_default_jobs())

    warm = commands.add_parser("warmup", help="compile and cache all Numba kernels",
                               description="Call every model's kernels once on tiny inputs so "
                                           "that Numba compiles them into its on-disk cache.")
    warm.add_argument("--parallel", action="store_true",
                      help="also compile the parallel drivers (used only for large batches)")
    return parser


def _run_options(args) -> list[str]:
    options = ["--quick"] if args.quick else []
    return options + ["--seed", str(args.seed), "--jobs", str(args.jobs)]


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
    records = verify(args.claims, quick=args.quick, seed=args.seed, jobs=args.jobs,
                     claims=claims, progress=None)
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
    from invlin.report.build import write_report
    from invlin.report.environment import command_line

    command = command_line(["report", "--out", args.out, *_run_options(args)])
    document = write_report(args.out, quick=args.quick, seed=args.seed, jobs=args.jobs,
                            command=command, progress=None)
    s = document["summary"]
    for claim in document["claims"]:
        if claim["status"] != "PASS":
            print(f"{claim['status']} {claim['id']}: {claim['reason']}")
    for study in document["studies"]:
        print(f"study {study['name']}: {study['status']} ({study['seconds']:.1f}s)")
    print(f"{s['PASS']} PASS, {s['FAIL']} FAIL, {s['ERROR']} ERROR, {s['SKIP']} SKIP of "
          f"{len(document['claims'])} claims in {document['timings']['total_seconds']:.1f}s")
    print(f"report written to {os.path.join(args.out, 'report.html')} (and report.md, "
          f"results.json, figures/)")
    failed = s["FAIL"] + s["ERROR"] + sum(st["status"] != "OK" for st in document["studies"])
    return EXIT_FAILED if failed else EXIT_OK


def _warmup(args) -> int:
    from invlin.verify.warmup import warmup

    start = time.perf_counter()
    for name, seconds in warmup(parallel=args.parallel):
        print(f"{name:40s} {seconds:6.2f}s")
    print(f"kernels compiled and cached in {time.perf_counter() - start:.1f}s")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    return {"check": _check, "report": _report, "warmup": _warmup}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
