"""The paper's 2-D experiments and their extensions, as importable studies.

Each study is a module ``invlin.studies.<name>`` with one public function

``run(out_dir, *, seed, quick=False, progress=None) -> dict``

that trains what it needs, writes its figures (PNG) into ``out_dir`` and returns a
JSON-serialisable record::

    {"name", "title", "description", "settings", "seed",
     "tables": [{"title", "columns", "rows"}],
     "figures": [{"file", "caption"}],
     "checks": [{"claim", "quantity", "error", "tolerance", "reason", "passed"}]}

``claim`` is a claim id of ``docs/architecture.md``. ``quick=True`` runs reduced settings that
finish in seconds (smoke tests, ``invlin report --quick``); the default settings are the ones
the report quotes. ``progress`` is passed to :class:`invlin.progress.ProgressBar` (``None``:
shown only on a terminal). The scripts in ``experiments/`` are thin command-line wrappers.
"""

from __future__ import annotations

import importlib

#: Study module names, in the order the report presents them.
ALL = ("toy2d", "noise_sweep", "lipschitz_sweep", "diagonal_marginal", "bimodal_high_noise",
       "iresnet_high_dim", "deconvolution", "sparse_deconvolution")


def load(name: str):
    """Return the study module ``invlin.studies.<name>`` for a name in :data:`ALL`."""
    if name not in ALL:
        raise ValueError(f"unknown study {name!r}; expected one of {list(ALL)}")
    return importlib.import_module(f"invlin.studies.{name}")
