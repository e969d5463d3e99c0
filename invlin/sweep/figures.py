"""Figures drawn from a sweep's table (never from the training runs themselves)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from invlin.sweep.cell import DEFAULTS, _is_number

#: The quantities drawn against the swept axis, with their axis labels.
QUANTITIES = (("to_map", "RMS(inverse - MAP)"), ("to_pm", "RMS(inverse - PM)"),
              ("ratio", "RMS(inv - MAP) / RMS(inv - PM)"))
#: Settings never used to tell curves apart: averaged over (seeds) or derived.
AVERAGED = ("seed", "test_seed")


def draw(rows, directory, *, grid_keys=()) -> list[str]:
    """Draw the distances to MAP and PM and the discrimination ratio against the first numeric
    grid axis (mean over seeds, error bars: standard error over seeds); one curve per
    combination of the other settings that vary. Returns the file names written (none when
    no numeric axis is swept or no row has distances)."""
    ok = [r for r in rows if r["status"] == "OK" and _is_number(r.get("to_map"))]
    axis = next((k for k in grid_keys if k not in AVERAGED and ok
                 and all(_is_number(r[k]) for r in ok)), None)
    if axis is None:
        return []
    from invlin._plotting import save, subplots

    varying = [k for k in DEFAULTS if k not in AVERAGED and k != axis
               and len({_hashable(r[k]) for r in ok}) > 1]
    curves: dict = {}
    for r in ok:
        label = ", ".join(f"{k}={_text(r[k])}" for k in varying) or "all cells"
        curves.setdefault(label, {}).setdefault(r[axis], []).append(r)
    fig, axes = subplots(1, len(QUANTITIES), size=(4.2, 3.4))
    for ax, (quantity, ylabel) in zip(axes.flat, QUANTITIES):
        for i, (label, by_x) in enumerate(curves.items()):
            xs = sorted(by_x)
            values = [np.array([r[quantity] for r in by_x[x]], dtype=float) for x in xs]
            means = [v.mean() for v in values]
            errors = [v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else 0.0 for v in values]
            ax.errorbar(xs, means, yerr=errors, fmt="o-", color=f"C{i % 10}", markersize=3,
                        capsize=2, label=label)
        ax.set_xlabel(axis)
        ax.set_ylabel(ylabel)
        if quantity == "ratio":
            ax.axhline(1.0, color="k", linestyle=":", linewidth=1)
    axes.flat[0].legend(loc="best", fontsize=6)
    return [save(fig, Path(directory), "sweep_distances.png")]


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
