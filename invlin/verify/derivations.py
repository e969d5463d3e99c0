"""The derivation cache: claims' symbolic results on disk, keyed by the source of ``theory/``.

A claim's symbolic check and its predictions (the SymPy expressions the numeric side
lambdifies) are pure functions of the code in ``theory/`` and of SymPy. Re-deriving them on
every run costs about half of ``invlin check --quick``; like Numba's kernel cache, this module
stores them on disk and loads them on the next run.

- **Key.** One directory per *source key*: a SHA-256 of every ``.py`` file of ``theory/``
  (path and bytes), the SymPy version and the Python version. Any edit of ``theory/`` (a
  mutation of the mutation run included) gives a new key, so no result derived from other
  source is ever read. (Everything is invalidated on any edit: simple and correct.)
- **Entries.** ``<key>/<claim id>.pickle`` holds the :class:`theory.claims.ClaimResult` and the
  prediction dict. Writes are atomic (temporary file, then ``os.replace``), so concurrent
  writers (``--jobs``, Dask workers) leave a whole entry or none. An entry that cannot be read
  is moved aside, a :class:`DerivationCacheWarning` names it, and the claim is derived again.
- **Location.** ``$INVLIN_CACHE_DIR/derivations`` if set, else the user cache directory
  (``$XDG_CACHE_HOME/invlin`` or ``~/.cache/invlin`` on Linux, ``~/Library/Caches/invlin`` on
  macOS, ``%LOCALAPPDATA%\\invlin\\Cache`` on Windows): never inside the source tree. Older
  source keys beyond the :data:`KEEP` most recently used are removed.
- **Off switch.** ``INVLIN_DERIVATION_CACHE=off`` (or ``--no-cache`` on the command line)
  derives everything afresh and stores nothing. The test suite runs with it off, since a test
  that monkeypatches ``theory`` computes results that do not follow from its source (the
  cache's own tests turn it on in temporary directories).

The key sees the source files only: a result computed in a process that has patched
``theory`` at run time would be stored under the unpatched source's key. Run such
experiments with the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
import shutil
import sys
import warnings
from functools import lru_cache
from pathlib import Path

from invlin._atomic import atomic_write_bytes

#: Environment variable that overrides the cache's root directory.
CACHE_DIR_VARIABLE = "INVLIN_CACHE_DIR"
#: Environment variable that turns the derivation cache off (``off``, ``0``, ``no``, ``false``).
SWITCH_VARIABLE = "INVLIN_DERIVATION_CACHE"
#: Source keys kept (most recently used first); older ones are deleted when a key is created.
KEEP = 4
#: How a claim's symbolic result was obtained in this run.
DERIVED, LOADED = "derived", "loaded"


class DerivationCacheWarning(UserWarning):
    """A cache entry could not be read; it was moved aside and the claim is derived again."""


def enabled() -> bool:
    """Whether the derivation cache is on (``INVLIN_DERIVATION_CACHE`` is not off)."""
    return os.environ.get(SWITCH_VARIABLE, "on").strip().lower() not in ("off", "0", "no",
                                                                          "false")


def cache_root() -> Path:
    """The directory of invlin's caches (see the module docstring)."""
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "invlin" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "invlin"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "invlin"


@lru_cache(maxsize=1)
def source_key() -> str:
    """SHA-256 (hex, 24 digits) of ``theory/``'s source files, SymPy's and Python's versions.

    Computed once per process: an edit of ``theory/`` takes effect in a new process (as for any
    imported module).
    """
    import sympy

    import theory

    root = Path(theory.__file__).parent
    digest = hashlib.sha256(f"sympy {sympy.__version__}; python "
                            f"{platform.python_version()}".encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


class DerivationCache:
    """Claims' symbolic results and predictions stored under one source key.

    Parameters
    ----------
    directory : path, optional
        The ``derivations`` directory (default ``cache_root() / "derivations"``).
    key : str, optional
        The source key (default :func:`source_key`).
    """

    def __init__(self, directory=None, key: str | None = None):
        self.root = Path(directory) if directory is not None else cache_root() / "derivations"
        self.key = source_key() if key is None else key
        self.directory = self.root / self.key

    def path(self, claim_id: str) -> Path:
        return self.directory / f"{claim_id}.pickle"

    def load(self, claim) -> bool:
        """Restore ``claim``'s symbolic result and prediction from the cache; True if found."""
        entry = self._read(self.path(claim.id), lambda entry: _invalid(entry, claim.id))
        if entry is None:
            return False
        claim.restore(entry["result"], entry["prediction"])
        return True

    def store(self, claim) -> None:
        """Write ``claim``'s symbolic result and prediction (derived now if not yet)."""
        self._write(self.path(claim.id),
                    {"result": claim.check(), "prediction": dict(claim.prediction)})

    def call(self, func, *args):
        """``func(*args)`` for a pure function of ``theory`` (a derivation the numeric side
        evaluates, e.g. ``theory.linear.pm_operator`` at a setting), through the cache: the
        entry is keyed by the source key, the function's qualified name and ``repr(args)``."""
        if "<" in func.__qualname__:  # a lambda or a local function: no stable name
            raise ValueError(f"derivations are cached for module-level functions only, got "
                             f"{func.__qualname__!r}")
        name = f"{func.__module__}.{func.__qualname__}{args!r}"
        path = self.directory / "calls" / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.pickle"
        entry = self._read(path, lambda entry: None if isinstance(entry, dict) and entry.get(
            "call") == name else "not the entry of this call")
        if entry is not None:
            return entry["value"]
        value = func(*args)
        try:
            self._write(path, {"call": name, "value": value})
        except OSError as exc:
            warnings.warn(f"derivation {name} not cached: {exc}", DerivationCacheWarning,
                          stacklevel=2)
        return value

    def _read(self, path: Path, invalid):
        """The unpickled entry at ``path``, or None if absent or damaged (then moved aside,
        with a warning); ``invalid(entry)`` says what is wrong with an entry, or None."""
        try:
            with open(path, "rb") as file:
                entry = pickle.load(file)
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - any unreadable entry is rebuilt
            self._damaged(path, f"{type(exc).__name__}: {exc}")
            return None
        problem = invalid(entry)
        if problem:
            self._damaged(path, problem)
            return None
        return entry

    def _write(self, path: Path, entry) -> None:
        """Pickle ``entry`` to ``path`` atomically (:func:`invlin._atomic.atomic_write_bytes`)."""
        new_key = not self.directory.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        if new_key:
            self._prune()
        atomic_write_bytes(path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        os.utime(self.directory)  # marks the key as recently used (for _prune)

    def store_or_warn(self, claim) -> bool:
        """:meth:`store`, with a :class:`DerivationCacheWarning` instead of an exception (an
        unwritable cache directory, a prediction that raises) so that the run goes on."""
        try:
            self.store(claim)
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation, never fatal
            warnings.warn(f"derivation of {claim.id!r} not cached in "
                          f"{os.fspath(self.directory)}: {type(exc).__name__}: {exc}",
                          DerivationCacheWarning, stacklevel=2)
            return False
        return True

    def _damaged(self, path: Path, problem: str) -> None:
        aside = path.with_name(f"{path.name}.damaged")
        try:
            os.replace(path, aside)
        except OSError:
            aside = None
        warnings.warn(f"unreadable derivation cache entry {os.fspath(path)} ({problem}); "
                      + (f"moved to {os.fspath(aside)}, " if aside else "")
                      + "derived again", DerivationCacheWarning, stacklevel=4)

    def _prune(self) -> None:
        keys = sorted((p for p in self.root.iterdir() if p.is_dir()),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for old in [p for p in keys if p != self.directory][KEEP - 1:]:
            shutil.rmtree(old, ignore_errors=True)


def _invalid(entry, claim_id: str) -> str | None:
    from theory.claims import ClaimResult

    if not isinstance(entry, dict) or set(entry) != {"result", "prediction"}:
        return "not a derivation entry"
    if not isinstance(entry["result"], ClaimResult) or entry["result"].claim_id != claim_id:
        return f"not the result of claim {claim_id!r}"
    if not isinstance(entry["prediction"], dict):
        return "its prediction is not a dict"
    return None


def cacheable(claim) -> bool:
    """Whether ``claim`` is a :class:`theory.claims.Claim` (stand-ins are never cached)."""
    from theory.claims import Claim

    return isinstance(claim, Claim)


def derived(func, *args):
    """``func(*args)`` through the derivation cache when it is on (:meth:`DerivationCache.call`),
    else computed. For pure functions of ``theory`` whose arguments have a faithful ``repr``
    (numbers, strings, nested lists of them)."""
    return DerivationCache().call(func, *args) if enabled() else func(*args)


def restore_all(claims, cache: DerivationCache) -> int:
    """Restore every claim of ``claims`` found in ``cache`` (and not at hand already); return
    how many were restored."""
    return sum(cache.load(claim) for claim in claims
               if cacheable(claim) and not claim.has_result)


def fill_cache(directory=None) -> tuple[int, int, Path]:
    """Derive every claim of ``theory.claims`` that is not cached yet, and store it.

    Returns
    -------
    (derived, loaded, directory) : (int, int, Path)
        How many were derived now, how many were cached already, and the entries' directory.
        With the cache off (``INVLIN_DERIVATION_CACHE=off``) nothing is derived or stored.
    """
    from theory import claims as registry

    cache = DerivationCache(directory)
    if not enabled():
        return 0, 0, cache.directory
    claims = registry.all()
    loaded = restore_all(claims, cache)
    derived = 0
    for claim in claims:
        if not cache.path(claim.id).is_file():
            cache.store(claim)
            derived += 1
    return derived, loaded, cache.directory
