"""Command-line wrapper shared by the scripts in ``experiments/``."""

from __future__ import annotations

import argparse
import json
import os
import time

from invlin.studies import load


def main(name: str, argv: list[str] | None = None, **run_options) -> int:
    """Run study ``name`` and write ``<out>/<name>.json`` next to its figures.

    ``run_options`` are passed on to the study's ``run`` (e.g. ``full=True`` for the
    deconvolution study's acceptance run).

    Prints a one-line summary per table row and per check. Exit code 0 when every check of the
    study passed, 1 otherwise.
    """
    study = load(name)
    parser = argparse.ArgumentParser(description=(study.__doc__ or name).strip().splitlines()[0])
    parser.add_argument("--out", default=os.path.join("experiments", "output", name),
                        help="output directory for the JSON record and the PNG figures")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quick", action="store_true",
                        help="reduced settings (seconds; for smoke tests)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    record = study.run(args.out, seed=args.seed, quick=args.quick, **run_options)
    elapsed = time.perf_counter() - start
    path = os.path.join(args.out, f"{name}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2)
    print(f"{record['title']} ({elapsed:.1f} s) -> {path}")
    for table in record["tables"]:
        print(f"\n## {table['title']}")
        print(" | ".join(table["columns"]))
        for row in table["rows"]:
            print(" | ".join(str(cell) for cell in row))
    print("\n## checks")
    for check in record["checks"]:
        status = "PASS" if check["passed"] else "FAIL"
        print(f"{status} {check['claim']}: {check['quantity']} = {_number(check['error'])} "
              f"(tolerance {_number(check['tolerance'])})")
    for figure in record["figures"]:
        print(f"figure {figure['file']}: {figure['caption']}")
    return 0 if all(check["passed"] for check in record["checks"]) else 1


def _number(value) -> str:
    """A check's number for printing (non-finite values are stored as strings)."""
    return f"{value:.3g}" if isinstance(value, (int, float)) else str(value)
