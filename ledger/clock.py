"""Today's date for business dates: the edge reads the clock, the domain never does."""

from datetime import UTC, date, datetime


def oslo_today() -> date:
    """Today's date in Norway (a caseworker's "today"); UTC when the machine has no tz database."""
    try:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo("Europe/Oslo")).date()
    except Exception:  # noqa: BLE001 - no tz database on the machine
        return datetime.now(UTC).date()
