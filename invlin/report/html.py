"""report.html: one self-contained file (figures and formulas embedded as base64 PNG).

Formulas are rendered to images by matplotlib's mathtext (:mod:`invlin.report.latex`), so the
page needs no internet; a formula mathtext cannot parse is shown as LaTeX source.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from invlin.report.latex import render_data_uri
from invlin.report.tables import evidence_rows, format_number, run_rows

_CSS = """
body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 6px;
font-size:0.9em;vertical-align:top}th{background:#f3f3f3}
.PASS{color:#176b00;font-weight:bold}.FAIL{color:#b00000;font-weight:bold}
.ERROR{color:#b00060;font-weight:bold}.SKIP{color:#8a6d00;font-weight:bold}.OK{color:#176b00}
pre{background:#f6f6f6;padding:0.5em;overflow-x:auto;font-size:0.85em}
figure{display:inline-block;margin:0.5em;max-width:520px}figcaption{font-size:0.85em}
img.math{vertical-align:middle}
"""


def _e(value) -> str:
    return html.escape(format_number(value))


def _math(latex: str) -> str:
    uri = render_data_uri(latex)
    if uri is None:
        return f"<pre>{html.escape(latex)}</pre>"
    return f'<img class="math" alt="{html.escape(latex)}" src="{uri}">'


def _table(columns, rows) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _figure(root: Path, figure: dict) -> str:
    path = root / figure["file"]
    if not path.is_file():
        return f"<p>(figure {html.escape(figure['file'])} missing)</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" width="500" '
            f'alt="{html.escape(figure["caption"])}"><figcaption>'
            f"{html.escape(figure['caption'])}</figcaption></figure>")


def _latex_strings(value) -> list[str]:
    """LaTeX strings inside a symbolic-evidence dict (values of keys containing 'latex')."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "latex" in str(key).lower() and isinstance(item, str) and item.strip():
                found.append(item)
            else:
                found += _latex_strings(item)
    elif isinstance(value, list):
        for item in value:
            found += _latex_strings(item)
    return found


def html_report(document: dict, root) -> str:
    """The HTML page of a results document; figure files are read from ``root`` and embedded."""
    root = Path(root)
    s = document["summary"]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>invlin report</title>"
             f"<style>{_CSS}</style></head><body><h1>invlin theorem-check report</h1>"]
    parts.append("<p>" + ", ".join(f"<span class='{k}'>{v} {k}</span>" for k, v in s.items())
                 + f" of {len(document['claims'])} claims.</p>")
    parts.append(f"<p>Reproduce with: <code>{html.escape(document['command'])}</code></p>")
    parts.append("<h2>Summary</h2>" + _table(
        ["claim", "status", "symbolic (expected)", "time [s]"],
        [[f"<a href='#{c['id']}'>{html.escape(c['id'])}</a>",
          f"<span class='{c['status']}'>{c['status']}</span>",
          _e(f"{c['symbolic_status']} ({c['expected_status']})"), _e(c["seconds"])]
         for c in document["claims"]]))
    for claim in document["claims"]:
        parts.append(_claim(root, claim))
    if document["studies"]:
        parts.append("<h2>Studies</h2>")
        parts += [_study(root, study) for study in document["studies"]]
    rows = run_rows(document)
    parts.append("<h2>Run</h2>" + _table(["setting", "value"],
                                         [[_e(a), _e(b)] for a, b in rows]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _claim(root: Path, claim: dict) -> str:
    out = [f"<h2 id='{claim['id']}'>{html.escape(claim['id'])}: {html.escape(claim['title'])}</h2>",
           f"<p><span class='{claim['status']}'>{claim['status']}</span> - "
           f"{html.escape(claim['reason'])}</p>"]
    if claim["statement"]:
        out.append(f"<p>{html.escape(claim['statement'])}</p>")
    if claim["latex"]:
        out.append(f"<p>{_math(claim['latex'])}</p>")
    if claim["assumptions"]:
        out.append("<p>Assumptions:</p><ul>"
                   + "".join(f"<li>{html.escape(a)}</li>" for a in claim["assumptions"]) + "</ul>")
    out.append(f"<h3>Symbolic evidence: {_e(claim['symbolic_status'])} "
               f"(expected {_e(claim['expected_status'])})</h3>")
    for latex in _latex_strings(claim["symbolic_evidence"]):
        out.append(f"<p>{_math(latex)}</p>")
    if claim["symbolic_evidence"]:
        out.append("<details><summary>evidence record</summary><pre>"
                   + html.escape(json.dumps(claim["symbolic_evidence"], indent=1)) + "</pre></details>")
    if claim["symbolic_error"]:
        out.append(f"<pre>{html.escape(claim['symbolic_error'])}</pre>")
    rows = evidence_rows(claim)
    if rows:
        out.append("<h3>Numeric evidence</h3>" + _table(
            ["check", "quantity", "error", "tolerance", "passed", "tolerance reason"],
            [[_e(v) for v in row] for row in rows]))
    for check in claim["checks"]:
        if check["skipped"]:
            out.append(f"<p>{html.escape(check['name'])} skipped: {html.escape(check['skipped'])}</p>")
        if check["error"]:
            out.append(f"<p>{html.escape(check['name'])} raised:</p>"
                       f"<pre>{html.escape(check['error'])}</pre>")
    out += [_figure(root, f) for f in claim.get("figures", [])]
    return "\n".join(out)


def _study(root: Path, study: dict) -> str:
    out = [f"<h3>{html.escape(study.get('title') or study['name'])} "
           f"<span class='{study['status']}'>({study['status']})</span></h3>"]
    if study.get("description"):
        out.append(f"<p>{html.escape(study['description'])}</p>")
    if study.get("error"):
        out.append(f"<pre>{html.escape(study['error'])}</pre>")
    if study.get("settings"):
        out.append(f"<p>Settings: <code>{html.escape(json.dumps(study['settings']))}</code></p>")
    for table in study["tables"]:
        out.append(f"<p><b>{html.escape(table['title'])}</b></p>"
                   + _table(table["columns"], [[_e(v) for v in row] for row in table["rows"]]))
    if study["checks"]:
        out.append(_table(["claim", "quantity", "error", "tolerance", "passed", "reason"],
                          [[_e(c["claim"]), _e(c["quantity"]), _e(c["error"]), _e(c["tolerance"]),
                            _e(c["passed"]), _e(c["reason"])] for c in study["checks"]]))
    out += [_figure(root, f) for f in study["figures"]]
    return "\n".join(out)
