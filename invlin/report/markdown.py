"""report.md: the report as Markdown (LaTeX in $...$, figures as relative image links).

The verdict comes first, then the summary table, the claims (statement, symbolic evidence as
labelled steps, numeric evidence, figures), the studies and the run record. No JSON dumps: the
machine-readable record is results.json.
"""

from __future__ import annotations

from invlin.report import verdicts
from invlin.report.tables import evidence_rows, format_number, run_rows


def _table(columns, rows) -> list[str]:
    def cell(value) -> str:
        return format_number(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _anchor(name: str) -> str:
    return f'<a id="{name}"></a>'


def markdown_report(document: dict) -> str:
    """The Markdown text of a results document (see :func:`invlin.report.results_document`)."""
    s = document["summary"]
    out = ["# invlin theorem-check report", ""]
    out += [f"Checks: **{s['PASS']} PASS, {s['FAIL']} FAIL, {s['ERROR']} ERROR, {s['SKIP']} "
            f"SKIP** of {len(document['claims'])} claims. Verdicts: "
            + ", ".join(f"{n} {title.lower()}" for title, n in verdicts.counts(document)) + ".",
            ""]
    out += _contents(document)
    out += _verdict_section(document)
    out += [_anchor("summary"), "", "## Summary", ""]
    out += _table(verdicts.summary_columns(),
                  [[f"[{c['id']}](#{c['id']})"] + verdicts.summary_row(c)[1:]
                   for c in document["claims"]])
    out += ["", "Reproduce with:", "", "```", document["command"], "```", ""]
    out += [_anchor("claims"), "", "## Claims", ""]
    for claim in document["claims"]:
        out += _claim_section(claim)
    if document["studies"]:
        out += [_anchor("studies"), "", "## Studies", ""]
        for study in document["studies"]:
            out += _study_section(study)
    out += [_anchor("run"), "", "## Run", ""]
    out += _table(["setting", "value"], run_rows(document))
    out.append("")
    return "\n".join(out)


def _contents(document: dict) -> list[str]:
    out = ["Contents: [Verdict](#verdict) · [Summary](#summary) · [Claims](#claims)"]
    if document["studies"]:
        out[0] += " · [Studies](#studies)"
    out[0] += " · [Run](#run)"
    return out + [""]


def _verdict_section(document: dict) -> list[str]:
    out = [_anchor("verdict"), "", "## Verdict", "",
           "The paper's statements (*paper*) and this project's (*ours*), in words. **Verdict** "
           "is what the derivation says about the statement; **status** is whether this run's "
           "checks confirm it (PASS under *Refuted* means the checks confirm the refutation; "
           "FAIL means a check failed).", ""]
    for _, title, explanation, members in verdicts.grouped(document):
        out += [f"### {title} ({len(members)})", "", f"*{explanation}*", ""]
        for claim in members:
            out += _verdict_line(document, claim)
        out.append("")
    studies = verdicts.studies_line(document)
    if studies:
        out += [f"### Studies ({len(studies)})", ""]
        out += [f"- [{title}](#study-{name}): **{status}**, {checks}."
                for name, title, status, checks in studies] + [""]
    return out


def _verdict_line(document: dict, claim: dict) -> list[str]:
    verdict = claim.get("verdict") or {}
    meaning = verdicts.STATUS_MEANING.get(claim["status"], claim["status"])
    statement = verdict.get("statement") or claim["statement"]
    line = (f"- **{statement}** ({verdicts.source(claim)}) {verdict.get('reason', '')} "
            f"Status **{claim['status']}**: {meaning}. [{claim['id']}](#{claim['id']})")
    extra = []
    if verdict.get("breaks_at"):
        size = verdicts.measured_size(claim)
        extra.append(f"Breaks at order {verdict['breaks_at']}; measured: "
                     + (size or "see the claim's numeric evidence") + ".")
    if verdict.get("counterexample"):
        extra.append(f"Counterexample: {verdict['counterexample']}")
        figures = claim.get("figures", [])
        extra.append("Figure: " + (", ".join(f"[{f['file']}]({f['file']})" for f in figures)
                                   if figures else "none recorded for this claim") + ".")
    support = verdicts.study_support(document, claim["id"])
    if support:
        extra.append("Studies: " + ", ".join(f"[{name}](#study-{name}) {passed}/{n} checks "
                                             "passed" for name, passed, n in support) + ".")
    return [line] + [f"  {text}" for text in extra]


def _claim_section(claim: dict) -> list[str]:
    verdict = verdicts.heading(verdicts.category_of(claim))
    out = [_anchor(claim["id"]), "", f"### {claim['id']}: {claim['title']}", "",
           f"**Verdict: {verdict}** · **Status: {claim['status']}** - {claim['reason']}", ""]
    if claim["statement"]:
        out += [claim["statement"], ""]
    if claim["latex"]:
        out += ["$$", claim["latex"], "$$", ""]
    if claim["assumptions"]:
        out += ["Assumptions:", ""] + [f"- {a}" for a in claim["assumptions"]] + [""]
    out += [f"Symbolic check: **{claim['symbolic_status']}** (expected "
            f"{claim['expected_status']}). Steps, in the order of the derivation:", ""]
    for number, step in enumerate(verdicts.symbolic_steps(claim), 1):
        formula = (f" {verdicts.too_long(step['latex']) or '$`' + step['latex'] + '`$'}"
                   if step["latex"] else "")
        out.append(f"{number}. *{step['role']}* - {step['label']}:{formula}")
    out.append("")
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
    out = [_anchor(f"study-{study['name']}"), "",
           f"### {study.get('title') or study['name']} ({study['status']})", ""]
    if study.get("description"):
        out += [study["description"], ""]
    if study.get("error"):
        out += ["```", study["error"], "```", ""]
    if study.get("settings"):
        out += ["Settings: " + ", ".join(f"{k} = `{format_number(v)}`"
                                         for k, v in study["settings"].items()), ""]
    for table in study["tables"]:
        out += [f"**{table['title']}**", ""] + _table(table["columns"], table["rows"]) + [""]
    if study["checks"]:
        out += _table(["claim", "quantity", "error", "tolerance", "passed", "reason"],
                      [[c["claim"], c["quantity"], c["error"], c["tolerance"], c["passed"],
                        c["reason"]] for c in study["checks"]]) + [""]
    for figure in study["figures"]:
        out += [f"![{figure['caption']}]({figure['file']})", "", f"*{figure['caption']}*", ""]
    return out
