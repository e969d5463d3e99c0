"""What a report records about the run: versions, git commit, threads, command, timings."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

_PACKAGES = ("numpy", "scipy", "sympy", "numba", "matplotlib", "invlin")
# OPENBLAS_CORETYPE is recorded with them: it picks OpenBLAS's kernel family, and results are
# bit-identical only for the same family (docs/architecture.md, "Reproducibility").
_THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                     "MKL_NUM_THREADS", "NUMBA_THREADING_LAYER", "OPENBLAS_CORETYPE")


def versions() -> dict:
    """Versions of Python and of the packages the results depend on (None if not installed)."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def git_commit() -> str | None:
    """The commit of the source tree invlin runs from (with ``-dirty`` if modified), or None."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10,
                               check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "") if commit else None


def threads() -> dict:
    """Thread settings: Numba's thread count and layer, and the BLAS/OpenMP variables (with the
    BLAS kernel family)."""
    import numba

    info = {"cpu_count": os.cpu_count(), "numba_num_threads": numba.get_num_threads()}
    try:
        info["numba_threading_layer"] = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        info["numba_threading_layer"] = None
    info["environment"] = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    return info


def command_line(argv: list[str]) -> str:
    """The shell command that reproduces a run: ``invlin`` followed by the given arguments."""
    return " ".join(["invlin", *(shlex.quote(a) for a in argv)])


def environment() -> dict:
    """All of the above plus the platform and the time (UTC, ISO 8601)."""
    return {
        "versions": versions(),
        "git_commit": git_commit(),
        "threads": threads(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
