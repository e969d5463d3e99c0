"""Collection rules for the whole tree (the doctests of ``invlin/`` and ``theory/`` included).

A module that needs an optional extra at import time is not collected for its doctests where
that extra is missing: importing it would raise ``ImportError`` and turn a newcomer's
``python -m pytest`` red (``pip install -e ".[dev]"`` installs no extra). The modules are listed
in :data:`OPTIONAL_MODULES`; ``tests/test_optional_extras.py`` checks that the list names every
module of ``invlin/`` that imports an optional dependency at module level.
"""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent

#: Module (path relative to the repository) -> (import name it needs, the extra that installs it).
OPTIONAL_MODULES = {
    "invlin/adapters/torch.py": ("torch", "torch"),
    "invlin/execution/_dask_warmup.py": ("distributed", "dask"),
}


def pytest_ignore_collect(collection_path, config):
    path = collection_path.resolve()
    if not path.is_relative_to(ROOT):
        return None
    needed = OPTIONAL_MODULES.get(path.relative_to(ROOT).as_posix())
    if needed is None:
        return None
    return True if importlib.util.find_spec(needed[0]) is None else None
