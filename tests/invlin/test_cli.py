"""``invlin check`` / ``report`` / ``warmup``: exit codes 0/1/2, JSON output, report files."""

import importlib.util
import json
import pathlib
import sys

import pytest

from invlin import cli
from invlin.report.schema import load_schema, validate
from invlin.verify import runner

_spec = importlib.util.spec_from_file_location(
    "verify_fakes", pathlib.Path(__file__).parent / "verify" / "fakes.py")
fakes = sys.modules.setdefault("verify_fakes", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(fakes)


@pytest.fixture
def fake_claims(monkeypatch):
    claims, registry = fakes.make_registry()
    monkeypatch.setattr(runner, "load_claims", lambda: claims)
    monkeypatch.setattr(runner, "REGISTRY", registry)
    return claims


def test_all_pass_exits_0(fake_claims, capsys):
    assert cli.main(["check", "--quick", "--claim", "good", "skipped"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "SKIP skipped" in out


def test_fail_exits_1(fake_claims, capsys):
    assert cli.main(["check", "--quick", "--claim", "good", "wrong-prediction"]) == 1
    assert "FAIL wrong-prediction" in capsys.readouterr().out


def test_error_exits_1(fake_claims):
    assert cli.main(["check", "--claim", "raises"]) == 1


def test_unknown_claim_exits_2(fake_claims, capsys):
    assert cli.main(["check", "--claim", "no-such-claim"]) == 2
    assert "unknown claim id" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["check", "--jobs", "0"], ["check", "--seed", "-1"],
                                  ["check", "--no-such-option"], ["no-such-command"]])
def test_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv) == 2


def test_json_output_validates(fake_claims, tmp_path):
    path = tmp_path / "results.json"
    assert cli.main(["check", "--quick", "--seed", "4", "--jobs", "1", "--json", str(path)]) == 1
    document = json.loads(path.read_text())
    assert validate(document, load_schema()) == []
    assert document["command"] == "invlin check --quick --seed 4 --jobs 1"
    statuses = {c["id"]: c["status"] for c in document["claims"]}
    assert statuses == fakes.EXPECTED_STATUS


def test_real_claims_pass_and_jobs_do_not_change_results(tmp_path):
    """Two fast real claims, run in one process and in two: identical JSON apart from times."""
    documents = []
    for jobs in ("1", "2"):
        path = tmp_path / f"jobs{jobs}.json"
        argv = ["check", "--quick", "--jobs", jobs, "--json", str(path), "--claim",
                "tweedie-linear", "iresnet-logdet-series"]
        assert cli.main(argv) == 0
        document = json.loads(path.read_text())
        assert validate(document, load_schema()) == []
        for claim in document["claims"]:
            claim.pop("seconds")
            for check in claim["checks"]:
                check.pop("seconds")
        documents.append(document["claims"])
    assert documents[0] == documents[1]


def test_report_writes_every_file(fake_claims, tmp_path, monkeypatch, capsys):
    from invlin.report import build

    monkeypatch.setattr(build, "available_studies", lambda: [])
    out = tmp_path / "rep"
    assert cli.main(["report", "--out", str(out), "--quick", "--jobs", "1"]) == 1
    for name in ("report.md", "report.html", "results.json"):
        assert (out / name).is_file()
    assert list((out / "figures").glob("*.png"))
    assert "1 PASS, 2 FAIL, 2 ERROR, 3 SKIP" in capsys.readouterr().out


def test_help_and_version(capsys):
    assert cli.main([]) == 0
    assert cli.main(["--version"]) == 0
    assert "invlin" in capsys.readouterr().out


def test_warmup_runs(capsys):
    assert cli.main(["warmup"]) == 0
    assert "IResNet" in capsys.readouterr().out
