"""How invlin's Numba kernels are compiled: the options, set in one place.

Every kernel is compiled with ``cache=True`` and ``error_model="numpy"`` (Python's check of
every float division for a zero divisor, which raises ZeroDivisionError, stops LLVM from
vectorising loops that divide; no kernel divides by a value that can be zero). Kernels whose
loops are sums over samples, dot products or polynomial evaluations may add the fast-math flags
:data:`FASTMATH`, which let LLVM reorder those sums (and vectorise them) and fuse multiply-adds:
that changes rounding and nothing else. Never fastmath set to ``True`` and never the flags ``nnan``,
``ninf``, ``nsz``, ``arcp`` or ``afn``: non-finite values must still propagate.

Numba's on-disk cache does not see edits of this module from the kernels' modules: after
changing an option here, delete the ``__pycache__`` directories of the packages with kernels
(``invlin/models``, ``invlin/priors``, ``invlin/training``, ``invlin/_kernels``).
"""

from __future__ import annotations

from numba import njit

#: The only fast-math flags invlin uses: reassociation and contraction (rounding changes only).
FASTMATH = frozenset({"reassoc", "contract"})

def kernel(func=None, *, reassociate: bool = False):
    """``numba.njit`` with invlin's options; ``reassociate=True`` adds the flag set FASTMATH.

    Kernels release the GIL (``nogil=True``): the work-sharing team (:mod:`invlin._kernels.team`)
    runs them on several Python threads at once.
    """
    options = dict(cache=True, error_model="numpy", nogil=True)
    if reassociate:
        options["fastmath"] = set(FASTMATH)
    if func is None:
        return njit(**options)
    return njit(**options)(func)
