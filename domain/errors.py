"""A small error hierarchy; the CLI maps each class to one exit code."""


class GrantsError(Exception):
    """Base of every error the ledger reports to a user."""

    exit_code = 1


class InvalidInput(GrantsError):
    """A value is malformed or out of range (usage error)."""

    exit_code = 2


class ConcurrentChange(GrantsError):
    """Someone else changed the position between our read and our write."""

    exit_code = 3


class NotFound(GrantsError):
    exit_code = 4


class NotAllowed(GrantsError):
    """The actor's role or office does not permit the command."""

    exit_code = 5


class RuleRefused(GrantsError):
    """The command is well formed but a funding or lifecycle rule forbids it."""

    exit_code = 6


class VerificationFailed(GrantsError):
    exit_code = 7


class StorageFailed(GrantsError):
    """The database could not be written or reached: disk full, I/O error, server down. Nothing
    was written; re-run once the cause is fixed."""

    exit_code = 8


ECHO_LIMIT = 60  # characters of a user's value repeated in a message
HINT = "; did you mean "  # a message's suggestion starts so, last: `...; did you mean 0.50?`


def quoted(value: object, limit: int = ECHO_LIMIT) -> str:
    """A user's value as a message repeats it: repr() (so control characters show as escapes),
    cut to a prefix when it is long."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"
