"""report.md: the report as Markdown (LaTeX in $$...$$, figures as relative image links)."""

from __future__ import annotations

import json

from invlin.report.tables import evidence_rows, format_number, run_rows


def _table(columns, rows) -> list[str]:
    def cell(value) -> str:
        return format_number(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def markdown_report(document: dict) -> str:
    """The Markdown text of a results document (see :func:`invlin.report.results_document`)."""
    s = document["summary"]
    out = ["# invlin theorem-check report", ""]
    out += [f"**{s['PASS']} PASS, {s['FAIL']} FAIL, {s['ERROR']} ERROR, {s['SKIP']} SKIP** "
            f"of {len(document['claims'])} claims.", ""]
    out += ["Reproduce with:", "", "```", document["command"], "```", ""]
    out += ["## Summary", ""]
    out += _table(["claim", "status", "symbolic (expected)", "worst error / tolerance", "time [s]"],
                  [[f"[{c['id']}](#{c['id']})", c["status"],
                    f"{c['symbolic_status']} ({c['expected_status']})", _worst(c), c["seconds"]]
                   for c in document["claims"]])
    out.append("")
    for claim in document["claims"]:
        out += _claim_section(claim)
    if document["studies"]:
        out += ["## Studies", ""]
        for study in document["studies"]:
            out += _study_section(study)
    out += ["## Run", ""]
    out += _table(["setting", "value"], run_rows(document))
    out.append("")
    return "\n".join(out)


def _worst(claim: dict) -> str:
    ratios = [(e["error"] / e["tolerance"]) if (e["error"] is not None and e["tolerance"] > 0)
              else (0.0 if e["error"] == 0 else float("inf"))
              for c in claim["checks"] for e in c["evidence"]]
    return f"{max(ratios):.3g}" if ratios else "-"


def _claim_section(claim: dict) -> list[str]:
    out = [f'<a id="{claim["id"]}"></a>', "", f"## {claim['id']}: {claim['title']}", "",
           f"**Status: {claim['status']}** - {claim['reason']}", ""]
    if claim["statement"]:
        out += [claim["statement"], ""]
    if claim["latex"]:
        out += ["$$", claim["latex"], "$$", ""]
    if claim["assumptions"]:
        out += ["Assumptions:", ""] + [f"- {a}" for a in claim["assumptions"]] + [""]
    out += [f"Symbolic check: **{claim['symbolic_status']}** (expected {claim['expected_status']})",
            ""]
    evidence = claim["symbolic_evidence"]
    if evidence:
        out += ["```", json.dumps(evidence, indent=1)[:4000], "```", ""]
    if claim["symbolic_error"]:
        out += ["Symbolic check raised:", "", "```", claim["symbolic_error"], "```", ""]
    rows = evidence_rows(claim)
    if rows:
        out += ["Numeric evidence:", ""]
        out += _table(["check", "quantity", "error", "tolerance", "passed", "tolerance reason"],
                      rows)
        out.append("")
    for check in claim["checks"]:
        if check["skipped"]:
            out += [f"- `{check['name']}` skipped: {check['skipped']}"]
        if check["error"]:
            out += [f"`{check['name']}` raised:", "", "```", check["error"], "```", ""]
    for figure in claim.get("figures", []):
        out += [f"![{figure['caption']}]({figure['file']})", "", f"*{figure['caption']}*", ""]
    return out


def _study_section(study: dict) -> list[str]:
    out = [f"### {study.get('title') or study['name']} ({study['status']})", ""]
    if study.get("description"):
        out += [study["description"], ""]
    if study.get("error"):
        out += ["```", study["error"], "```", ""]
    if study.get("settings"):
        out += ["Settings: `" + json.dumps(study["settings"]) + "`", ""]
    for table in study["tables"]:
        out += [f"**{table['title']}**", ""] + _table(table["columns"], table["rows"]) + [""]
    if study["checks"]:
        out += _table(["claim", "quantity", "error", "tolerance", "passed", "reason"],
                      [[c["claim"], c["quantity"], c["error"], c["tolerance"], c["passed"],
                        c["reason"]] for c in study["checks"]]) + [""]
    for figure in study["figures"]:
        out += [f"![{figure['caption']}]({figure['file']})", "", f"*{figure['caption']}*", ""]
    return out
