"""How invlin's Numba kernels are compiled: the options, set in one place.

Every kernel is compiled with ``cache=True`` and ``error_model="numpy"`` (Python's check of
every float division for a zero divisor, which raises ZeroDivisionError, stops LLVM from
vectorising loops that divide; no kernel divides by a value that can be zero). Kernels whose
loops are sums over samples, dot products or polynomial evaluations may add the fast-math flags
:data:`FASTMATH`, which let LLVM reorder those sums (and vectorise them) and fuse multiply-adds:
that changes rounding and nothing else. Never ``fastmath=True`` and never the flags ``nnan``,
``ninf``, ``nsz``, ``arcp`` or ``afn``: non-finite values must still propagate.

Numba's on-disk cache does not see edits of this module from the kernels' modules: after
changing an option here, delete the ``__pycache__`` directories of ``invlin/models``.
"""

from __future__ import annotations

import types

from numba import njit

#: The only fast-math flags invlin uses: reassociation and contraction (rounding changes only).
FASTMATH = frozenset({"reassoc", "contract"})


def kernel(func=None, *, fastmath: bool = False, inline: str = "never"):
    """``numba.njit`` with invlin's options; ``fastmath=True`` adds the flag set FASTMATH."""
    options = dict(cache=True, error_model="numpy", inline=inline)
    if fastmath:
        options["fastmath"] = set(FASTMATH)
    if func is None:
        return njit(**options)
    return njit(**options)(func)


def drivers(func, *, fastmath: bool = False):
    """Serial and parallel builds of one driver source, whose loop over chunks is a ``prange``.

    Returns ``(serial, parallel)``. Without ``parallel=True`` Numba compiles ``prange`` as
    ``range``, so both builds run the same body over the same chunks. Numba's cache index is
    keyed on the function's module, qualified name and first line, and not on the ``parallel``
    option, so the two builds compiled from one function would overwrite (and load) each other's
    cache entries: each build is therefore compiled from its own copy of the function, named
    ``<name>_serial`` and ``<name>_parallel``, which gives it its own cache files.
    """
    builds = []
    for suffix, parallel in (("serial", False), ("parallel", True)):
        name = f"{func.__name__}_{suffix}"
        copy = types.FunctionType(func.__code__, func.__globals__, name, func.__defaults__,
                                  func.__closure__)
        copy.__qualname__ = f"{func.__qualname__}_{suffix}"
        copy.__module__ = func.__module__
        copy.__doc__ = func.__doc__
        options = dict(cache=True, error_model="numpy", parallel=parallel)
        if fastmath:
            options["fastmath"] = set(FASTMATH)
        builds.append(njit(**options)(copy))
    return tuple(builds)
