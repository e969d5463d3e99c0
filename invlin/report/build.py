"""``invlin report``: verify every claim, run the studies, write the report files."""

from __future__ import annotations

import importlib
import sys
import time
from functools import partial
from pathlib import Path

from invlin._atomic import atomic_directory
from invlin.report.figures import draw_all
from invlin.report.html import html_report
from invlin.report.markdown import markdown_report
from invlin.report.results import results_document, write_json
from invlin.report.studies import available_studies, run_study
from invlin.report.tex import verdict_table
from invlin.progress import ProgressBar
from invlin.verify.runner import claim_tasks


def write_report(out, *, quick: bool = False, seed: int = 0, jobs: int = 1, command: str,
                 claim_ids=None, claims=None, registry=None, studies=None,
                 progress: bool | None = None, executor=None, cache: bool | None = None) -> dict:
    """Write report.md, report.html, results.json, verdict.tex and the PNG figures into ``out``.

    Parameters
    ----------
    out : path
        Report directory. Everything is written into a temporary sibling directory that
        replaces ``out`` only once the report is complete, so an interrupted run never leaves a
        half-written report that looks complete (an existing ``out`` is replaced as a whole).
        Figures go to ``out/figures`` (claims) and ``out/studies/<name>`` (studies).
    quick, seed, jobs, claim_ids, claims, registry, cache
        As in :func:`invlin.verify.verify`.
    command : str
        The shell command that reproduces the report (recorded in it).
    studies : list of modules or None
        Studies to run (default ``invlin.studies.ALL``); ``[]`` runs none.
    executor : invlin.execution.Executor or None
        Runs the claims and the studies (default ``LocalExecutor(jobs)``). The studies write
        their figures under ``out``'s temporary sibling, so the workers must share this file
        system (local processes, a ``local:N`` Dask cluster, or a cluster on a shared disk).

    Returns
    -------
    dict
        The results document also written to ``results.json``.

    Raises
    ------
    invlin._atomic.OutputDirectoryError
        If ``out`` cannot be written (checked before anything runs).
    """
    from invlin.execution import LocalExecutor

    if executor is None:
        executor = LocalExecutor(jobs)
    with atomic_directory(out) as temp:
        start = time.perf_counter()
        modules = available_studies() if studies is None else studies
        claim_func, claim_items = claim_tasks(claim_ids, quick=quick, seed=seed, claims=claims,
                                              registry=registry, cache=cache)
        study_func = partial(_study_task, directory=temp / "studies", seed=seed, quick=quick)
        # each claim's figures are drawn by the worker that checked it, not afterwards here
        claim_func = partial(_claim_task, claim_func, directory=temp / "figures")
        # One pool for both, the studies first (toy2d, the longest task, leads): separate pools
        # would leave a worker idle behind each pool's longest task.
        tasks = ([(study_func, _by_name(module)) for module in modules]
                 + [(claim_func, item) for item in claim_items])
        with ProgressBar(len(tasks), "checking claims, running studies",
                         enabled=progress) as bar:
            results = executor.map(_run_task, tasks,
                                   on_result=lambda index, result: bar.update())
        study_records = results[:len(modules)]
        records = [record for record, _ in results[len(modules):]]
        figures = {claim_id: files for _, drawn in results[len(modules):]
                   for claim_id, files in drawn.items()}
        timings = {"verify_seconds": time.perf_counter() - start}
        for study in study_records:
            timings[f"study_{study['name']}_seconds"] = study["seconds"]
        timings["total_seconds"] = time.perf_counter() - start
        document = results_document(records, command=command, quick=quick, seed=seed,
                                    jobs=executor.workers, claim_ids=claim_ids,
                                    timings=timings, studies=study_records, figures=figures)
        write_json(document, temp / "results.json")
        (temp / "report.md").write_text(markdown_report(document))
        (temp / "report.html").write_text(html_report(document, temp))
        (temp / "verdict.tex").write_text(verdict_table(document))
    return document


def _run_task(task):
    """``func(item)`` of one (func, item) pair: a claim or a study."""
    func, item = task
    return func(item)


def _by_name(module):
    """A study module's importable name (what a remote worker receives), else the module."""
    name = getattr(module, "__name__", None)
    return name if name is not None and sys.modules.get(name) is module else module


def _claim_task(claim_func, item, *, directory: Path) -> tuple:
    """One claim's record (``claim_func(item)``) and its figures, drawn into ``directory``."""
    record = claim_func(item)
    return record, draw_all([record], directory)


def _study_task(module, *, directory: Path, seed: int, quick: bool) -> dict:
    if isinstance(module, str):
        module = importlib.import_module(module)
    return run_study(module, directory, seed=seed, quick=quick)
