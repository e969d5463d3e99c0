"""``invlin report``: verify every claim, run the studies, write the report files."""

from __future__ import annotations

import time
from pathlib import Path

from invlin.report.figures import draw_all
from invlin.report.html import html_report
from invlin.report.markdown import markdown_report
from invlin.report.results import results_document, write_json
from invlin.report.studies import available_studies, run_study
from invlin.verify.runner import verify


def write_report(out, *, quick: bool = False, seed: int = 0, jobs: int = 1, command: str,
                 claim_ids=None, claims=None, registry=None, studies=None,
                 progress: bool | None = None) -> dict:
    """Write report.md, report.html, results.json and the PNG figures into ``out``.

    Parameters
    ----------
    out : path
        Report directory (created). Figures go to ``out/figures`` (claims) and
        ``out/studies/<name>`` (studies).
    quick, seed, jobs, claim_ids, claims, registry
        Passed to :func:`invlin.verify.verify`.
    command : str
        The shell command that reproduces the report (recorded in it).
    studies : list of modules or None
        Studies to run (default ``invlin.studies.ALL``); ``[]`` runs none.

    Returns
    -------
    dict
        The results document also written to ``results.json``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    records = verify(claim_ids, quick=quick, seed=seed, jobs=jobs, claims=claims,
                     registry=registry, progress=progress)
    verify_seconds = time.perf_counter() - start
    figures = draw_all(records, out / "figures")
    figure_seconds = time.perf_counter() - start - verify_seconds
    study_start = time.perf_counter()
    study_records = [run_study(module, out / "studies", seed=seed, quick=quick)
                     for module in (available_studies() if studies is None else studies)]
    timings = {"verify_seconds": verify_seconds, "figures_seconds": figure_seconds,
               "studies_seconds": time.perf_counter() - study_start}
    for study in study_records:
        timings[f"study_{study['name']}_seconds"] = study["seconds"]
    timings["total_seconds"] = time.perf_counter() - start
    document = results_document(records, command=command, quick=quick, seed=seed, jobs=jobs,
                                claim_ids=claim_ids, timings=timings, studies=study_records,
                                figures=figures)
    write_json(document, out / "results.json")
    (out / "report.md").write_text(markdown_report(document))
    (out / "report.html").write_text(html_report(document, out))
    return document
