"""A small error hierarchy; the CLI maps each class to one exit code."""

from grants.domain.i18n import N_, _


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
HINT = N_("; did you mean {suggestion}?")  # a message's suggestion, last: `...; did you mean 0.50?`


def hint(suggestion: str) -> str:
    """`; did you mean 0.50?`, in the language in use."""
    return _(HINT).format(suggestion=suggestion)


def split_hint(message: str) -> tuple[str, str]:
    """A message and its hint, apart: (`must be ...`, `; did you mean 0.50?`); ("...", "") without one."""
    start = _(HINT).partition("{suggestion}")[0]
    rule, found, rest = message.partition(start)
    return rule, found + rest


def quoted(value: object, limit: int = ECHO_LIMIT) -> str:
    """A user's value as a message repeats it: repr() (so control characters show as escapes),
    cut to a prefix when it is long."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "…"
