"""theory never imports invlin: neither at run time nor in its source."""

import re
import subprocess
import sys
from pathlib import Path

THEORY = Path(__file__).resolve().parents[2] / "theory"


def test_importing_theory_loads_no_invlin_module():
    code = (
        "import sys, theory, theory.claims, theory.linear, theory.function_space; "
        "[c.prediction for c in theory.claims.all()]; "
        "print(sorted(m for m in sys.modules if m == 'invlin' or m.startswith('invlin.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=THEORY.parent)
    assert out.stdout.strip() == "[]"


def test_theory_source_has_no_invlin_import():
    pattern = re.compile(r"^\s*(from\s+invlin\b|import\s+invlin\b)", re.M)
    sources = list(THEORY.rglob("*.py"))
    assert len(sources) >= 10
    offenders = [str(p) for p in sources if pattern.search(p.read_text())]
    assert offenders == []
