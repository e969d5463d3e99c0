"""Domain errors raised by invlin (input errors are plain ``ValueError``/``TypeError``)."""


class InvlinError(Exception):
    """Base class of invlin's domain errors."""


class NotInjectiveError(InvlinError, ValueError):
    """The forward operator is rank deficient where injectivity is required."""


class NotInvertibleError(InvlinError):
    """A model is no longer guaranteed invertible (e.g. Lipschitz bound >= 1)."""


class InversionError(InvlinError):
    """Inverting a model did not converge to the requested tolerance."""


class TrainingDivergedError(InvlinError):
    """Training produced a non-finite loss or parameters."""
