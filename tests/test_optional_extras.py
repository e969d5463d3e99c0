"""The optional extras (torch, dask, pandas, jax) are imported only where they are used.

A newcomer installs ``.[dev]`` only; ``import invlin``, every module of ``invlin/`` and
``theory/`` but the few listed in the root ``conftest.py`` (``OPTIONAL_MODULES``), and the
doctest collection must work without any extra.
"""

import ast
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL_PACKAGES = ("torch", "dask", "distributed", "pandas", "jax", "jaxlib")

_spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
root_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(root_conftest)


def _module_level_imports(path):
    """Top-level names imported by statements outside any function or class body."""
    names = set()

    def visit(body):
        for node in body:
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                visit(getattr(node, "finalbody", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text()).body)
    return names


def _package_modules():
    return sorted(p for package in ("invlin", "theory") for p in (ROOT / package).rglob("*.py"))


def test_every_module_importing_an_extra_is_listed():
    needing = {
        path.relative_to(ROOT).as_posix()
        for path in _package_modules()
        if _module_level_imports(path) & set(OPTIONAL_PACKAGES)
    }
    assert needing == set(root_conftest.OPTIONAL_MODULES)


def test_scanner_sees_a_module_level_import(tmp_path):
    # negative control of the scan: an import inside try/except at module level counts,
    # one inside a function does not
    module = tmp_path / "m.py"
    module.write_text("try:\n    import torch\nexcept ImportError:\n    pass\n"
                      "def f():\n    import pandas\n")
    assert _module_level_imports(module) == {"torch"}


def test_everything_else_imports_without_the_extras():
    # A fresh interpreter in which every optional package is unimportable (a finder placed
    # first raises ModuleNotFoundError, as for a package that is not installed) imports all
    # other modules.
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in _package_modules()
        if path.relative_to(ROOT).as_posix() not in root_conftest.OPTIONAL_MODULES
    ]
    script = textwrap.dedent(f"""
        import importlib, sys

        class Missing:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {OPTIONAL_PACKAGES!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}")

        sys.meta_path.insert(0, Missing())
        for module in {modules!r}:
            importlib.import_module(module)
        print("imported", len({modules!r}))
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert f"imported {len(modules)}" in run.stdout
