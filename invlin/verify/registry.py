"""The registry of numeric checks, keyed by claim id.

A numeric check is a function ``check(rng, quick) -> NumericEvidence | list[NumericEvidence]``
registered for a claim with :func:`numeric_check`. The runner calls it with a
``numpy.random.Generator`` seeded from (seed, claim id, check name), so a check's result does not
depend on which other checks run, in which order, or in which process.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


class SkipCheck(Exception):
    """Raised by a numeric check that cannot run here; the message is the reason shown."""


@dataclass(frozen=True)
class NumericCheck:
    """A registered numeric check.

    Attributes
    ----------
    claim : str
        The claim id (see docs/architecture.md).
    name : str
        The function's qualified name; with the claim id it seeds the check's generator.
    func : callable
        ``func(rng, quick)`` returning one or several ``NumericEvidence``.
    quick : bool
        Whether the check also runs under ``--quick`` (with its smaller settings).
    requires : tuple of str
        Importable modules the check needs (e.g. ``"torch"``); missing ones give SKIP.
    """

    claim: str
    name: str
    func: object
    quick: bool = True
    requires: tuple = ()

    def missing(self) -> list:
        """The required modules that cannot be imported here."""
        return [m for m in self.requires if importlib.util.find_spec(m) is None]


class CheckRegistry:
    """Numeric checks by claim id, in registration order."""

    def __init__(self):
        self._checks: dict[str, list[NumericCheck]] = {}

    def register(self, claim: str, *, quick: bool = True, requires=()):
        """Decorator registering ``func(rng, quick)`` as a numeric check of ``claim``."""
        if not isinstance(claim, str) or not claim:
            raise ValueError(f"claim must be a non-empty claim id string, got {claim!r}")

        def decorator(func):
            check = NumericCheck(claim, f"{func.__module__}.{func.__qualname__}", func,
                                 bool(quick), tuple(requires))
            existing = self._checks.setdefault(claim, [])
            if any(c.name == check.name for c in existing):
                raise ValueError(f"check {check.name!r} is already registered for {claim!r}")
            existing.append(check)
            return func

        return decorator

    def checks_for(self, claim: str) -> list[NumericCheck]:
        """The checks registered for ``claim`` (empty list if none)."""
        return list(self._checks.get(claim, ()))

    def claims(self) -> list[str]:
        """Claim ids that have at least one check."""
        return list(self._checks)


#: The project's registry; :mod:`invlin.verify.checks` fills it on import.
REGISTRY = CheckRegistry()


def numeric_check(claim: str, *, quick: bool = True, requires=()):
    """Register a numeric check of ``claim`` in the project's registry.

    Parameters
    ----------
    claim : str
        Claim id, as in ``theory.claims``.
    quick : bool
        Also run it under ``--quick`` (the check receives ``quick=True`` and must then use its
        smaller settings, with tolerances scaled to them).
    requires : iterable of str
        Optional modules the check needs; if one is missing the claim is SKIPped with that reason.

    Examples
    --------
    >>> import numpy as np
    >>> from invlin.verify.evidence import NumericEvidence
    >>> registry = CheckRegistry()
    >>> @registry.register("example-claim")
    ... def check(rng, quick):
    ...     return NumericEvidence("|1 - 1|", 0.0, 1e-15, "floating-point precision")
    >>> [c.name.split(".")[-1] for c in registry.checks_for("example-claim")]
    ['check']
    """
    return REGISTRY.register(claim, quick=quick, requires=requires)
