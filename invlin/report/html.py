"""report.html: one self-contained file (figures and formulas embedded as base64 PNG).

The page opens with the verdict (the statements in words, grouped), then the summary table,
the claims (symbolic evidence as labelled steps, numeric evidence, figures), the studies and
the run record, with a table of contents. Formulas are rendered to images by matplotlib's
mathtext (:mod:`invlin.report.latex`), so the page needs no internet; a formula mathtext cannot
parse is shown as LaTeX source. The layout fits a 1400-px window: wide tables scroll inside
their own box, images shrink to the column, code wraps.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from invlin.report import verdicts
from invlin.report.latex import render_data_uri
from invlin.report.tables import evidence_rows, format_number, run_rows

_CSS = """
*{box-sizing:border-box}
body{font-family:sans-serif;margin:0;color:#222;line-height:1.4}
main{max-width:1180px;margin:0 auto;padding:0.5em 1.5em 3em;overflow-wrap:break-word}
h1{margin:0.6em 0 0.2em}h2{border-bottom:1px solid #ddd;padding-bottom:0.15em;margin-top:1.6em}
nav.toc{font-size:0.9em;background:#f6f6f6;padding:0.4em 0.8em;border-radius:4px}
nav.toc a{margin-right:0.9em}nav.toc details{margin-top:0.3em}
.box{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:0.5em 0 1em}
td,th{border:1px solid #ccc;padding:3px 6px;font-size:0.88em;vertical-align:top;
overflow-wrap:break-word}th{background:#f3f3f3;text-align:left;white-space:nowrap}
.PASS{color:#176b00;font-weight:bold}.FAIL{color:#b00000;font-weight:bold}
.ERROR{color:#b00060;font-weight:bold}.SKIP{color:#8a6d00;font-weight:bold}.OK{color:#176b00}
.v{font-weight:bold;padding:0 4px;border-radius:3px;white-space:nowrap}
.v-refuted{background:#fbe3e3}.v-first-order{background:#fdf1d6}
.v-not-applicable{background:#e8e8e8}.v-holds{background:#e2f3dc}.v-none{background:#eee}
ul.verdict{padding-left:1.2em;margin:0.3em 0 0.8em}ul.verdict li{margin:0.35em 0}
.src{font-size:0.8em;color:#555;border:1px solid #bbb;border-radius:3px;padding:0 3px}
.more{font-size:0.92em;color:#333}
pre,code{white-space:pre-wrap;overflow-wrap:anywhere}
pre{background:#f6f6f6;padding:0.5em;font-size:0.85em}
img{max-width:100%;height:auto}
figure{display:inline-block;margin:0.5em 0.5em 0.5em 0;vertical-align:top;max-width:100%}
figcaption{font-size:0.85em;max-width:640px}
ol.steps{padding-left:1.6em}ol.steps li{margin:0.25em 0}
.role{font-size:0.8em;padding:0 3px;border-radius:3px;margin-right:0.3em}
.role-supports{background:#e2f3dc}.role-contradicts{background:#fbe3e3}
.role-context{background:#eee}
.formula{display:block;margin:0.1em 0 0.2em 0.5em}
img.math{vertical-align:middle}
"""


def _e(value) -> str:
    return html.escape(format_number(value))


def _math(latex: str) -> str:
    uri = render_data_uri(latex)
    if uri is None:
        return f"<code>{html.escape(latex)}</code>"
    return f'<img class="math" alt="{html.escape(latex)}" src="{uri}">'


def _formula(latex: str) -> str:
    note = verdicts.too_long(latex)
    return f"<i>{html.escape(note)}</i>" if note else _math(latex)


def _table(columns, rows) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<div class='box'><table><tr>{head}</tr>{body}</table></div>"


def _figure(root: Path, figure: dict) -> str:
    path = root / figure["file"]
    if not path.is_file():
        return f"<p>(figure {html.escape(figure['file'])} missing)</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure id="fig-{html.escape(_slug(figure["file"]))}">'
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(figure["caption"])}">'
            f"<figcaption>{html.escape(figure['caption'])}</figcaption></figure>")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower())


def _verdict_badge(claim: dict) -> str:
    category = verdicts.category_of(claim)
    return (f"<span class='v v-{category or 'none'}'>"
            f"{html.escape(verdicts.heading(category))}</span>")


def _status(status: str) -> str:
    return f"<span class='{status}'>{status}</span>"


def html_report(document: dict, root) -> str:
    """The HTML page of a results document; figure files are read from ``root`` and embedded."""
    root = Path(root)
    s = document["summary"]
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>invlin report</title><style>{_CSS}</style></head><body><main>",
             "<h1>invlin theorem-check report</h1>"]
    parts.append("<p>Checks: " + ", ".join(f"<span class='{k}'>{v} {k}</span>"
                                           for k, v in s.items())
                 + f" of {len(document['claims'])} claims. Verdicts: "
                 + ", ".join(f"{n} {html.escape(title.lower())}"
                             for title, n in verdicts.counts(document)) + ".</p>")
    parts.append(_contents(document))
    parts.append(_verdict_section(document))
    parts.append("<h2 id='summary'>Summary</h2>" + _table(
        verdicts.summary_columns(),
        [[f"<a href='#{c['id']}'>{html.escape(c['id'])}</a>", html.escape(c["title"]),
          _verdict_badge(c), _status(c["status"]), _e(verdicts.worst_cell(c)),
          _e(c["seconds"]), _e(c.get("symbolic_source", "derived"))]
         for c in document["claims"]]))
    parts.append(f"<p>Reproduce with: <code>{html.escape(document['command'])}</code></p>")
    parts.append("<h2 id='claims'>Claims</h2>")
    parts += [_claim(root, claim) for claim in document["claims"]]
    if document["studies"]:
        parts.append("<h2 id='studies'>Studies</h2>")
        parts += [_study(root, study) for study in document["studies"]]
    rows = run_rows(document)
    parts.append("<h2 id='run'>Run</h2>" + _table(["setting", "value"],
                                                  [[_e(a), _e(b)] for a, b in rows]))
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _contents(document: dict) -> str:
    top = ["<a href='#verdict'>Verdict</a>", "<a href='#summary'>Summary</a>",
           "<a href='#claims'>Claims</a>"]
    if document["studies"]:
        top.append("<a href='#studies'>Studies</a>")
    top.append("<a href='#run'>Run</a>")
    claims = " ".join(f"<a href='#{c['id']}'>{html.escape(c['id'])}</a>"
                      for c in document["claims"])
    studies = " ".join(f"<a href='#study-{s['name']}'>{html.escape(s['name'])}</a>"
                       for s in document["studies"])
    out = "<nav class='toc'><b>Contents:</b> " + " ".join(top)
    out += f"<details><summary>claims ({len(document['claims'])})</summary>{claims}</details>"
    if studies:
        out += (f"<details><summary>studies ({len(document['studies'])})</summary>"
                f"{studies}</details>")
    return out + "</nav>"


def _verdict_section(document: dict) -> str:
    out = ["<section id='verdict'><h2>Verdict</h2>",
           "<p class='more'>The paper's statements (<span class='src'>paper</span>) and this "
           "project's (<span class='src'>ours</span>), in words. The <b>verdict</b> is what the "
           "derivation says about the statement; the <b>status</b> is whether this run's checks "
           "confirm it: <span class='PASS'>PASS</span> under <i>Refuted</i> means the checks "
           "confirm the refutation, <span class='FAIL'>FAIL</span> means a check failed.</p>"]
    for category, title, explanation, members in verdicts.grouped(document):
        out.append(f"<h3 id='verdict-{category or 'none'}'><span class='v v-{category or 'none'}'>"
                   f"{html.escape(title)}</span> ({len(members)})</h3>"
                   f"<p class='more'><i>{html.escape(explanation)}</i></p><ul class='verdict'>")
        out += [_verdict_line(document, claim) for claim in members]
        out.append("</ul>")
    studies = verdicts.studies_line(document)
    if studies:
        out.append(f"<h3 id='verdict-studies'>Studies ({len(studies)})</h3><ul class='verdict'>"
                   + "".join(f"<li><a href='#study-{name}'>{html.escape(title)}</a>: "
                             f"{_status(status)}, {html.escape(checks)}.</li>"
                             for name, title, status, checks in studies) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def _verdict_line(document: dict, claim: dict) -> str:
    verdict = claim.get("verdict") or {}
    meaning = verdicts.STATUS_MEANING.get(claim["status"], claim["status"])
    statement = verdict.get("statement") or claim["statement"]
    out = (f"<li><b>{html.escape(statement)}</b> <span class='src'>"
           f"{html.escape(verdicts.source(claim))}</span> "
           f"{html.escape(verdict.get('reason', ''))} {_status(claim['status'])}: "
           f"{html.escape(meaning)}. <a href='#{claim['id']}'>{html.escape(claim['id'])}</a>")
    extra = []
    if verdict.get("breaks_at"):
        size = verdicts.measured_size(claim)
        extra.append(f"Breaks at order {html.escape(verdict['breaks_at'])}; measured: "
                     + html.escape(size or "see the claim's numeric evidence") + ".")
    if verdict.get("counterexample"):
        extra.append(f"Counterexample: {html.escape(verdict['counterexample'])}")
        figures = claim.get("figures", [])
        extra.append("Figure: " + (", ".join(
            f"<a href='#fig-{html.escape(_slug(f['file']))}'>{html.escape(f['file'])}</a>"
            for f in figures) if figures else "none recorded for this claim") + ".")
    support = verdicts.study_support(document, claim["id"])
    if support:
        extra.append("Studies: " + ", ".join(
            f"<a href='#study-{name}'>{html.escape(name)}</a> {passed}/{n} checks passed"
            for name, passed, n in support) + ".")
    if extra:
        out += "<br><span class='more'>" + " ".join(extra) + "</span>"
    return out + "</li>"


def _claim(root: Path, claim: dict) -> str:
    out = [f"<section id='{claim['id']}'><h3>{html.escape(claim['id'])}: "
           f"{html.escape(claim['title'])}</h3>",
           f"<p>{_verdict_badge(claim)} {_status(claim['status'])} - "
           f"{html.escape(claim['reason'])}</p>"]
    if claim["statement"]:
        out.append(f"<p>{html.escape(claim['statement'])}</p>")
    if claim["latex"]:
        out.append(f"<p>{_math(claim['latex'])}</p>")
    if claim["assumptions"]:
        out.append("<p>Assumptions:</p><ul>"
                   + "".join(f"<li>{html.escape(a)}</li>" for a in claim["assumptions"]) + "</ul>")
    out.append(f"<h4>Symbolic evidence: {_e(claim['symbolic_status'])} "
               f"(expected {_e(claim['expected_status'])})</h4>")
    steps = verdicts.symbolic_steps(claim)
    if steps:
        out.append("<ol class='steps'>" + "".join(
            f"<li><span class='role role-{s['role']}'>{s['role']}</span>"
            f"<span class='label'>{html.escape(s['label'])}</span>"
            + (f"<span class='formula'>{_formula(s['latex'])}</span>" if s["latex"] else "")
            + "</li>" for s in steps) + "</ol>")
    if claim["symbolic_error"]:
        out.append(f"<pre>{html.escape(claim['symbolic_error'])}</pre>")
    rows = evidence_rows(claim)
    if rows:
        out.append("<h4>Numeric evidence</h4>" + _table(
            ["check", "quantity", "error", "tolerance", "passed", "tolerance reason"],
            [[_e(v) for v in row] for row in rows]))
    for check in claim["checks"]:
        if check["skipped"]:
            out.append(f"<p>{html.escape(check['name'])} skipped: {html.escape(check['skipped'])}</p>")
        if check["error"]:
            out.append(f"<p>{html.escape(check['name'])} raised:</p>"
                       f"<pre>{html.escape(check['error'])}</pre>")
    out += [_figure(root, f) for f in claim.get("figures", [])]
    out.append("</section>")
    return "\n".join(out)


def _study(root: Path, study: dict) -> str:
    out = [f"<section id='study-{study['name']}'><h3>"
           f"{html.escape(study.get('title') or study['name'])} "
           f"<span class='{study['status']}'>({study['status']})</span></h3>"]
    if study.get("description"):
        out.append(f"<p>{html.escape(study['description'])}</p>")
    if study.get("error"):
        out.append(f"<pre>{html.escape(study['error'])}</pre>")
    if study.get("settings"):
        out.append("<p>Settings: " + ", ".join(
            f"{html.escape(str(k))} = <code>{_e(v)}</code>" for k, v in study["settings"].items())
            + "</p>")
    for table in study["tables"]:
        out.append(f"<p><b>{html.escape(table['title'])}</b></p>"
                   + _table(table["columns"], [[_e(v) for v in row] for row in table["rows"]]))
    if study["checks"]:
        out.append(_table(["claim", "quantity", "error", "tolerance", "passed", "reason"],
                          [[_e(c["claim"]), _e(c["quantity"]), _e(c["error"]), _e(c["tolerance"]),
                            _e(c["passed"]), _e(c["reason"])] for c in study["checks"]]))
    out += [_figure(root, f) for f in study["figures"]]
    out.append("</section>")
    return "\n".join(out)
