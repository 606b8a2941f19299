"""Parsing of the reading commands' options (dates, moments, filters) into domain values."""

from __future__ import annotations

from datetime import UTC, date, datetime

from grants.domain.dates import iso_hint
from grants.domain.errors import InvalidInput, quoted
from grants.domain.i18n import _


def parse_moment(raw: str, option: str = "--as-of") -> datetime:
    """An ISO date or date-time, read as UTC; a bare date means the end of that day."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{option}: " + _("must be an ISO date or date-time, got {value}").format(value=quoted(raw))
                           + iso_hint(raw)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if len(raw.strip()) == 10:
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment


def parse_day(raw: str | None, today: date, option: str = "--on") -> date:
    """An ISO date, or today when left out."""
    if raw is None:
        return today
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{option}: " + _("must be an ISO date such as 2025-03-01, got {value}").format(
            value=quoted(raw)) + iso_hint(raw)) from None


def clean_filters(office: str | None, kommune: str | None, scheme: str | None) -> dict[str, str | None]:
    """Report filters checked against the reference data (an unknown value is an error, not an empty report)."""
    from grants.domain import rules
    from grants.domain.kommuner import KOMMUNENUMMER, by_name, find, office_id

    if scheme is not None:
        scheme = rules.scheme(scheme.strip()).id
    if kommune is not None and KOMMUNENUMMER.fullmatch(kommune):
        if find(kommune) is None:
            raise InvalidInput("--kommune: " + _("unknown kommunenummer {number}").format(number=repr(kommune)))
    elif kommune is not None:
        kommune = by_name(kommune).number  # a name means today's kommune of that name
    return {"office": office_id(office) if office is not None else None, "kommune": kommune, "scheme": scheme}
