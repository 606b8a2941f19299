"""Calendar facts in one place: the year range, month arithmetic and the dates a command gets
when the caseworker leaves one out.

The domain never reads the clock: `today` is passed in by the edge (the ledger application).
A left-out date is today's date when the decision concerns the current year or later; for a past
year (entering historic decisions) it comes from the data instead, so that a 2021 decision typed
in today is not dated today and its report is not flagged late (docs/rules.md, "Dates").
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from grants.domain.errors import hint
from grants.domain.i18n import _

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a ledger accepts (far wider than any scheme)
MONTHS = 12


def parse_year(raw: object) -> int:
    """A calendar year as an int, from an int or a string of digits."""
    if type(raw) is int and FIRST_YEAR <= raw <= LAST_YEAR:  # as JSON gives it: most lines of an import
        return raw
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit()) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise ValueError(_("must be a year between {first} and {last}").format(first=FIRST_YEAR, last=LAST_YEAR))
    return int(text)


NORWEGIAN_DATE = re.compile(r"([0-9]{1,2})[./]([0-9]{1,2})[./]([0-9]{4})", re.ASCII)  # 01.07.2022


def iso_hint(text: str) -> str:
    """`01.07.2022` (day first, as Norwegians write it) -> `; did you mean 2022-07-01?`"""
    found = NORWEGIAN_DATE.fullmatch(text.strip())
    if found is None:
        return ""
    day, month, year = (int(part) for part in found.groups())
    try:
        return hint(date(year, month, day).isoformat())
    except ValueError:
        return ""


def months_from(day: date) -> int:
    """The months of its year from `day`'s month to December, both included (1 July -> 6)."""
    return MONTHS - day.month + 1


def months_through(day: date) -> int:
    """The months of its year from January to `day`'s month, both included (31 August -> 8)."""
    return day.month


def _past(year: int, today: date) -> bool:
    return year < today.year


def application_received(cmd: Any, position: Any, today: date) -> date:
    """Today; for a past year, that year's application deadline (or 1 January when unknown)."""
    from grants.domain import rules

    if not _past(cmd.year, today):
        return today
    return rules.application_due(cmd.scheme, cmd.year) or date(cmd.year, 1, 1)


def decision_date(cmd: Any, position: Any, today: date) -> date:
    """Today; for a past year, 1 January of it, or the date the application was received if later."""
    year = cmd.touched_year() or position.first_year
    if not _past(year, today):
        return today
    return max(date(year, 1, 1), position.received)


def carry_over_date(cmd: Any, position: Any, today: date) -> date:
    """As `decision_date` for the year carried into, but never before the report it is approved
    on was received: a past year's carry-over is decided on that year's report (whose own
    default, the report deadline, falls after 1 January)."""
    decided = decision_date(cmd, position, today)
    received = position.report_received(cmd.from_year)
    return max(decided, received) if received is not None else decided


def report_received(cmd: Any, position: Any, today: date) -> date:
    """Today; for a year before last year, the year's report deadline (historic data entry)."""
    from grants.domain import rules

    if cmd.year >= today.year - 1:
        return today
    return rules.report_due(position.scheme, cmd.year, position.office)


def termination_date(cmd: Any, position: Any, today: date) -> date:
    """Today; when the position's last funded year is past, 31 December of that year."""
    last = position.last_year
    if last is not None and _past(last, today):
        return date(last, 12, 31)
    return today
