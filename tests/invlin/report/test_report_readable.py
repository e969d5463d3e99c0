"""The report a referee reads: the verdict first, symbolic steps with their labels, no JSON dumps
in the human-readable files, well-formed HTML that fits a 1400-px window, the LaTeX verdict table.

The report is built from real claims of ``theory.claims`` (one per verdict category, with their
quick numeric checks) and from fake claims whose checks pass or fail on purpose, so that a
refutation the checks confirm (PASS under "Refuted") and a failed check (FAIL) are both present.
"""

import html as html_module
import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys
import types
from html.parser import HTMLParser

import pytest

from invlin.report import verdicts, write_report
from invlin.report.tex import verdict_table
from invlin.verify.registry import CheckRegistry
from theory import claims as theory_claims
from theory.claims import Verdict

_spec = importlib.util.spec_from_file_location(
    "verify_fakes", pathlib.Path(__file__).parents[1] / "verify" / "fakes.py")
fakes = sys.modules.setdefault("verify_fakes", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(fakes)

#: One real claim per verdict category: refuted (expected status refuted), first order only,
#: not applicable, holds.
REAL = {"logdet-inverse-pm-fourth-order": "refuted", "logdet-y-first-order-pm": "first-order",
        "divergence-invertibility": "not-applicable", "approximation-gain": "holds"}
#: Headings of the verdict groups as the report writes them.
HEADINGS = {"refuted": "Refuted", "first-order": "Holds to first order only",
            "not-applicable": "Not applicable", "holds": "Holds"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


def _wide_study():
    """A study with a 30-column table and a long unbroken settings value: without the page's
    overflow rules these make report.html wider than 1400 px."""

    def run(out_dir, *, seed, quick):
        columns = [f"a rather long column heading number {i}" for i in range(30)]
        return {"name": "wide_study", "title": "A wide study", "description": "x" * 600,
                "settings": {"path": "/" + "very-long-directory-name-" * 20},
                "seed": seed, "tables": [{"title": "wide", "columns": columns,
                                          "rows": [[1.23456789] * 30]}],
                "figures": [], "checks": []}

    return types.SimpleNamespace(__name__="invlin.studies.wide_study", run=run)


def _fake_claims():
    """A confirmed refutation (PASS) and a refutation whose numeric check fails (FAIL)."""
    claims, registry = fakes.make_registry()
    by_id = {c.id: c for c in claims}
    chosen = [by_id["good"], by_id["wrong-prediction"]]
    for claim in chosen:
        claim.verdict = Verdict("refuted", "paper", f"statement judged by {claim.id}",
                                "a reason in one sentence.", counterexample="N(1, 1) samples")
    selected = CheckRegistry()
    for claim in chosen:
        for check in registry.checks_for(claim.id):
            selected.register(claim.id)(check.func)
    return chosen, selected


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("readable")
    document = write_report(out, quick=True, seed=0, jobs=1, command="invlin report --quick",
                            claim_ids=list(REAL), studies=[_wide_study()], progress=False)
    return out, document


@pytest.fixture(scope="module")
def fake_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("fakes")
    claims, registry = _fake_claims()
    document = write_report(out, quick=True, seed=0, jobs=1, command="invlin report --quick",
                            claims=claims, registry=registry, studies=[], progress=False)
    return out, document


class _Outline(HTMLParser):
    """Records, for every link to a claim (#id) inside the verdict section, the verdict group
    (the h3 text) it is listed under; and checks that every element is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []
        self.section, self.in_h3, self.group = None, False, None
        self.groups: dict[str, list[str]] = {}
        self.order: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if "id" in attrs and tag in ("section", "h2"):
            self.order.append(attrs["id"])
        if tag == "section":
            self.section = attrs.get("id")
        if tag == "h3" and self.section == "verdict":
            self.in_h3, self.group = True, ""
        if tag == "a" and self.section == "verdict" and self.group is not None:
            href = attrs.get("href", "")
            if href.startswith("#") and not href.startswith("#study-"):
                heading = re.sub(r"\s*\(\d+\)$", "", self.group.strip())  # drop "(count)"
                self.groups.setdefault(heading, []).append(href[1:])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "h3":
            self.in_h3 = False
        if tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.in_h3:
            self.group += data


def _outline(html_text: str) -> _Outline:
    parser = _Outline()
    parser.feed(html_text)
    parser.close()
    return parser


def _group_of(groups: dict, claim_id: str) -> list[str]:
    return [name for name, ids in groups.items() if claim_id in ids]


def _markdown_groups(text: str) -> dict[str, str]:
    """Verdict group heading -> its text, from the '## Verdict' section of report.md."""
    verdict = text.split("\n## Verdict\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^### (.+?) \(\d+\)$", verdict, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_html_opens_with_the_verdict_and_lists_the_refuted_claim_under_refuted(real_report):
    out, _ = real_report
    outline = _outline((out / "report.html").read_text())
    assert outline.order.index("verdict") < outline.order.index("summary")
    assert outline.order.index("verdict") < outline.order.index("logdet-inverse-pm-fourth-order")
    for claim_id, category in REAL.items():
        groups = _group_of(outline.groups, claim_id)
        assert groups == [HEADINGS[category]], (claim_id, groups)


def test_markdown_opens_with_the_verdict_and_lists_the_refuted_claim_under_refuted(real_report):
    out, _ = real_report
    text = (out / "report.md").read_text()
    assert text.index("## Verdict") < text.index("## Summary") < text.index("## Claims")
    groups = _markdown_groups(text)
    for claim_id, category in REAL.items():
        found = [name for name, body in groups.items() if f"](#{claim_id})" in body]
        assert found == [HEADINGS[category]], (claim_id, found)


def test_verdict_lines_carry_the_claims_plain_statement_and_reason(real_report):
    out, _ = real_report
    text = (out / "report.md").read_text()
    refuted = _markdown_groups(text)["Refuted"]
    verdict = theory_claims.get("logdet-inverse-pm-fourth-order").verdict
    assert verdict.statement in refuted and verdict.reason in refuted
    assert verdict.counterexample in refuted
    assert "figures/logdet-inverse-pm-fourth-order-" in refuted  # its figure is linked
    first = _markdown_groups(text)["Holds to first order only"]
    assert "Breaks at order delta^4; measured: RMS" in first


def test_verdict_section_lists_every_study_with_its_status(real_report):
    out, _ = real_report
    groups = _markdown_groups((out / "report.md").read_text())
    assert "[A wide study](#study-wide_study): **OK**, no checks." in groups["Studies"]
    html_text = (out / "report.html").read_text()
    verdict = html_text.split("<section id='verdict'>", 1)[1].split("</section>", 1)[0]
    assert "<a href='#study-wide_study'>A wide study</a>: <span class='OK'>OK</span>" in verdict


def test_confirmed_refutation_and_failed_check_are_told_apart(fake_report):
    out, document = fake_report
    status = {c["id"]: c["status"] for c in document["claims"]}
    assert status == {"good": "PASS", "wrong-prediction": "FAIL"}
    for name, start, end, item in (("report.md", "\n## Verdict\n", "\n## Summary", "\n- "),
                                   ("report.html", "<section id='verdict'>", "</section>",
                                    "</li>")):
        text = (out / name).read_text()
        section = text.split(start, 1)[1].split(end, 1)[0]
        good = section[section.index("statement judged by good"):].split(item, 1)[0]
        bad = section[section.index("statement judged by wrong-prediction"):].split(item, 1)[0]
        assert "checks confirm this verdict" in good and "CHECK FAILED" not in good
        assert "CHECK FAILED" in bad and "checks confirm" not in bad


def test_summary_table_has_verdict_and_status_columns(real_report):
    out, _ = real_report
    text = (out / "report.md").read_text()
    summary = text.split("## Summary", 1)[1].split("## ", 1)[0]
    assert ("| claim | title | verdict | status | worst error / tolerance | time [s] |"
            in summary)
    row = next(line for line in summary.splitlines()
               if line.startswith("| [logdet-inverse-pm-fourth-order]"))
    assert "| Refuted | PASS |" in row


def _theory_steps(claim_id, *, long_formula):
    """(label, formula) of each step of the claim's derivation, from theory itself; formulas
    longer than the report shows are replaced by ``long_formula(latex)``."""
    return [(e.text, e.latex if len(e.latex) <= verdicts.MAX_FORMULA else long_formula(e.latex))
            for e in theory_claims.get(claim_id).check().evidence]


class _Steps(HTMLParser):
    """claim id -> [(label text, formula alt text)] from each claim section's ol.steps."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.section, self.steps, self.span, self.in_formula = None, {}, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs.get("id")
        elif tag == "li" and self.section in REAL and self._in_steps:
            self.steps.setdefault(self.section, []).append(["", None])
        elif tag == "ol":
            self._in_steps = "steps" in (attrs.get("class") or "")
        elif tag == "span" and self.section in REAL and getattr(self, "_in_steps", False):
            self.span = attrs.get("class")
            self.in_formula = self.span == "formula"
        elif tag == "img" and self.in_formula:
            self.steps[self.section][-1][1] = attrs.get("alt")
        elif tag == "code" and self.in_formula:
            self.span = "code"

    def handle_endtag(self, tag):
        if tag == "ol":
            self._in_steps = False
        if tag == "span":
            self.span, self.in_formula = None, False

    def handle_data(self, data):
        if self.span == "label":
            self.steps[self.section][-1][0] += data
        if self.span == "code":
            self.steps[self.section][-1][1] = (self.steps[self.section][-1][1] or "") + data


def test_every_symbolic_step_has_its_label_in_the_html(real_report):
    out, _ = real_report
    parser = _Steps()
    parser._in_steps = False
    parser.feed((out / "report.html").read_text())
    for claim_id in REAL:
        expected = _theory_steps(claim_id, long_formula=lambda latex: None)
        shown = [tuple(step) for step in parser.steps.get(claim_id, [])]
        assert shown == expected, claim_id  # label beside its formula, in derivation order


def test_every_symbolic_step_has_its_label_in_the_markdown(real_report):
    out, _ = real_report
    text = (out / "report.md").read_text()
    for claim_id in REAL:
        section = text.split(f'<a id="{claim_id}"></a>', 1)[1].split("<a id=", 1)[0]
        steps = re.findall(r"^\d+\. \*(?:supports|contradicts|context)\* - (.*)$", section,
                           flags=re.M)
        expected = _theory_steps(claim_id, long_formula=lambda latex: "")
        assert len(steps) == len(expected), claim_id
        for line, (label, latex) in zip(steps, expected):
            if latex:
                assert line == f"{label}: $`{latex}`$"
            else:  # a long residual: the label stays, the formula is in results.json
                assert line.startswith(f"{label}: (formula of ") and "results.json" in line


def _json_values(text: str):
    """Every fenced or inline code span, and every line, that parses as a JSON object/array."""
    candidates = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    candidates += re.findall(r"`([^`\n]+)`", text)
    candidates += text.splitlines()
    found = []
    for candidate in candidates:
        candidate = candidate.strip()
        if candidate[:1] in "{[":
            try:
                value = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(value, (dict, list)) and value:
                found.append(candidate[:80])
    return found


def test_no_json_dump_in_the_markdown(real_report):
    out, _ = real_report
    text = (out / "report.md").read_text()
    assert _json_values(text) == []
    assert '"supports":' not in text and '"latex":' not in text


def test_no_json_dump_in_the_html(real_report):
    out, _ = real_report
    text = (out / "report.html").read_text()
    blocks = re.findall(r"<(?:pre|code)>(.*?)</(?:pre|code)>", text, flags=re.S)
    assert _json_values("\n".join(html_module.unescape(b) for b in blocks)) == []
    assert "&quot;supports&quot;" not in text


@pytest.mark.parametrize("which", ["real_report", "fake_report"])
def test_html_parses_with_every_element_closed(which, request):
    out, _ = request.getfixturevalue(which)
    outline = _outline((out / "report.html").read_text())
    assert outline.errors == []
    assert outline.stack == []


def test_html_has_a_table_of_contents(real_report):
    out, _ = real_report
    text = (out / "report.html").read_text()
    nav = text.split("<nav class='toc'>", 1)[1].split("</nav>", 1)[0]
    for target in ["verdict", "summary", "claims", "studies", "run", *REAL, "study-wide_study"]:
        assert f"href='#{target}'" in nav, target
        assert f"id='{target}'" in text, target


def test_latex_verdict_table(real_report):
    out, _ = real_report
    tex = (out / "verdict.tex").read_text().replace(r"\allowbreak{}", "")
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    refuted = tex.split(r"\textbf{Refuted}", 1)[1].split(r"\textbf{", 1)[0]
    assert r"\texttt{logdet-inverse-pm-fourth-order}" in refuted
    assert "\\texttt{approximation-gain}" in tex.split(r"\textbf{Holds}", 1)[1]
    body = tex.split(r"\endhead", 1)[1].split(r"\bottomrule", 1)[0]
    rows = [line for line in body.splitlines() if line.endswith(r"\\")
            and not line.startswith("\\multicolumn")]
    assert len(rows) == len(REAL)
    for row in rows:  # four cells: every other & of the text is escaped
        assert len(re.findall(r"(?<!\\)&", row)) == 3, row
        assert row.count("{") - row.count(r"\{") == row.count("}") - row.count(r"\}"), row


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed "
                    "(apt-get install texlive-latex-base texlive-latex-recommended)")
def test_latex_verdict_table_compiles(real_report, tmp_path):
    """The real claims' table, plus a claim whose words hold every character LaTeX treats
    specially, compiles with pdflatex."""
    out, document = real_report
    nasty = "50% of {x_j} & #2 cost $3 ~ |y| < 1 > 0 \\ a^b_c p_X^{-1} (A^T A)^{-1} delta^4"
    extra = dict(document["claims"][0], id="nasty-words", status="FAIL",
                 verdict={"category": "refuted", "source": "invlin", "statement": nasty,
                          "reason": nasty, "breaks_at": None, "counterexample": nasty})
    (tmp_path / "verdict.tex").write_text(
        verdict_table(dict(document, claims=document["claims"] + [extra])))
    (tmp_path / "paper.tex").write_text(
        "\\documentclass{article}\\usepackage{booktabs,longtable}\\begin{document}"
        "\\input{verdict}\\end{document}\n")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                             "paper.tex"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 0


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _headless(binary, profile, *args):
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,2000", *args],
        capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed "
                    "(apt-get install chromium)")
def test_page_fits_a_1400_px_window_in_chromium(real_report, tmp_path):
    out, _ = real_report
    binary = _chromium()
    shot = tmp_path / "first-screen.png"
    _headless(binary, tmp_path / "profile-shot", f"--screenshot={shot}",
              (out / "report.html").as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the report has no script; a copy with one writes the page's width into the DOM
    probe = tmp_path / "probe.html"
    probe.write_text((out / "report.html").read_text().replace(
        "</body>", "<script>window.addEventListener('load', () => {document.body.setAttribute("
                   "'data-scroll-width', document.documentElement.scrollWidth);});</script>"
                   "</body>"))
    dom = _headless(binary, tmp_path / "profile-dom", "--dump-dom", probe.as_uri()).stdout
    width = re.search(r'data-scroll-width="(\d+)"', dom)
    assert width is not None, dom[-500:]
    assert int(width.group(1)) <= 1400
