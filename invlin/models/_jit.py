"""How invlin's Numba kernels are compiled: the options, set in one place.

Every kernel is compiled with ``cache=True`` and ``error_model="numpy"`` (Python's check of
every float division for a zero divisor, which raises ZeroDivisionError, stops LLVM from
vectorising loops that divide; no kernel divides by a value that can be zero). Kernels whose
loops are sums over samples, dot products or polynomial evaluations may add the fast-math flags
:data:`FASTMATH`, which let LLVM reorder those sums (and vectorise them) and fuse multiply-adds:
that changes rounding and nothing else. Never fastmath set to ``True`` and never the flags ``nnan``,
``ninf``, ``nsz``, ``arcp`` or ``afn``: non-finite values must still propagate.

Numba's on-disk cache does not see edits of this module from the kernels' modules: after
changing an option here, delete the ``__pycache__`` directories of ``invlin/models``.
"""

from __future__ import annotations

import os

import numba
from numba import njit

#: The only fast-math flags invlin uses: reassociation and contraction (rounding changes only).
FASTMATH = frozenset({"reassoc", "contract"})

#: Threading layer of the parallel drivers unless ``NUMBA_THREADING_LAYER`` chooses another.
#: Measured on a loaded 2-core machine (docs/engine.md, "Threading layer"): a parallel region
#: of the canonical objective took a median 95x the serial time with OpenMP (worst 119 ms for a
#: 0.6 ms serial call) and 6x with the workqueue layer (worst 47 ms). The workqueue layer does
#: not support parallel kernels launched from several Python threads at once; a program that
#: does so sets NUMBA_THREADING_LAYER=omp (or tbb).
THREADING_LAYER = "workqueue"

if not os.environ.get("NUMBA_THREADING_LAYER"):
    numba.config.THREADING_LAYER = THREADING_LAYER


def kernel(func=None, *, reassociate: bool = False, parallel: bool = False):
    """``numba.njit`` with invlin's options; ``reassociate=True`` adds the flag set FASTMATH.

    ``parallel=True`` is for the small drivers that run a kernel's body on chunks of samples
    with ``prange``; the serial path calls the body directly, so each body is compiled once
    for it, and the parallel driver is a distinct function with its own cache entry.
    """
    options = dict(cache=True, error_model="numpy", parallel=parallel)
    if reassociate:
        options["fastmath"] = set(FASTMATH)
    if func is None:
        return njit(**options)
    return njit(**options)(func)
