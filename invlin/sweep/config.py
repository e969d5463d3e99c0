"""Sweep configurations: a TOML file (or the same dict) describing a grid of cells.

A configuration has a ``name``, a ``[base]`` table of settings shared by every cell, an optional
list ``[[variants]]`` of setting groups (each cell takes one variant), and a ``[grid]`` table of
lists crossed as a Cartesian product::

    name = "divergence-noise"
    [base]
    singular_values = [1.5, 0.6]
    prior = "logistic"
    prior_scale = [0.5, 0.35]
    loss = "divergence"
    steps = 300
    [[variants]]
    model = "diagonal_net"
    [[variants]]
    model = "iresnet"
    width = 8
    [grid]
    delta = [0.1, 0.2, 0.4]
    seed = [0, 1, 2]

The cells, in order: for each variant, the grid in the order its keys are written (the last key
varies fastest). A setting given in several places takes the most specific value (grid over
variant over base over :data:`DEFAULTS`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from invlin.sweep.cell import DEFAULTS, Cell, validate_settings


@dataclass(frozen=True)
class SweepConfig:
    """A parsed sweep configuration: its name and its cells, in order."""

    name: str
    cells: tuple
    grid_keys: tuple

    def __len__(self) -> int:
        return len(self.cells)


def load_config(source) -> SweepConfig:
    """Parse a configuration from a TOML file path, a TOML string or a dict.

    Raises ``ValueError`` naming the offending key for unknown settings, empty grids, wrong
    types or invalid values, before anything runs.
    """
    if isinstance(source, dict):
        data = source
    else:
        data = _read_toml(source)
    unknown = set(data) - {"name", "base", "variants", "grid"}
    if unknown:
        raise ValueError(f"unknown top-level key(s) {sorted(unknown)} in the sweep config; "
                         "expected name, base, variants, grid")
    name = data.get("name", "sweep")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    base = _table(data.get("base", {}), "base")
    variants = data.get("variants", [{}])
    if not isinstance(variants, list) or not variants:
        raise ValueError("variants must be a non-empty list of tables")
    variants = [_table(v, f"variants[{i}]") for i, v in enumerate(variants)]
    grid = _table(data.get("grid", {}), "grid")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"grid.{key} must be a non-empty list, got {values!r}")
    cells = []
    for variant in variants:
        for combination in itertools.product(*grid.values()):
            settings = {**DEFAULTS, **base, **variant, **dict(zip(grid, combination))}
            cells.append(Cell.from_settings(validate_settings(settings)))
    return SweepConfig(name=name, cells=tuple(cells), grid_keys=tuple(grid))


def _read_toml(source):
    import os

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        if isinstance(source, (str, os.PathLike)) and os.path.exists(source):
            with open(source, "rb") as file:
                return tomllib.load(file)
        if isinstance(source, str) and "=" in source:
            return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        where = source if os.path.exists(source) else "text"
        raise ValueError(f"sweep config {where}: invalid TOML: {exc}") from None
    raise ValueError(f"sweep config {source!r} is neither an existing file nor TOML text")


def _table(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a table, got {type(value).__name__}")
    unknown = set(value) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)} in {name}; known settings: "
                         f"{', '.join(DEFAULTS)}")
    return dict(value)
