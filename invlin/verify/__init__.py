"""The verification layer: every claim of :mod:`theory`, checked symbolically and numerically.

``verify()`` runs, for each claim, its symbolic ``check()`` and the numeric checks registered
for its id (modules of :mod:`invlin.verify.checks`), and returns one :class:`ClaimRecord` per
claim with status PASS, FAIL, ERROR or SKIP.
"""

from invlin.verify.evidence import (
    STATUSES,
    CheckOutcome,
    ClaimRecord,
    FigureSpec,
    NumericEvidence,
    Series,
)
from invlin.verify.registry import REGISTRY, CheckRegistry, SkipCheck, numeric_check
from invlin.verify.runner import claim_seed, verify

__all__ = [
    "STATUSES", "CheckOutcome", "ClaimRecord", "FigureSpec", "NumericEvidence", "Series",
    "REGISTRY", "CheckRegistry", "SkipCheck", "numeric_check", "claim_seed", "verify",
]
