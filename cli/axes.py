"""The two time-axis options of every reading command: --known-at (alias --as-of) and --in-force."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from grants.domain.dates import iso_hint
from grants.domain.errors import InvalidInput
from grants.domain.i18n import _

KNOWN_AT_HELP = ("What the ledger said then: only events recorded at or before this UTC date-time "
                 "(a bare date means the end of that day).")
AS_OF_HELP = "The same as --known-at (its earlier name)."
IN_FORCE_HELP = ("What was in force on this date, as known now (or at --known-at): only events whose "
                 "business date (decided, effective, received) is on or before it.")


def time_axes(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add --known-at/--as-of and --in-force; the command receives `known_at` and `in_force`.

    --as-of is its own option rather than a second name of --known-at, so that a bad value is
    named by the option typed (click does not say which name of an option was used)."""

    @functools.wraps(fn)  # shares fn's click parameters: the options below join them
    def with_alias(*args: Any, as_of: str | None = None, **kwargs: Any) -> Any:
        if as_of is not None:
            from grants.cli.parsing import parse_moment

            if kwargs.get("known_at") is not None:
                raise InvalidInput("--as-of: " + _("is another name for --known-at; give one of them"))
            parse_moment(as_of, "--as-of")
            kwargs["known_at"] = as_of
        return fn(*args, **kwargs)

    wrapped: Callable[..., Any] = with_alias
    wrapped = click.option("--in-force", "in_force", metavar="YYYY-MM-DD", help=IN_FORCE_HELP)(wrapped)
    wrapped = click.option("--as-of", "as_of", metavar="YYYY-MM-DD[THH:MM]", help=AS_OF_HELP)(wrapped)
    wrapped = click.option("--known-at", "known_at", metavar="YYYY-MM-DD[THH:MM]", help=KNOWN_AT_HELP)(wrapped)
    return wrapped


def time_cut(known_at: str | None, in_force: str | None) -> Any:
    """The options as a TimeCut; a malformed value is a usage error naming its option."""
    from grants.cli.parsing import parse_moment
    from grants.ledger.time_axes import TimeCut

    moment = parse_moment(known_at, "--known-at") if known_at is not None else None
    day = None
    if in_force is not None:
        try:
            day = date.fromisoformat(in_force.strip())
        except ValueError:
            raise InvalidInput("--in-force: " + _("must be an ISO date such as 2022-07-01, got {value}").format(
                value=repr(in_force)) + iso_hint(in_force)) from None
    return TimeCut(known_at=moment, in_force=day)
