"""Report writers: files, self-contained HTML, results.json against docs/results-schema.json."""

import copy
import importlib.util
import json
import pathlib
import sys
import types

import pytest

from invlin.report import write_report
from invlin.report.latex import render_data_uri, render_png
from invlin.report.schema import load_schema, validate

_spec = importlib.util.spec_from_file_location(
    "verify_fakes", pathlib.Path(__file__).parents[1] / "verify" / "fakes.py")
fakes = sys.modules.setdefault("verify_fakes", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(fakes)


def _fake_study():
    def run(out_dir, *, seed, quick):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.plot([0, 1], [seed, seed + 1])
        fig.savefig(pathlib.Path(out_dir) / "line.png")
        plt.close(fig)
        return {"name": "fake_study", "title": "A fake study", "description": "a line",
                "settings": {"quick": quick}, "seed": seed,
                "tables": [{"title": "t", "columns": ["a", "b"], "rows": [[1, 2.5]]}],
                "figures": [{"file": "line.png", "caption": "a line"}],
                "checks": [{"claim": "good", "quantity": "q", "error": 0.1, "tolerance": 1.0,
                            "reason": "r", "passed": True}]}

    return types.SimpleNamespace(__name__="invlin.studies.fake_study", run=run)


def _broken_study():
    def run(out_dir, *, seed, quick):
        raise RuntimeError("study failure on purpose")

    return types.SimpleNamespace(__name__="invlin.studies.broken", run=run)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    claims, registry = fakes.make_registry()
    out = tmp_path_factory.mktemp("report")
    document = write_report(out, quick=True, seed=2, jobs=1, command="invlin report --quick",
                            claims=claims, registry=registry,
                            studies=[_fake_study(), _broken_study()], progress=False)
    return out, document


def test_files_written(report):
    out, _ = report
    for name in ("report.md", "report.html", "results.json"):
        assert (out / name).stat().st_size > 0
    assert (out / "studies" / "fake_study" / "line.png").is_file()
    assert len(list((out / "figures").glob("*.png"))) == 4  # one per fake evidence with a figure


def test_results_validate_against_schema(report):
    out, _ = report
    document = json.loads((out / "results.json").read_text())
    assert validate(document, load_schema()) == []
    assert document["summary"] == {"PASS": 1, "SKIP": 3, "FAIL": 2, "ERROR": 2}
    assert {s["name"]: s["status"] for s in document["studies"]} == {"fake_study": "OK",
                                                                     "broken": "ERROR"}
    versions = document["environment"]["versions"]
    assert {"python", "numpy", "scipy", "sympy", "numba", "matplotlib", "invlin"} <= set(versions)


def test_schema_agrees_with_jsonschema_when_installed(report):
    jsonschema = pytest.importorskip("jsonschema")
    out, _ = report
    jsonschema.validate(json.loads((out / "results.json").read_text()), load_schema())


def test_validator_catches_violations(report):
    _, document = report
    schema = load_schema()
    broken = copy.deepcopy(document)
    broken["claims"][0]["status"] = "MAYBE"
    del broken["summary"]["PASS"]
    broken["claims"][1]["checks"][0]["evidence"][0]["tolerance"] = -1.0
    broken["extra"] = 1
    errors = validate(json.loads(json.dumps(broken)), schema)
    assert any("claims[0].status" in e for e in errors)
    assert any("missing required property 'PASS'" in e for e in errors)
    assert any("minimum" in e for e in errors)
    assert any("unexpected property 'extra'" in e for e in errors)


def test_validator_refuses_unsupported_keywords():
    with pytest.raises(ValueError, match="unsupported"):
        validate({}, {"type": "object", "oneOf": []})


def test_html_is_self_contained(report):
    out, _ = report
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "src=\"http" not in html and "src='http" not in html and "<script" not in html
    assert "study failure on purpose" in html  # a broken study is shown, not hidden
    assert "ZeroDivisionError" in html  # so is a numeric check's traceback


def test_markdown_has_every_claim_and_the_command(report):
    out, document = report
    text = (out / "report.md").read_text()
    for claim in document["claims"]:
        assert f"## {claim['id']}" in text
    assert "invlin report --quick" in text
    assert "![" in text


def test_latex_rendering_and_fallback():
    assert render_png(r"k = \frac{a + \sqrt{a^2 + 2c/s^2}}{2}").startswith(b"\x89PNG")
    assert render_data_uri(r"\delta^2").startswith("data:image/png;base64,")
    assert render_png(r"\begin{aligned} x &= 1 \end{aligned}") is None
