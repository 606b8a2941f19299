"""The two time-axis options of every reading command: --known-at (alias --as-of) and --in-force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import click

from grants.domain.dates import iso_hint
from grants.domain.errors import InvalidInput
from grants.domain.i18n import _

KNOWN_AT_HELP = ("What the ledger said then: only events recorded at or before this UTC date-time "
                 "(a bare date means the end of that day). --as-of is an alias.")
IN_FORCE_HELP = ("What was in force on this date, as known now (or at --known-at): only events whose "
                 "business date (decided, effective, received) is on or before it.")


def time_axes(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add --known-at/--as-of and --in-force; the command receives `known_at` and `in_force`."""
    fn = click.option("--in-force", "in_force", metavar="YYYY-MM-DD", help=IN_FORCE_HELP)(fn)
    fn = click.option("--known-at", "--as-of", "known_at", metavar="YYYY-MM-DD[THH:MM]", help=KNOWN_AT_HELP)(fn)
    return fn


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
