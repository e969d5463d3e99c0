"""Wall time of a 200-cell sweep on 1 and on 2 Dask workers (a LocalCluster on this machine).

Run: ``python benchmarks/bench_sweep_scaling.py [--config examples/sweeps/scaling.toml]
[--workers 1 2 2 1] [--json PATH]`` (needs the extra: ``pip install "invlin[dask]"``).

For each worker count N a ``distributed.LocalCluster`` of N single-threaded worker processes is
started (its start-up, including every worker's Numba warm-up, is timed separately), the whole
sweep runs without a result store (every cell is computed), and the cluster is stopped. The runs
are side by side in one process, one after the other, in the order given (the default
1, 2, 2, 1 balances a drifting background load). Reported: wall times, the speed-up
T_1 / T_N and the scaling efficiency T_1 / (N T_N) from the median time per worker count, the
load average before and after each run
(on a machine shared with other jobs, a load above the core count means the workers wait for
cores, which lowers the efficiency), and whether the tables are identical (timing columns
aside).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import time

CONFIG = pathlib.Path(__file__).parents[1] / "examples" / "sweeps" / "scaling.toml"


def measure(config, workers: int) -> tuple[dict, list]:
    from invlin.execution import DaskExecutor
    from invlin.sweep import deterministic_part, run

    start = time.perf_counter()
    with DaskExecutor(f"local:{workers}") as executor:
        startup = time.perf_counter() - start
        load_before = os.getloadavg()
        start = time.perf_counter()
        result = run(config, executor=executor, progress=False, figures=False)
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()
    return ({"workers": workers, "cells": len(result.rows), "errors": result.n_errors,
             "startup_seconds": startup, "sweep_seconds": seconds,
             "cell_seconds_sum": sum(r["seconds"] for r in result.rows),
             "load_average_before": load_before, "load_average_after": load_after},
            deterministic_part(result.rows))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(CONFIG))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 2, 1])
    parser.add_argument("--json", help="write the results to this JSON file")
    args = parser.parse_args(argv)
    from invlin.sweep import load_config

    config = load_config(args.config)
    report = {"config": args.config, "cells": len(config), "cpu_count": os.cpu_count(),
              "runs": []}
    tables = []
    for workers in args.workers:
        run_report, table = measure(config, workers)
        report["runs"].append(run_report)
        tables.append(table)
        print(json.dumps(run_report), flush=True)
    median = {w: statistics.median(r["sweep_seconds"] for r in report["runs"]
                                   if r["workers"] == w) for w in args.workers}
    base = min(median)
    report["median_sweep_seconds"] = median
    report["speedup"] = {w: median[base] / median[w] for w in median}
    report["efficiency"] = {w: report["speedup"][w] * base / w for w in median}
    report["tables_identical"] = all(t == tables[0] for t in tables)
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(report, file, indent=2)
    return report


if __name__ == "__main__":
    main()
