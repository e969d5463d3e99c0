"""The layering of invlin/ and theory/: every part on its floor, no import cycle.

A *part* is a top-level module or package of ``invlin/`` or ``theory/`` (``invlin.priors``,
``invlin.cli``; the package's own ``__init__.py`` is the part ``__init__``, its face). The
floors are the tables of docs/architecture.md, "Layers", read from the document itself so
that the picture and the rule cannot drift apart. The rules checked on the import graph,
parsed with ``ast`` (nothing is imported):

1. every part is on exactly one floor, and every import of ``invlin.*`` / ``theory.*``
   names a module that exists (a moved module leaves no stale import behind);
2. a part imports only parts on its own floor or lower ones;
3. the graph of parts has no cycle (same-floor parts included);
4. the modules of ``theory/claims`` import each other without a cycle;
5. ``theory`` never imports ``invlin``.

Imports inside functions count like module-level ones: a deferred import is still a
dependency that runs, and deferring it only hides a cycle from the interpreter, not from a
reader. ``if TYPE_CHECKING:`` blocks would count too (there are none).

Run as a script (``python tests/test_layers.py [ROOT]``) to list the violations of a tree.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("invlin", "theory")


def module_sources(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages under ``root``."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imports(modules: dict[str, Path]) -> list[tuple[str, str | None, int, str]]:
    """(importer, imported module or None if it does not exist, line, name as written) for
    every import of the packages, at any depth of the syntax tree (deferred imports included).
    """
    found = []
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module
                # ``from pkg import sub`` imports the module pkg.sub; ``from mod import name``
                # imports mod
                targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules
                           else origin for alias in node.names]
            else:
                continue
            for target in targets:
                if target.split(".")[0] in PACKAGES:
                    found.append((name, target if target in modules else None, node.lineno,
                                  target))
    return found


def part(module: str) -> str:
    """The part a module belongs to: ``invlin.priors.base`` -> ``invlin.priors``."""
    pieces = module.split(".")
    return ".".join(pieces[:2]) if len(pieces) > 1 else f"{module}.__init__"


def floors(document: Path) -> dict[str, int]:
    """Part -> floor, from the two tables under "## Layers" of docs/architecture.md.

    A table row reads ``| floor | `part`, `part` ... | what they are |``; the heading above
    the table (``### invlin`` or ``### theory``) names the package.
    """
    table: dict[str, int] = {}
    section = document.read_text().split("\n## Layers", 1)[1].split("\n## ", 1)[0]
    package = None
    for line in section.splitlines():
        heading = re.match(r"### (\w+)", line)
        if heading:
            package = heading.group(1)
            continue
        row = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if row and package in PACKAGES:
            for name in re.findall(r"`([\w.]+)`", row.group(2)):
                key = f"{package}.{name}"
                if key in table:
                    raise ValueError(f"{key} is on two floors of {document}")
                table[key] = int(row.group(1))
    return table


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def violations(root: Path, document: Path | None = None) -> list[str]:
    """Every breach of the layering rules in the tree under ``root``, in words."""
    modules = module_sources(root)
    table = floors(document or root / "docs" / "architecture.md")
    problems = []
    parts = {part(m) for m in modules}
    for name in sorted(parts - set(table)):
        problems.append(f"{name} is on no floor of docs/architecture.md (add it to a layer)")
    for name in sorted(set(table) - parts):
        problems.append(f"{name} is on a floor of docs/architecture.md but does not exist")
    part_edges: dict[str, set[str]] = {}
    claims_edges: dict[str, set[str]] = {}
    for importer, imported, line, written in imports(modules):
        where = f"{modules[importer].relative_to(root)}:{line}"
        if imported is None:
            problems.append(f"{where} imports {written}, which does not exist")
            continue
        a, b = part(importer), part(imported)
        if a.startswith("theory") and b.startswith("invlin"):
            problems.append(f"{where}: theory imports invlin ({imported})")
        if importer.startswith("theory.claims.") and imported.startswith("theory.claims"):
            claims_edges.setdefault(importer, set()).add(imported)
        if a == b or a.split(".")[0] != b.split(".")[0]:
            continue
        part_edges.setdefault(a, set()).add(b)
        if a in table and b in table and table[b] > table[a]:
            problems.append(f"{where}: {a} (floor {table[a]}) imports {imported} "
                            f"(floor {table[b]}), a higher floor")
    for cycle in _cycles(part_edges):
        problems.append(f"import cycle between the parts {', '.join(cycle)}")
    for cycle in _cycles(claims_edges):
        problems.append(f"import cycle between the modules {', '.join(cycle)}")
    return list(dict.fromkeys(problems))  # one line per import statement


def test_every_layer_on_its_floor_and_no_cycle():
    assert violations(ROOT) == []


def test_floors_cover_invlin_and_theory():
    table = floors(ROOT / "docs" / "architecture.md")
    assert table["invlin._validation"] == 0 and table["invlin.cli"] == max(
        v for k, v in table.items() if k.startswith("invlin"))


@pytest.fixture
def tree(tmp_path):
    """A copy of invlin/, theory/ and docs/architecture.md to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "architecture.md", tmp_path / "docs")
    return tmp_path


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_negative_control_upward_import_fails(tree):
    # a deferred import of training from a prior: priors sit two floors below training
    _append(tree / "invlin" / "priors" / "base.py",
            "\n\ndef _late():\n    from invlin.training import train\n\n    return train\n")
    found = violations(tree)
    assert len(found) == 2, found  # the upward import, and the cycle it closes
    assert "invlin.priors (floor 1) imports invlin.training" in found[0]
    assert "cycle" in found[1] and "invlin.priors" in found[1]


def test_negative_control_same_floor_cycle_fails(tree):
    # sweep and studies share a floor; studies import sweep, so this closes a cycle
    _append(tree / "invlin" / "sweep" / "table.py", "\nfrom invlin.studies import _toy  # noqa\n")
    found = violations(tree)
    assert found == ["import cycle between the parts invlin.studies, invlin.sweep"], found


def test_negative_control_claims_cycle_fails(tree):
    _append(tree / "theory" / "claims" / "_evidence.py",
            "\n\ndef _late():\n    from theory.claims import _scalar\n\n    return _scalar\n")
    found = violations(tree)
    assert len(found) == 1 and "theory.claims._evidence" in found[0], found


def test_negative_control_stale_import_and_unlisted_part_fail(tree):
    (tree / "invlin" / "newpart.py").write_text("from invlin.models._jit import kernel  # noqa\n")
    found = violations(tree)
    assert found[0].startswith("invlin.newpart is on no floor"), found
    assert "imports invlin.models._jit, which does not exist" in found[1], found
    assert len(found) == 2, found


def test_negative_control_theory_importing_invlin_fails(tree):
    _append(tree / "theory" / "numeric.py", "\nimport invlin.errors  # noqa\n")
    found = violations(tree)
    assert len(found) == 1 and "theory imports invlin" in found[0], found


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    document = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    for problem in violations(root, document):
        print(problem)
